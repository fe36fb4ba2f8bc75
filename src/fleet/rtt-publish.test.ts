import { describe, expect, it } from 'vitest';
import { RTT_PUBLISH, rttPublishDue } from './rtt-publish.js';

const rtt = (rttMs: number, samples: number) => ({ rttMs, samples });
const T0 = 1_000_000;

describe('when a prober writes its smoothed RTT', () => {
  it('writes the first value, and nothing without one', () => {
    expect(rttPublishDue(null, 0, rtt(40, 1), T0)).toBe(true);
    expect(rttPublishDue(null, 0, null, T0)).toBe(false);
    expect(rttPublishDue(rtt(40, 12), T0, null, T0 + 1)).toBe(false);
  });

  it('writes each of the first samples, so min_samples is reached at probe speed', () => {
    for (let n = 2; n <= RTT_PUBLISH.earlySamples; n++)
      expect(rttPublishDue(rtt(40, n - 1), T0, rtt(40.1, n), T0 + 1), `sample ${n}`).toBe(true);
    expect(rttPublishDue(rtt(40, RTT_PUBLISH.earlySamples), T0, rtt(40.1, RTT_PUBLISH.earlySamples + 1), T0 + 1)).toBe(false);
  });

  it('after that, only a move of more than 20% and at least 2 ms', () => {
    const written = rtt(40, 20);
    expect(rttPublishDue(written, T0, rtt(47.9, 21), T0 + 1)).toBe(false); // 19.75%
    expect(rttPublishDue(written, T0, rtt(48.1, 21), T0 + 1)).toBe(true); // 20.25%
    expect(rttPublishDue(written, T0, rtt(31.9, 21), T0 + 1)).toBe(true); // down by 20.25%
    // Small RTTs: 20% of 5 ms is 1 ms, under the 2 ms floor.
    expect(rttPublishDue(rtt(5, 20), T0, rtt(6.5, 21), T0 + 1)).toBe(false);
    expect(rttPublishDue(rtt(5, 20), T0, rtt(7.1, 21), T0 + 1)).toBe(true);
  });

  it('refreshes a drifted value once the refresh interval passed, never an unchanged one', () => {
    const written = rtt(40, 20);
    expect(rttPublishDue(written, T0, rtt(41, 30), T0 + RTT_PUBLISH.refreshMs - 1)).toBe(false);
    expect(rttPublishDue(written, T0, rtt(41, 30), T0 + RTT_PUBLISH.refreshMs)).toBe(true);
    expect(rttPublishDue(written, T0, rtt(40, 20), T0 + 10 * RTT_PUBLISH.refreshMs)).toBe(false);
  });

  it('writes at once when the sample count went down (the health table started the target over)', () => {
    expect(rttPublishDue(rtt(40, 50), T0, rtt(40, 30), T0 + 1)).toBe(true);
  });

  it('keeps steady-state writes to one per refresh interval for a noisy but stable origin', () => {
    // A prober probing every second for ten minutes, each probe 40 ms ± 15%: the EWMA (alpha 1/3)
    // never moves 20%, so after the early samples only the refresh writes.
    let ewma: number | null = null;
    let samples = 0;
    let written: { rttMs: number; samples: number } | null = null;
    let writtenAt = 0;
    let writes = 0;
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let s = 0; s < 600; s++) {
      const probe = 40 * (0.85 + 0.3 * random());
      ewma = ewma === null ? probe : ewma + (probe - ewma) / 3;
      samples++;
      const now = T0 + s * 1000;
      const current = { rttMs: ewma, samples };
      if (rttPublishDue(written, writtenAt, current, now)) {
        written = current;
        writtenAt = now;
        writes++;
      }
    }
    expect(writes).toBeLessThanOrEqual(RTT_PUBLISH.earlySamples + Math.ceil(600_000 / RTT_PUBLISH.refreshMs));
    expect(writes).toBeGreaterThanOrEqual(RTT_PUBLISH.earlySamples + 600_000 / RTT_PUBLISH.refreshMs - 2);
  });
});
