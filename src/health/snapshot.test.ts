import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TableSnapshot } from './snapshot.js';
import type { TargetHealth } from './types.js';

const health = (up: boolean, since = 0): TargetHealth => Object.freeze({ up, known: true, since, reason: '', lastResult: null });

describe('TableSnapshot', () => {
  it('treats keys it does not hold as up', () => {
    const s = TableSnapshot.of(1, [['a', health(false)]]);
    expect(s.isUp('a')).toBe(false);
    expect(s.isUp('never-configured')).toBe(true);
    expect(s.get('never-configured')).toBeUndefined();
  });

  it('is frozen, and deriving a new one leaves it untouched', () => {
    const s1 = TableSnapshot.of(1, [['a', health(true)]]);
    const s2 = s1.with(new Map([['a', health(false)]]));
    expect(Object.isFrozen(s1)).toBe(true);
    expect(() => {
      (s1 as unknown as { generation: number }).generation = 9;
    }).toThrow(TypeError);
    expect(s1.isUp('a')).toBe(true);
    expect(s2.isUp('a')).toBe(false);
    expect([s1.generation, s2.generation]).toEqual([1, 2]);
  });

  it('always reads like a plain map of the latest changes (overlay folding included)', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 39 }), fc.boolean()), { maxLength: 300 }), (changes) => {
        const model = new Map<string, TargetHealth>(keys.map((k) => [k, health(true)]));
        let snap = TableSnapshot.of(0, model);
        const history: { snap: TableSnapshot; model: Map<string, TargetHealth> }[] = [];
        for (const [i, up] of changes) {
          const key = keys[i] as string;
          const h = health(up, i);
          snap = snap.with(new Map([[key, h]]));
          model.set(key, h);
          history.push({ snap, model: new Map(model) });
        }
        // Every snapshot ever published still reads as its own moment.
        for (const { snap: s, model: m } of history) {
          for (const key of keys) expect(s.get(key)).toBe(m.get(key));
        }
        expect(snap.generation).toBe(changes.length);
        expect(snap.size).toBe(40);
      }),
      { numRuns: 50 },
    );
  });
});

describe('TableSnapshot: structure sharing', () => {
  const many = (n: number): [string, TargetHealth][] => Array.from({ length: n }, (_, i) => [`t${i}`, health(true, i)]);

  it('tells which keys changed since an older snapshot of its lineage, whatever the size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 20 }), { minLength: 1, maxLength: 8 }),
        (n, steps) => {
          const history = [TableSnapshot.of(0, many(n))];
          for (const step of steps) {
            const changes = new Map<string, TargetHealth>();
            if (n > 0) for (const [i, up] of step) changes.set(`t${i % n}`, health(up, i));
            history.push(history[history.length - 1]!.with(changes));
          }
          // Any older/newer pair: changedSince lists exactly the keys whose entry differs.
          for (let a = 0; a < history.length; a++) {
            for (let b = a; b < history.length; b++) {
              const older = history[a]!;
              const newer = history[b]!;
              const expected = many(n)
                .map(([k]) => k)
                .filter((k) => older.get(k) !== newer.get(k));
              expect([...newer.changedSince(older)!].sort()).toEqual(expected.sort());
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('cannot compare snapshots of different key sets (null: compare key by key)', () => {
    const a = TableSnapshot.of(1, many(10));
    const b = TableSnapshot.of(2, many(10));
    expect(b.changedSince(a)).toBeNull();
    expect(a.with(new Map()).changedSince(a)).toEqual([]);
    const hand = { generation: 0, get: () => undefined, isUp: () => true };
    expect(a.changedSince(hand)).toBeNull();
  });

  it('starts a new lineage when a change names a key it does not hold', () => {
    const a = TableSnapshot.of(1, many(3));
    const b = a.with(new Map([['new', health(false)]]));
    expect(b.isUp('new')).toBe(false);
    expect(b.get('t1')).toBe(a.get('t1'));
    expect(b.size).toBe(4);
    expect(b.generation).toBe(2);
    expect(b.changedSince(a)).toBeNull();
  });

  it('keeps every snapshot of 100k targets intact, and a one-key change compares as that key', () => {
    const big = TableSnapshot.of(0, many(100_000));
    let s = big;
    for (let i = 0; i < 1000; i++) s = s.with(new Map([[`t${(i * 7919) % 100_000}`, health(false, i)]]));
    const next = s.with(new Map([['t99999', health(false)]]));
    expect(next.changedSince(s)).toEqual(['t99999']);
    expect(big.isUp('t0')).toBe(true);
    expect(s.isUp('t0')).toBe(false);
    expect(next.size).toBe(100_000);
  });
});
