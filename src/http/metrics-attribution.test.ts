import { EventEmitter } from 'node:events';
import { clientIpOf } from '../net/client-ip.js';
import { describe, expect, it } from 'vitest';
import { HealthTable } from '../health/table.js';
import { steer } from '../lb/steer.js';
import { client, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';
import type { RunningServer } from '../server/server.js';
import { StateHolder, type OriginConfig } from '../config/state.js';
import { RRType, type Reply, type RRset } from '../wire/types.js';
import { buildZone } from '../zone/build.js';
import { parseZoneText } from '../zone/parser.js';
import { SteerMetrics } from './metrics.js';
import { queryAnswer } from '../../test/support/query-answer.js';

const ORIGIN = 'm.test';
const lb = lbConfig(
  `monitors:
  web: { type: tcp, port: 80 }
pools:
  a: { monitor: web, origins: [{ name: a1, address: 192.0.2.1 }, { name: a2, address: 192.0.2.2 }] }
  b: { monitor: web, origins: [{ name: b1, address: 192.0.2.11 }] }
  c: { monitor: web, origins: [{ name: c1, address: 192.0.2.21 }] }
load_balancers:
  one: { default_pools: [a, b] }
  two: { default_pools: [c, b] }
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

function fakeServer(): { server: RunningServer; table: HealthTable; state: StateHolder } {
  const table = new HealthTable();
  const state = new StateHolder(table.snapshot(), null);
  state.setOrigins(origins());
  table.setTargets(lb.probeTargets);
  table.on('snapshot', (s) => state.setHealth(s));
  const server = { state, health: table, events: new EventEmitter(), isReady: () => true } as unknown as RunningServer;
  return { server, table, state };
}

/** Steers `owner` as a query would and tells the metrics about the answer. */
function answer(metrics: SteerMetrics, state: StateHolder, owner: string): void {
  const current = state.current;
  const out = steer(current.lb.get(ORIGIN)!, `${owner}.${ORIGIN}`, RRType.A, {
    client: client('192.0.2.53'),
    geo: null,
    random: seededRandom(1),
    trace: null,
  });
  const rrset: RRset = out.rrset!;
  const reply = { rcode: 0, answer: [rrset], authority: [], additional: [] } as unknown as Reply;
  metrics.observe(
    queryAnswer({ kind: 'answer', zone: ORIGIN, reply, transport: 'udp', qtype: RRType.A, steerings: 1, lbAnswer: rrset }),
    clientIpOf('192.0.2.1'),
    -1,
  );
}

async function originCounts(metrics: SteerMetrics): Promise<Record<string, number>> {
  const m = await metrics.registry.getSingleMetric('steerdns_lb_origin_answers_total')!.get();
  const out: Record<string, number> = {};
  for (const v of m.values as unknown as { labels: Record<string, string>; value: number }[]) {
    if (v.value > 0) out[`${v.labels.lb} ${v.labels.pool} ${v.labels.origin}`] = v.value;
  }
  return out;
}

describe('metrics attribution across health swaps', () => {
  it('attributes the records of load balancers prepared again after a health change, and keeps the others', async () => {
    const { server, table, state } = fakeServer();
    const metrics = new SteerMetrics({ defaultMetrics: false });
    metrics.attach(server);
    answer(metrics, state, 'one');
    answer(metrics, state, 'two');

    // c1 down: only "two" is prepared again (it fails over to b); "one" keeps its records.
    const before = state.current.lb.get(ORIGIN)!.loadBalancers;
    table.report(key('192.0.2.21'), { ok: false, reason: 'ECONNREFUSED', durationMs: 1, at: 1 });
    const after = state.current.lb.get(ORIGIN)!.loadBalancers;
    expect(after.get(`one.${ORIGIN}`)).toBe(before.get(`one.${ORIGIN}`));
    expect(after.get(`two.${ORIGIN}`)).not.toBe(before.get(`two.${ORIGIN}`));
    answer(metrics, state, 'one');
    answer(metrics, state, 'two');
    // a2 down as well: "one" changes now.
    table.report(key('192.0.2.2'), { ok: false, reason: 'ECONNREFUSED', durationMs: 1, at: 2 });
    answer(metrics, state, 'one');

    const counts = await originCounts(metrics);
    const total = (prefix: string) =>
      Object.entries(counts)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((n, [, v]) => n + v, 0);
    expect(total(`one.${ORIGIN} a`)).toBe(3);
    expect(counts[`one.${ORIGIN} a a1`]).toBeGreaterThanOrEqual(1); // after a2 went down, a1 answered
    expect(counts[`two.${ORIGIN} c c1`]).toBe(1);
    expect(counts[`two.${ORIGIN} b b1`]).toBe(1);

    // A metrics object attached now (a full attribution of the same state) agrees.
    const fresh = new SteerMetrics({ defaultMetrics: false });
    fresh.attach(server);
    answer(fresh, state, 'one');
    answer(metrics, state, 'one');
    const next = await originCounts(metrics);
    const freshCounts = await originCounts(fresh);
    for (const [k, v] of Object.entries(freshCounts)) expect(next[k]! - (counts[k] ?? 0)).toBe(v);
  });
});
