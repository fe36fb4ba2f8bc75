import { describe, expect, it } from 'vitest';
import { HealthTable, RECENT_PROBES } from './table.js';
import { target } from '../../test/support/loopback.js';

describe('HealthTable probe counts (error rates for ramps)', () => {
  const table = (): { table: HealthTable; a: string; b: string } => {
    const t = new HealthTable({ now: () => 0 });
    const targets = [target(1), target(2)];
    t.setTargets(targets);
    return { table: t, a: targets[0]!.key, b: targets[1]!.key };
  };
  const probe = (ok: boolean, at: number) => ({ ok, reason: ok ? 'HTTP 200' : 'HTTP 503', durationMs: 1, at });

  it('counts failed and total probes since a time, over several targets', () => {
    const { table: t, a, b } = table();
    t.report(a, probe(false, 100)); // before the window
    t.report(a, probe(true, 200));
    t.report(a, probe(false, 300));
    t.report(b, probe(false, 250));
    t.report(b, probe(true, 400));
    expect(t.probeCounts([a], 200)).toEqual({ failed: 1, total: 2 });
    expect(t.probeCounts([a, b], 200)).toEqual({ failed: 2, total: 4 });
    expect(t.probeCounts([a, b], 0)).toEqual({ failed: 3, total: 5 });
    expect(t.probeCounts([a, b], 500)).toEqual({ failed: 0, total: 0 });
    expect(t.probeCounts(['nowhere'], 0)).toEqual({ failed: 0, total: 0 });
  });

  it(`keeps the latest ${RECENT_PROBES} probes of a target`, () => {
    const { table: t, a } = table();
    for (let i = 0; i < RECENT_PROBES + 10; i++) t.report(a, probe(i >= 10, i));
    expect(t.probeCounts([a], 0)).toEqual({ failed: 0, total: RECENT_PROBES });
  });
});
