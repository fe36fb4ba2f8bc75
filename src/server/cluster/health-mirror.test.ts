import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HealthTable } from '../../health/table.js';
import { target } from '../../../test/support/loopback.js';
import type { HealthSnapshot } from '../../health/types.js';
import { TableSnapshot } from '../../health/snapshot.js';
import {
  applyHealthMessage,
  HealthBroadcaster,
  type HealthMessage,
  mirroredSnapshot,
  snapshotEntries,
  tableSource,
} from './health-mirror.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
let clock = 0;
const result = (ok: boolean) => ({ ok, reason: ok ? 'ok' : 'ECONNREFUSED', durationMs: 1, at: ++clock });

function setup(ports: number) {
  const table = new HealthTable({ now: () => 0 });
  const targets = Array.from({ length: ports }, (_, i) => target(1000 + i));
  table.setTargets(targets);
  const sent: HealthMessage[] = [];
  const broadcaster = new HealthBroadcaster(tableSource(table), (m) => sent.push(m));
  return { table, keys: targets.map((t) => t.key), sent, broadcaster };
}

/** The worker's view equals the table's, target by target. */
function expectSame(mirror: HealthSnapshot, table: HealthTable, keys: readonly string[]): void {
  expect(mirror.generation).toBe(table.snapshot().generation);
  for (const key of keys) {
    const want = table.snapshot().get(key)!;
    expect(mirror.get(key)).toEqual({ up: want.up, known: want.known, since: want.since, reason: want.reason, lastResult: null });
  }
}

describe('cluster health mirror', () => {
  it('sends the changes of one turn as one delta on top of the previous message', async () => {
    const { table, keys, sent, broadcaster } = setup(100);
    let mirror = applyHealthMessage(null, broadcaster.full())!;
    table.report(keys[0]!, result(false));
    table.report(keys[1]!, result(false));
    table.report(keys[0]!, result(true));
    expect(sent).toHaveLength(0);
    await nextTurn();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.base).toBe(mirror.generation);
    expect(sent[0]!.entries.map((e) => e[0]).sort()).toEqual([keys[0], keys[1]].sort());
    mirror = applyHealthMessage(mirror, sent[0]!)!;
    expectSame(mirror, table, keys);
    // A mirror keeps one lineage, so the worker's own state can ask it what changed.
    const again = applyHealthMessage(mirror, {
      t: 'health',
      generation: mirror.generation + 1,
      base: mirror.generation,
      entries: [[keys[5]!, false, true, 9, 'x']],
    })!;
    expect(again.changedSince(mirror)).toEqual([keys[5]]);
    await nextTurn();
    expect(sent).toHaveLength(1); // nothing new, nothing sent
  });

  it('sends the whole table after the target set changed', async () => {
    const { table, sent } = setup(5);
    table.setTargets([target(1000), target(2000)]);
    await nextTurn();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.base).toBeNull();
    expect(sent[0]!.entries.map((e) => e[0])).toHaveLength(2);
  });

  it('refuses a delta that does not fit what the worker holds (it then asks for the whole table)', () => {
    const { broadcaster } = setup(3);
    const full = broadcaster.full();
    const mirror = applyHealthMessage(null, full)!;
    expect(applyHealthMessage(mirror, { t: 'health', generation: full.generation + 2, base: full.generation + 1, entries: [] })).toBeNull();
    expect(applyHealthMessage(null, { t: 'health', generation: 5, base: 4, entries: [] })).toBeNull();
  });

  it('keeps every worker equal to the table, whenever it joined, over any sequence of results and turns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant('report' as const), fc.nat(29), fc.boolean()),
            fc.constant(['turn'] as const),
            fc.constant(['join'] as const),
          ),
          {
            maxLength: 80,
          },
        ),
        async (steps) => {
          const table = new HealthTable({ now: () => 0 });
          const targets = Array.from({ length: 30 }, (_, i) => target(1000 + i, { consecutive_down: 2 }));
          table.setTargets(targets);
          const workers: { mirror: TableSnapshot | null }[] = [];
          const broadcaster = new HealthBroadcaster(tableSource(table), (m) => {
            for (const w of workers) {
              const next = applyHealthMessage(w.mirror, m);
              expect(next).not.toBeNull(); // every delta fits: no worker ever has to ask again
              w.mirror = next;
            }
          });
          const join = (): void => {
            const full = broadcaster.full();
            workers.push({ mirror: applyHealthMessage(null, full) });
          };
          join();
          for (const step of steps) {
            if (step[0] === 'report') table.report(targets[step[1]]!.key, result(step[2]));
            else if (step[0] === 'join') join();
            else await nextTurn();
          }
          await nextTurn();
          for (const w of workers)
            expectSame(
              w.mirror!,
              table,
              targets.map((t) => t.key),
            );
        },
      ),
      { numRuns: 60 },
    );
  });
  it("carries a fleet's per-site RTTs to the workers, through JSON as IPC does", () => {
    const sites = [
      { site: 'ams', latitude: 52.37, longitude: 4.9, own: true, rttMs: 5.5, samples: 4 },
      { site: 'iad', latitude: null, longitude: null, own: false, rttMs: 150, samples: 3 },
    ];
    const served = TableSnapshot.of(3, [
      ['fleet', { up: true, known: true, since: 1, reason: 'up', lastResult: null, sites }],
      ['alone', { up: true, known: true, since: 1, reason: 'up', lastResult: null, rttMs: 7, rttSamples: 2 }],
      ['plain', { up: false, known: true, since: 2, reason: 'down', lastResult: null }],
    ]);
    const overIpc = JSON.parse(JSON.stringify(snapshotEntries(served, ['fleet', 'alone', 'plain'])));
    const mirror = mirroredSnapshot(3, overIpc);
    expect(mirror.get('fleet')).toEqual({ up: true, known: true, since: 1, reason: 'up', lastResult: null, sites });
    expect(mirror.get('alone')).toEqual({ up: true, known: true, since: 1, reason: 'up', lastResult: null, rttMs: 7, rttSamples: 2 });
    expect(mirror.get('plain')).toEqual({ up: false, known: true, since: 2, reason: 'down', lastResult: null });
  });
});
