import { describe, expect, it } from 'vitest';
import { type Transition, HealthTable } from './table.js';
import { target } from '../../test/support/loopback.js';
import type { HealthSnapshot, ProbeResult } from './types.js';

let clock = 1_000;
const result = (ok: boolean, reason = ok ? 'HTTP 200' : 'HTTP 503'): ProbeResult => ({ ok, reason, durationMs: 1, at: ++clock });

function tableWith(...ports: number[]): { table: HealthTable; keys: string[]; transitions: Transition[]; snapshots: HealthSnapshot[] } {
  const table = new HealthTable({ now: () => 500 });
  const targets = ports.map((p) => target(p, { consecutive_up: 2, consecutive_down: 3 }));
  table.setTargets(targets);
  const transitions: Transition[] = [];
  const snapshots: HealthSnapshot[] = [];
  table.on('transition', (t) => transitions.push(t));
  table.on('snapshot', (s) => snapshots.push(s));
  return { table, keys: targets.map((t) => t.key), transitions, snapshots };
}

describe('HealthTable', () => {
  it('sends a snapshot a listener makes while one is going out after that one, so every listener ends on the newest', () => {
    const table = new HealthTable({ now: () => 500 });
    const [a, b] = [target(1, { consecutive_down: 1 }), target(2, { consecutive_down: 1 })] as const;
    table.setTargets([a, b]);
    // The first listener derives b from a, as a calculated monitor does: it reports while the
    // snapshot that made it report is still going out.
    table.on('snapshot', (s: HealthSnapshot) => {
      if (!s.isUp(a.key) && s.isUp(b.key)) table.report(b.key, result(false));
    });
    const seen: HealthSnapshot[] = [];
    table.on('snapshot', (s: HealthSnapshot) => seen.push(s));
    table.report(a.key, result(false));
    expect(seen.at(-1)).toBe(table.snapshot());
    expect(seen.at(-1)?.isUp(b.key)).toBe(false);
    const generations = seen.map((s) => s.generation);
    expect(generations).toEqual([...generations].sort((x, y) => x - y));
  });

  it('starts targets up and unknown', () => {
    const { table, keys } = tableWith(1);
    const h = table.snapshot().get(keys[0] as string);
    expect(h).toEqual({ up: true, known: false, since: 500, reason: 'not probed yet', lastResult: null });
    expect(table.snapshot().generation).toBe(1);
  });

  it('lets the first result set the state directly (a dead origin is down after one probe)', () => {
    const { table, keys, transitions } = tableWith(1, 2);
    const [dead, alive] = keys as [string, string];
    const r = result(false, 'ECONNREFUSED');
    table.report(dead, r);
    table.report(alive, result(true));
    expect(table.snapshot().isUp(dead)).toBe(false);
    expect(table.snapshot().get(dead)).toMatchObject({ up: false, known: true, since: r.at, reason: 'ECONNREFUSED' });
    expect(table.snapshot().get(alive)).toMatchObject({ up: true, known: true, since: 500 });
    // Only an actual change of up/down is a transition.
    expect(transitions).toEqual([{ key: dead, up: false, previousUp: true, reason: 'ECONNREFUSED', at: r.at }]);
  });

  it('afterwards needs consecutive_down failures to go down and consecutive_up passes to come back', () => {
    const { table, keys, transitions } = tableWith(1);
    const key = keys[0] as string;
    table.report(key, result(true));
    table.report(key, result(false));
    table.report(key, result(false));
    expect(table.snapshot().isUp(key)).toBe(true);
    table.report(key, result(true)); // breaks the run
    table.report(key, result(false));
    table.report(key, result(false));
    expect(table.snapshot().isUp(key)).toBe(true);
    table.report(key, result(false));
    expect(table.snapshot().isUp(key)).toBe(false);
    expect(transitions.map((t) => t.up)).toEqual([false]);

    table.report(key, result(true));
    expect(table.snapshot().isUp(key)).toBe(false);
    table.report(key, result(false)); // breaks the run
    table.report(key, result(true));
    expect(table.snapshot().isUp(key)).toBe(false);
    table.report(key, result(true));
    expect(table.snapshot().isUp(key)).toBe(true);
    expect(transitions.map((t) => [t.previousUp, t.up])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('publishes a new generation on every change of state and only then', () => {
    const { table, keys, snapshots, transitions } = tableWith(1);
    const key = keys[0] as string;
    const g0 = table.snapshot().generation;
    table.report(key, result(true)); // unknown → known: a change
    expect(table.snapshot().generation).toBe(g0 + 1);
    table.report(key, result(true)); // nothing new
    table.report(key, result(false)); // below threshold
    expect(table.snapshot().generation).toBe(g0 + 1);
    table.report(key, result(false));
    table.report(key, result(false)); // down
    expect(table.snapshot().generation).toBe(g0 + 2);
    expect(snapshots.map((s) => s.generation)).toEqual([g0 + 1, g0 + 2]);
    expect(snapshots[1]).toBe(table.snapshot());
    expect(transitions).toHaveLength(1);
  });

  it('lets listeners of either event read the new state', () => {
    const { table, keys } = tableWith(1);
    const key = keys[0] as string;
    const seen: boolean[] = [];
    table.on('transition', () => seen.push(table.snapshot().isUp(key)));
    table.on('snapshot', (s) => seen.push(s.isUp(key)));
    table.report(key, result(false));
    expect(seen).toEqual([false, false]);
  });

  it('never changes a published snapshot', () => {
    const { table, keys } = tableWith(1, 2);
    const key = keys[0] as string;
    const before = table.snapshot();
    const healthBefore = before.get(key);
    table.report(key, result(false));
    table.setTargets([]);
    expect(before.isUp(key)).toBe(true);
    expect(before.get(key)).toBe(healthBefore);
    expect(Object.isFrozen(before)).toBe(true);
    expect(Object.isFrozen(healthBefore)).toBe(true);
    expect(() => {
      (healthBefore as { up: boolean }).up = false;
    }).toThrow(TypeError);
  });

  it('keeps the state of targets that stay, adds new ones, drops removed ones', () => {
    const { table, keys } = tableWith(1, 2);
    const [k1, k2] = keys as [string, string];
    table.report(k1, result(false));
    table.report(k2, result(false));
    const g = table.snapshot().generation;
    const t3 = target(3);
    table.setTargets([target(1, { consecutive_up: 2, consecutive_down: 3 }), t3]);
    const s = table.snapshot();
    expect(s.generation).toBe(g + 1);
    expect(s.get(k1)).toMatchObject({ up: false, known: true });
    expect(s.get(k2)).toBeUndefined();
    expect(s.isUp(k2)).toBe(true); // unknown keys count as up
    expect(s.get(t3.key)).toMatchObject({ up: true, known: false });
    expect(table.report(k2, result(true))).toBe(false);
    expect(table.has(k2)).toBe(false);
    expect(table.size).toBe(2);
  });

  it('does not publish when setTargets leaves the key set as it was, but takes new thresholds', () => {
    const { table, keys } = tableWith(1);
    const key = keys[0] as string;
    table.report(key, result(true));
    const g = table.snapshot().generation;
    table.setTargets([target(1, { consecutive_down: 1 })]);
    expect(table.snapshot().generation).toBe(g);
    table.report(key, result(false)); // threshold is 1 now
    expect(table.snapshot().isUp(key)).toBe(false);
  });

  it('counts probes per target and keeps the newest result in stats()', () => {
    const { table, keys } = tableWith(2, 1);
    const [k2, k1] = keys as [string, string];
    table.report(k1, result(true));
    table.report(k1, result(false));
    const last = result(false, 'timeout after 2000ms');
    table.report(k1, last);
    const stats = table.stats();
    expect(stats.map((s) => s.key)).toEqual([k1, k2].sort());
    expect(table.statsFor(k1)).toMatchObject({
      probesPassed: 1,
      probesFailed: 2,
      consecutiveFailed: 2,
      consecutivePassed: 0,
      up: true,
      lastResult: last,
    });
    expect(table.statsFor(k2)).toMatchObject({ probesPassed: 0, probesFailed: 0, known: false, lastResult: null });
  });

  it('keeps a bounded ring of recent transitions, oldest first', () => {
    const table = new HealthTable({ historySize: 3 });
    const t = target(1, { consecutive_up: 1, consecutive_down: 1 });
    table.setTargets([t]);
    expect(table.recentTransitions()).toEqual([]);
    for (let i = 0; i < 5; i++) {
      table.report(t.key, result(false, `down ${i}`));
      table.report(t.key, result(true, `up ${i}`));
    }
    expect(table.recentTransitions().map((e) => e.reason)).toEqual(['up 3', 'down 4', 'up 4']);
  });
});
