import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import type { HealthSnapshot, TargetHealth } from '../health/types.js';
import { prepareLb, prepareLbChanges } from './prepare.js';
import { createTrace, formatTrace, steer } from './steer.js';
import { answerText, client, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';

const config = lbConfig(`monitors:
  web: { port: 8080, interval: 1, timeout: 0.2, retries: 0 }
pools:
  near: { monitor: web, origins: [{ name: n1, address: 192.0.2.1 }, { name: n2, address: 192.0.2.2 }] }
  mid: { monitor: web, origins: [{ name: m1, address: 192.0.2.3 }] }
  far: { monitor: web, origins: [{ name: f1, address: 192.0.2.4 }] }
load_balancers:
  www:
    steering_policy: dynamic
    default_pools: [far, mid, near]
    dynamic_steering: { rtt_tolerance_ms: 5, min_samples: 3 }
`);
const POOL_OF: Record<string, string> = { 'A 192.0.2.1': 'near', 'A 192.0.2.2': 'near', 'A 192.0.2.3': 'mid', 'A 192.0.2.4': 'far' };
const keyOf = (origin: string): string => {
  for (const p of config.pools.values()) for (const o of p.origins) if (o.name === origin) return o.healthKey!;
  throw new Error(origin);
};

/** Health with the given RTTs (ms, samples) per origin; `down` origins are down. */
function health(rtts: Record<string, [number, number]>, down: string[] = [], generation = 1): HealthSnapshot {
  const entries = new Map<string, TargetHealth>();
  for (const [origin, [rttMs, rttSamples]] of Object.entries(rtts)) {
    entries.set(keyOf(origin), { up: !down.includes(origin), known: true, since: 0, reason: 't', lastResult: null, rttMs, rttSamples });
  }
  return { generation, get: (k) => entries.get(k), isUp: (k) => entries.get(k)?.up ?? true };
}

function shares(h: HealthSnapshot, n = 3000): Record<string, number> {
  const prepared = prepareLb(config, h);
  const ctx = { client: client('198.51.100.0/24'), geo: null, random: seededRandom(3), trace: null };
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const pool = POOL_OF[answerText(steer(prepared, 'www.example.com', RRType.A, ctx).rrset)[0]!]!;
    counts[pool] = (counts[pool] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([pool, c]) => [pool, c / n]));
}

describe('dynamic steering', () => {
  it('answers from the pool with the lowest smoothed RTT, with ECS scope 0', () => {
    const h = health({ n1: [20, 5], n2: [30, 5], m1: [60, 5], f1: [150, 5] });
    expect(shares(h)).toEqual({ near: 1 });
    const out = steer(prepareLb(config, h), 'www.example.com', RRType.A, {
      client: client('198.51.100.0/24'),
      geo: null,
      random: seededRandom(1),
      trace: null,
    });
    expect(out.scope).toBe(0);
  });

  it('pools within rtt_tolerance_ms share by pool weight', () => {
    const s = shares(health({ n1: [24, 5], n2: [24, 5], m1: [27, 5], f1: [150, 5] }));
    expect(Object.keys(s).sort()).toEqual(['mid', 'near']);
    // Equal default weights: about half each (3000 draws: 4 sd ≈ ±3.7%).
    expect(s.near!).toBeGreaterThan(0.45);
    expect(s.near!).toBeLessThan(0.55);
  });

  it('skips pools with fewer than min_samples, and unhealthy pools', () => {
    expect(shares(health({ n1: [5, 2], n2: [5, 2], m1: [60, 3], f1: [150, 3] }))).toEqual({ mid: 1 });
    expect(shares(health({ n1: [5, 9], n2: [5, 9], m1: [60, 3], f1: [150, 3] }, ['n1', 'n2']))).toEqual({ mid: 1 });
  });

  it('without enough samples anywhere, answers in failover order', () => {
    expect(shares(health({ n1: [5, 1], n2: [5, 1], m1: [6, 0], f1: [7, 2] }))).toEqual({ far: 1 });
  });

  it('follows an RTT change through prepareLbChanges, and explain shows the RTTs compared', () => {
    const before = health({ n1: [20, 5], n2: [20, 5], m1: [60, 5], f1: [150, 5] }, [], 1);
    const after = health({ n1: [200, 6], n2: [200, 6], m1: [60, 5], f1: [150, 5] }, [], 2);
    const next = prepareLbChanges(prepareLb(config, before), before, after, null);
    const trace = createTrace();
    const out = steer(next, 'www.example.com', RRType.A, { client: client('198.51.100.7'), geo: null, random: seededRandom(1), trace });
    expect(answerText(out.rrset)).toEqual(['A 192.0.2.3']);
    expect(formatTrace(trace)).toContain('RTT far 150.0 ms, mid 60.0 ms, near 200.0 ms; within 5 ms of the fastest: mid');
  });

  it('refuses a pool without a monitor (no probes, no RTT)', () => {
    expect(() =>
      lbConfig(`pools:
  p: { origins: [{ name: a, address: 192.0.2.1 }] }
load_balancers:
  www: { steering_policy: dynamic, default_pools: [p] }
`),
    ).toThrow(/dynamic steering needs a monitor on pool "p"/);
  });
});
