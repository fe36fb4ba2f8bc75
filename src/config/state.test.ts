import { describe, expect, it } from 'vitest';
import { HealthTable } from '../health/table.js';
import type { HealthSnapshot, ProbeResult } from '../health/types.js';
import { lbConfig } from '../../test/support/lb-fixtures.js';
import { buildZone } from '../zone/build.js';
import { parseZoneText } from '../zone/parser.js';
import { StateHolder, type OriginConfig, type ServingState } from './state.js';

const ORIGIN = 'lb.test';
const lb = lbConfig(
  `monitors:
  web: { type: tcp, port: 80 }
pools:
  a: { monitor: web, origins: [{ name: a1, address: 192.0.2.1 }, { name: a2, address: 192.0.2.2 }] }
  b: { monitor: web, origins: [{ name: b1, address: 192.0.2.11 }] }
  c: { monitor: web, origins: [{ name: c1, address: 192.0.2.21 }] }
load_balancers:
  one: { default_pools: [a, b] }
  two: { default_pools: [c] }
`,
  ORIGIN,
);
const key = (ip: string) => `${ORIGIN}/web@${ip}:80`;

function origins(): ReadonlyMap<string, OriginConfig> {
  const parsed = parseZoneText(`$TTL 60\n@ IN SOA ns h 1 1 1 1 1\n  IN NS ns\nns IN A 192.0.2.53\n`, {
    file: 'mem.zone',
    origin: ORIGIN,
    zonesDir: '/',
  });
  const built = buildZone(ORIGIN, parsed.records, { file: 'mem.zone', bindings: lb.bindings });
  if (!('zone' in built)) throw new Error('bad fixture');
  return new Map([[ORIGIN, { origin: ORIGIN, zone: built.zone, lb, zoneFile: 'mem.zone', lbFile: 'mem.lb.yaml', loadedAt: 0 }]]);
}

let clock = 0;
const result = (ok: boolean): ProbeResult => ({ ok, reason: ok ? 'ok' : 'ECONNREFUSED', durationMs: 1, at: ++clock });

/** A server-like wiring: table → state, with every swap recorded. */
function setup(): { table: HealthTable; state: StateHolder; swaps: ServingState[] } {
  const table = new HealthTable();
  const state = new StateHolder(table.snapshot(), null);
  state.setOrigins(origins());
  table.setTargets(lb.probeTargets);
  table.on('snapshot', (s) => state.setHealth(s));
  state.current; // publishes the snapshot of setTargets
  const swaps: ServingState[] = [];
  state.on('swap', (s: ServingState) => swaps.push(s));
  return { table, state, swaps };
}

const addresses = (s: ServingState, owner: string): string[] => {
  const p = s.lb.get(ORIGIN)!.loadBalancers.get(`${owner}.${ORIGIN}`)!;
  const pool = p.pools[p.firstHealthyDefault];
  return pool === undefined ? [] : pool.live.originNames.slice();
};
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StateHolder health publishing', () => {
  it('shows a transition to the very next read, without waiting for the end of the turn', () => {
    const { table, state } = setup();
    table.report(key('192.0.2.1'), result(false));
    expect(state.current.health).toBe(table.snapshot());
    expect(addresses(state.current, 'one')).toEqual(['a2']);
  });

  it('publishes a burst of transitions in one turn as one swap, within that turn', async () => {
    const { table, state, swaps } = setup();
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.11', '192.0.2.21']) table.report(key(ip), result(false));
    table.report(key('192.0.2.1'), result(true)); // back up in the same turn (consecutive_up 1)
    expect(swaps).toHaveLength(0);
    // Scheduled before this test's own setImmediate, so done by the time it runs: no timer, no
    // waiting longer than the rest of the current turn.
    await nextTurn();
    expect(swaps).toHaveLength(1);
    expect(swaps[0]!.health).toBe(table.snapshot());
    expect(state.current).toBe(swaps[0]);
    expect(addresses(state.current, 'one')).toEqual(['a1']);
    expect(addresses(state.current, 'two')).toEqual([]);
    await nextTurn();
    expect(swaps).toHaveLength(1);
  });

  it('re-prepares only the load balancers whose origins changed up/down, sharing the rest', async () => {
    const { table, state } = setup();
    const before = state.current;
    table.report(key('192.0.2.21'), result(false));
    const after = state.current;
    expect(after.generation).toBe(before.generation + 1);
    const lbs = (s: ServingState) => s.lb.get(ORIGIN)!.loadBalancers;
    expect(lbs(after).get(`two.${ORIGIN}`)).not.toBe(lbs(before).get(`two.${ORIGIN}`));
    expect(lbs(after).get(`one.${ORIGIN}`)).toBe(lbs(before).get(`one.${ORIGIN}`));
    expect(after.zones).toBe(before.zones);
    // The old state is untouched: a query that read it still sees one consistent state.
    expect(before.health.isUp(key('192.0.2.21'))).toBe(true);
    expect(lbs(before).get(`two.${ORIGIN}`)!.firstHealthyDefault).toBe(0);
    expect(lbs(after).get(`two.${ORIGIN}`)!.firstHealthyDefault).toBe(-1);
    expect(Object.isFrozen(after)).toBe(true);
  });

  it('keeps the prepared load balancers as they are when no origin changed up/down', () => {
    const { table, state } = setup();
    const before = state.current;
    // First results that agree with "up until probed": known now, nothing to answer differently.
    for (const t of lb.probeTargets) table.report(t.key, result(true));
    const after = state.current;
    expect(after.health).toBe(table.snapshot());
    expect(after.lb).toBe(before.lb);
  });

  it('handles snapshots that cannot say what changed (a cluster worker mirror) by comparing every key', () => {
    const { state } = setup();
    const before = state.current;
    const down = new Set([key('192.0.2.11')]);
    const mirrored: HealthSnapshot = { generation: 99, get: () => undefined, isUp: (k) => !down.has(k) };
    state.setHealth(mirrored);
    const after = state.current;
    expect(after.health).toBe(mirrored);
    const lbs = (s: ServingState) => s.lb.get(ORIGIN)!.loadBalancers;
    expect(lbs(after).get(`one.${ORIGIN}`)).not.toBe(lbs(before).get(`one.${ORIGIN}`));
    expect(lbs(after).get(`two.${ORIGIN}`)).toBe(lbs(before).get(`two.${ORIGIN}`));
  });

  it('uses a pending snapshot when the config changes in the same turn', () => {
    const { table, state, swaps } = setup();
    table.report(key('192.0.2.21'), result(false));
    state.setOrigins(origins());
    expect(swaps).toHaveLength(1);
    expect(state.current.health).toBe(table.snapshot());
    expect(addresses(state.current, 'two')).toEqual([]);
  });
});
