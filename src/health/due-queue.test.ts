import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DueItem, DueQueue } from './due-queue.js';

interface Item extends DueItem {
  id: number;
}

describe('DueQueue', () => {
  it('pops in due order', () => {
    const q = new DueQueue<Item>();
    for (const [id, due] of [
      [1, 30],
      [2, 10],
      [3, 20],
      [4, 10],
    ] as const)
      q.push({ id, due, heapIndex: -1 });
    const out: number[] = [];
    for (let item = q.pop(); item; item = q.pop()) out.push(item.due);
    expect(out).toEqual([10, 10, 20, 30]);
    expect(q.size).toBe(0);
  });

  it('matches a sorted list under random push / pop / remove / re-key', () => {
    type Op =
      | { kind: 'push'; due: number }
      | { kind: 'pop' }
      | { kind: 'remove'; pick: number }
      | { kind: 'rekey'; pick: number; due: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), due: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('rekey' as const), pick: fc.nat(), due: fc.integer({ min: 0, max: 100 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new DueQueue<Item>();
        const model: Item[] = [];
        let nextId = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const item = { id: nextId++, due: o.due, heapIndex: -1 };
            q.push(item);
            model.push(item);
          } else if (o.kind === 'pop') {
            const popped = q.pop();
            const minDue = model.reduce((m, i) => Math.min(m, i.due), Infinity);
            if (model.length === 0) expect(popped).toBeUndefined();
            else {
              expect(popped?.due).toBe(minDue);
              model.splice(model.indexOf(popped as Item), 1);
            }
          } else if (model.length > 0) {
            const item = model[o.pick % model.length] as Item;
            if (o.kind === 'remove') {
              expect(q.remove(item)).toBe(true);
              expect(q.remove(item)).toBe(false);
              model.splice(model.indexOf(item), 1);
            } else {
              item.due = o.due;
              q.update(item);
            }
          }
          expect(q.size).toBe(model.length);
          expect(q.peek()?.due).toBe(model.length ? Math.min(...model.map((i) => i.due)) : undefined);
        }
      }),
      { numRuns: 200 },
    );
  });
});
