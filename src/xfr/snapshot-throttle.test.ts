import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SnapshotThrottle } from './snapshot-throttle.js';

describe('SnapshotThrottle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const make = (ms: number): { t: SnapshotThrottle; runs: number[] } => {
    const runs: number[] = [];
    const t = new SnapshotThrottle(ms, () => runs.push(Date.now()), Date.now);
    return { t, runs };
  };

  it('runs at once when the last run is an interval old', () => {
    const { t, runs } = make(10_000);
    t.request();
    expect(runs).toHaveLength(1);
  });

  it('coalesces requests inside the interval into one run at its end', () => {
    const { t, runs } = make(10_000);
    const start = Date.now();
    t.request();
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(100);
      t.request();
    }
    expect(runs).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(runs).toEqual([start, start + 10_000]);
  });

  it('never runs twice within one interval however fast requests come (flapping)', () => {
    const { t, runs } = make(1000);
    for (let i = 0; i < 10_000; i++) {
      t.request();
      vi.advanceTimersByTime(7);
    }
    for (let i = 1; i < runs.length; i++) expect(runs[i]! - runs[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(runs.length).toBeLessThanOrEqual(Math.floor(70_000 / 1000) + 1);
  });

  it('a run by a reload starts the interval again', () => {
    const { t, runs } = make(1000);
    t.ran();
    t.request();
    expect(runs).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    expect(runs).toHaveLength(1);
  });

  it('close cancels a scheduled run', () => {
    const { t, runs } = make(1000);
    t.request();
    t.request();
    t.close();
    vi.advanceTimersByTime(5000);
    expect(runs).toHaveLength(1);
  });
});
