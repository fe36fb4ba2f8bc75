import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TableSnapshot } from '../health/snapshot.js';
import type { HealthSnapshot, TargetHealth } from '../health/types.js';
import { RRType } from '../wire/types.js';
import { prepareLb, prepareLbChanges, type PreparedLbZone } from './prepare.js';
import { steer } from './steer.js';
import { answerText, client, fakeGeo, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';
import type { LbZoneConfig } from './types.js';

const state = (up: boolean): TargetHealth => Object.freeze({ up, known: true, since: 0, reason: up ? 'ok' : 'down', lastResult: null });
const unknown: TargetHealth = Object.freeze({ up: true, known: false, since: 0, reason: 'not probed yet', lastResult: null });

/** A snapshot of every probe target of `config`, all up and unknown (as the table starts). */
function startHealth(config: LbZoneConfig): TableSnapshot {
  return TableSnapshot.of(
    1,
    config.probeTargets.map((t) => [t.key, unknown] as const),
  );
}

const key = (ip: string) => `example.com/web@${ip}:80`;

const config = lbConfig(`monitors:
  web: { type: tcp, port: 80 }
pools:
  eu:
    monitor: web
    latitude: 50
    longitude: 8
    origins:
      - { name: eu1, address: 192.0.2.1 }
      - { name: eu2, address: 192.0.2.2 }
  us:
    monitor: web
    latitude: 40
    longitude: -74
    origins:
      - { name: us1, address: 198.51.100.1 }
  shared:
    monitor: web
    origins:
      - { name: s1, address: 192.0.2.1 }
      - { name: s2, address: 203.0.113.9 }
  static:
    origins: [{ name: st, address: 203.0.113.1 }]
load_balancers:
  www:
    default_pools: [eu, us]
  api:
    steering_policy: random
    default_pools: [us]
  mixed:
    default_pools: [shared, static]
  plain:
    default_pools: [static]
`);

describe('prepareLbChanges', () => {
  it('prepares again only the load balancers whose pools hold an origin that went up or down', () => {
    const before = startHealth(config);
    const prev = prepareLb(config, before);
    // 192.0.2.2 is only in pool eu, used only by www.
    const after = before.with(new Map([[key('192.0.2.2'), state(false)]]));
    const next = prepareLbChanges(prev, before, after, after.changedSince(before));
    expect(next).not.toBe(prev);
    const lbs = (z: PreparedLbZone, owner: string) => z.loadBalancers.get(owner);
    expect(lbs(next, 'www.example.com')).not.toBe(lbs(prev, 'www.example.com'));
    for (const owner of ['api.example.com', 'mixed.example.com', 'plain.example.com']) expect(lbs(next, owner)).toBe(lbs(prev, owner));
    // Inside www, the pool that did not change is reused as it is (records and all).
    const pool = (z: PreparedLbZone, name: string) => lbs(z, 'www.example.com')!.pools.find((p) => p.name === name);
    expect(pool(next, 'us')).toBe(pool(prev, 'us'));
    expect(pool(next, 'eu')).not.toBe(pool(prev, 'eu'));
    expect(next.loadBalancers).toEqual(prepareLb(config, after).loadBalancers);
    expect(next.healthGeneration).toBe(after.generation);
  });

  it('follows an origin listed in several pools into every load balancer that uses one of them', () => {
    const before = startHealth(config);
    const prev = prepareLb(config, before);
    const after = before.with(new Map([[key('192.0.2.1'), state(false)]]));
    const next = prepareLbChanges(prev, before, after, after.changedSince(before));
    expect(next.loadBalancers.get('www.example.com')).not.toBe(prev.loadBalancers.get('www.example.com'));
    expect(next.loadBalancers.get('mixed.example.com')).not.toBe(prev.loadBalancers.get('mixed.example.com'));
    expect(next.loadBalancers.get('api.example.com')).toBe(prev.loadBalancers.get('api.example.com'));
    expect(next.loadBalancers).toEqual(prepareLb(config, after).loadBalancers);
  });

  it('returns the very same prepared zone when no origin changed up/down (first results that agree, other zones)', () => {
    const before = startHealth(config);
    const prev = prepareLb(config, before);
    // Known now, still up: nothing any answer depends on.
    const after = before.with(new Map(config.probeTargets.map((t) => [t.key, state(true)] as const)));
    expect(prepareLbChanges(prev, before, after, after.changedSince(before))).toBe(prev);
    expect(prepareLbChanges(prev, before, after, null)).toBe(prev);
    expect(prepareLbChanges(prev, before, after, ['other.zone/web@192.0.2.1:80'])).toBe(prev);
  });

  it('compares every monitored key when the snapshot cannot say what changed (candidates null)', () => {
    const before = startHealth(config);
    const prev = prepareLb(config, before);
    const down = new Set([key('198.51.100.1')]);
    const mirrored: HealthSnapshot = { generation: 9, get: () => undefined, isUp: (k) => !down.has(k) };
    const next = prepareLbChanges(prev, before, mirrored, null);
    expect(next.loadBalancers.get('api.example.com')).not.toBe(prev.loadBalancers.get('api.example.com'));
    expect(next.loadBalancers.get('mixed.example.com')).toBe(prev.loadBalancers.get('mixed.example.com'));
    expect(next.loadBalancers).toEqual(prepareLb(config, mirrored).loadBalancers);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: any config, any sequence of health changes — the incremental state answers exactly
// as a state prepared from scratch.

const ADDRESSES = [
  '192.0.2.1',
  '192.0.2.2',
  '192.0.2.3',
  '198.51.100.1',
  '2001:db8::1',
  '2001:db8::2',
  'edge1.example.net',
  'edge2.example.net',
];
const POLICIES = ['off', 'random', 'hash', 'geo', 'proximity'] as const;

const poolArb = fc.record({
  enabled: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  monitor: fc.constantFrom('web', 'dns', null),
  minimum: fc.integer({ min: 1, max: 2 }),
  lat: fc.integer({ min: -80, max: 80 }),
  lon: fc.integer({ min: -170, max: 170 }),
  origins: fc.uniqueArray(
    fc.record({
      address: fc.constantFrom(...ADDRESSES),
      weight: fc.integer({ min: 1, max: 3 }),
      enabled: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
    }),
    { minLength: 1, maxLength: 4, selector: (o) => o.address },
  ),
});

const subsetOf = (n: number) => fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: n });

const configArb = fc.integer({ min: 1, max: 5 }).chain((nPools) =>
  fc.record({
    pools: fc.array(poolArb, { minLength: nPools, maxLength: nPools }),
    lbs: fc.array(
      fc.record({
        policy: fc.constantFrom(...POLICIES),
        defaults: subsetOf(nPools),
        fallback: fc.oneof(fc.constant<'default'>('default'), fc.constant<'none'>('none'), fc.integer({ min: 0, max: nPools - 1 })),
        country: fc.option(subsetOf(nPools), { nil: undefined }),
        continent: fc.option(subsetOf(nPools), { nil: undefined }),
        subnet: fc.option(subsetOf(nPools), { nil: undefined }),
        originSteering: fc.constantFrom('random', 'hash', 'all'),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  }),
);

type ConfigSpec = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

function yamlOf(spec: ConfigSpec): string {
  let y = 'monitors:\n  web: { type: tcp, port: 80 }\n  dns: { type: tcp, port: 53 }\npools:\n';
  spec.pools.forEach((p, i) => {
    const steering = spec.lbs[i % spec.lbs.length]!.originSteering;
    y += `  p${i}:\n    enabled: ${p.enabled}\n    minimum_origins: ${Math.min(p.minimum, p.origins.length)}\n    latitude: ${p.lat}\n    longitude: ${p.lon}\n`;
    y += `    origin_steering: { policy: ${steering} }\n`;
    if (p.monitor !== null) y += `    monitor: ${p.monitor}\n`;
    y += '    origins:\n';
    for (const [j, o] of p.origins.entries()) {
      y += `      - { name: o${i}-${j}, address: "${o.address}", weight: ${o.weight}, enabled: ${o.enabled} }\n`;
    }
  });
  y += 'load_balancers:\n';
  const list = (idx: readonly number[]) => `[${idx.map((i) => `p${i}`).join(', ')}]`;
  spec.lbs.forEach((lb, k) => {
    y += `  lb${k}:\n    steering_policy: ${lb.policy}\n    default_pools: ${list(lb.defaults)}\n`;
    if (lb.fallback === 'none') y += '    fallback: none\n';
    else if (lb.fallback !== 'default') y += `    fallback_pool: p${lb.fallback}\n`;
    if (lb.country) y += `    country_pools: { JP: ${list(lb.country)} }\n`;
    if (lb.continent) y += `    continent_pools: { EU: ${list(lb.continent)} }\n`;
    if (lb.subnet) y += `    subnet_pools: { "10.1.0.0/16": ${list(lb.subnet)} }\n`;
  });
  return y;
}

const geo = fakeGeo([
  { cidr: '10.1.0.0/16', continent: 'AS', country: 'JP', latitude: 35, longitude: 139 },
  { cidr: '10.2.0.0/16', continent: 'EU', country: 'DE', latitude: 50, longitude: 8 },
  { cidr: '10.3.0.0/16', continent: 'NA', country: 'US', latitude: 40, longitude: -74 },
]);
const CLIENTS = ['10.1.2.0/24', '10.2.3.0/24', '10.3.4.0/24', '10.9.0.0/24', '10.1.7.7'].map(client);

/** Every answer of every load balancer for a few clients and types, with a fixed random source. */
function answersOf(z: PreparedLbZone): string[] {
  const out: string[] = [];
  for (const owner of z.loadBalancers.keys()) {
    for (const c of CLIENTS) {
      for (const qtype of [RRType.A, RRType.AAAA, RRType.CNAME]) {
        const random = seededRandom(7);
        for (let i = 0; i < 3; i++) {
          const r = steer(z, owner, qtype, { client: c, geo, random, trace: null });
          out.push(`${owner} ${qtype} ${c.ip}: ${answerText(r.rrset).join(',')} /${r.scope}`);
        }
      }
    }
  }
  return out;
}

describe('prepareLbChanges (property)', () => {
  it('answers exactly as a from-scratch prepare after any sequence of health changes', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (spec, steps, useCandidates) => {
          const cfg = lbConfig(yamlOf(spec));
          const keys = cfg.probeTargets.map((t) => t.key);
          let health = startHealth(cfg);
          let incremental = prepareLb(cfg, health);
          for (const step of steps) {
            const changes = new Map<string, TargetHealth>();
            if (keys.length > 0) for (const [i, up] of step) changes.set(keys[i % keys.length]!, state(up));
            const next = health.with(changes);
            incremental = prepareLbChanges(incremental, health, next, useCandidates ? next.changedSince(health) : null);
            health = next;
            const scratch = prepareLb(cfg, health);
            expect(incremental.loadBalancers).toEqual(scratch.loadBalancers);
            expect(answersOf(incremental)).toEqual(answersOf(scratch));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
