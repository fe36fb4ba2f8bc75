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
