import { describe, expect, it } from 'vitest';
import { RTT_WINDOW, HealthTable } from './table.js';
import { target } from '../../test/support/loopback.js';
import type { HealthSnapshot, ProbeResult } from './types.js';

let clock = 1_000;
const probe = (ok: boolean, durationMs: number): ProbeResult => ({ ok, reason: ok ? 'HTTP 200' : 'HTTP 503', durationMs, at: ++clock });

function table(trackRtt: boolean) {
  const t = new HealthTable({ now: () => 500 });
  const tg = { ...target(1, { consecutive_up: 1, consecutive_down: 2 }), trackRtt };
  t.setTargets([tg]);
  const snapshots: HealthSnapshot[] = [];
  t.on('snapshot', (s) => snapshots.push(s));
  return { t, key: tg.key, snapshots };
}

describe('HealthTable RTT', () => {
  it('smooths successful probe durations with an EWMA (alpha = 2 / (window + 1)) and publishes each one', () => {
    const { t, key, snapshots } = table(true);
    const alpha = 2 / (RTT_WINDOW + 1);
    t.report(key, probe(true, 100));
    expect(t.snapshot().get(key)).toMatchObject({ rttMs: 100, rttSamples: 1 });
    t.report(key, probe(true, 10));
    const expected = 100 + alpha * (10 - 100);
    expect(t.snapshot().get(key)!.rttMs).toBeCloseTo(expected, 9);
    expect(snapshots).toHaveLength(2);
    // A failed probe (still up: consecutive_down 2) changes neither the average nor the count.
    t.report(key, probe(false, 5000));
    expect(t.snapshot().get(key)).toMatchObject({ up: true, rttSamples: 2 });
    expect(t.snapshot().get(key)!.rttMs).toBeCloseTo(expected, 9);
    // After enough fast probes the average is close to the new level.
    for (let i = 0; i < 4 * RTT_WINDOW; i++) t.report(key, probe(true, 10));
    expect(t.snapshot().get(key)!.rttMs).toBeLessThan(11);
  });

  it('targets that do not track RTT publish only on state changes, as before', () => {
    const { t, key, snapshots } = table(false);
    t.report(key, probe(true, 100));
    t.report(key, probe(true, 10));
    t.report(key, probe(true, 10));
    expect(snapshots).toHaveLength(1);
    expect(t.snapshot().get(key)!.rttMs).toBeUndefined();
  });
});
