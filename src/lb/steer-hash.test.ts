// Statistical checks use a seeded PRNG, so they are deterministic: the tolerances say how far
// a correct implementation may stray, and a given seed either passes forever or never.
import { describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../health/types.js';
import { RRType } from '../wire/types.js';
import { prepareLb } from './prepare.js';
import { steer } from './steer.js';
import { answerText, client, healthWithDown, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';
import type { LbZoneConfig } from './types.js';

const pools = (names: string[], extra = '') =>
  names
    .map(
      (n, i) =>
        `  ${n}:\n    monitor: web\n${extra}    origins: [{ name: ${n}-o, address: 192.0.2.${i + 1} }, { name: ${n}-o6, address: "2001:db8::${i + 1}" }]`,
    )
    .join('\n');

const config = lbConfig(`monitors:
  web: { port: 8080 }
pools:
${pools(['p1', 'p2', 'p3', 'p4'])}
  weighted:
    origins:
      - { name: heavy, address: 198.51.100.1, weight: 1 }
      - { name: medium, address: 198.51.100.2, weight: 0.5 }
      - { name: light, address: 198.51.100.3, weight: 0.25 }
      - { name: drained, address: 198.51.100.4, weight: 1, enabled: false }
  sticky:
    monitor: web
    origin_steering: { policy: hash }
    origins:
      - { name: s1, address: 203.0.113.1 }
      - { name: s2, address: 203.0.113.2 }
      - { name: s3, address: 203.0.113.3 }
      - { name: s4, address: 203.0.113.4, weight: 2 }
load_balancers:
  hash4:
    steering_policy: hash
    default_pools: [p1, p2, p3, p4]
  hash31:
    steering_policy: hash
    default_pools: [p1, p2]
    random_steering: { pool_weights: { p1: 3, p2: 1 } }
  rand:
    steering_policy: random
    default_pools: [p1, p2, p3]
    random_steering: { pool_weights: { p1: 0.7, p2: 0.3, p3: 0 } }
  origins:
    default_pools: [weighted]
  sticky:
    default_pools: [sticky]
`);

const POOL_BY_IP = new Map<string, string>();
for (const pool of config.pools.values()) for (const o of pool.origins) POOL_BY_IP.set(o.address, pool.name);

function poolDown(...names: string[]): HealthSnapshot {
  return healthWithDown(names.flatMap((n) => config.pools.get(n)!.origins.map((o) => o.healthKey!)));
}

/** Answer (first record's address) per client for one load balancer. */
function answersFor(
  cfg: LbZoneConfig,
  health: HealthSnapshot,
  owner: string,
  clients: readonly string[],
  qtype: number = RRType.A,
): string[] {
  const prepared = prepareLb(cfg, health);
  const random = seededRandom(99);
  return clients.map(
    (c) =>
      answerText(steer(prepared, `${owner}.example.com`, qtype, { client: client(c), geo: null, random, trace: null }).rrset)[0]!.split(
        ' ',
      )[1]!,
  );
}

function subnets(count: number, seed: number): string[] {
  const r = seededRandom(seed);
  const seen = new Set<string>();
  while (seen.size < count) {
    const n = Math.floor(r() * 2 ** 24);
    seen.add(`${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}.0/24`);
  }
  return [...seen];
}

function tally(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/** Pearson chi-square statistic of observed counts against expected probabilities. */
function chiSquare(observed: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>, n: number): number {
  let chi = 0;
  for (const [k, p] of expected) {
    const o = observed.get(k) ?? 0;
    chi += (o - n * p) ** 2 / (n * p);
  }
  return chi;
}
// Upper 0.1% points of the chi-square distribution.
const CHI2_999 = { 1: 10.83, 2: 13.82, 3: 16.27 } as const;

describe('hash pool steering (weighted rendezvous over client subnets)', () => {
  const clients = subnets(5000, 7);
  const before = answersFor(config, healthWithDown(), 'hash4', clients).map((ip) => POOL_BY_IP.get(ip)!);

  it('spreads subnets evenly over equal-weight pools', () => {
    const counts = tally(before);
    expect(counts.size).toBe(4);
    expect(chiSquare(counts, new Map(['p1', 'p2', 'p3', 'p4'].map((p) => [p, 0.25])), clients.length)).toBeLessThan(CHI2_999[3]);
  });

  it('a subnet keeps its answer across calls and across re-preparation', () => {
    const again = answersFor(config, healthWithDown([], 2), 'hash4', clients).map((ip) => POOL_BY_IP.get(ip)!);
    expect(again).toEqual(before);
  });

  it('when one of four pools dies, only its subnets move, spread over the other three', () => {
    const after = answersFor(config, poolDown('p2'), 'hash4', clients).map((ip) => POOL_BY_IP.get(ip)!);
    const moved = new Map<string, number>();
    let onDead = 0;
    for (let i = 0; i < clients.length; i++) {
      if (before[i] === 'p2') {
        onDead++;
        expect(after[i]).not.toBe('p2');
        moved.set(after[i]!, (moved.get(after[i]!) ?? 0) + 1);
      } else {
        expect(after[i], clients[i]).toBe(before[i]);
      }
    }
    expect(onDead).toBeGreaterThan(1000);
    expect(chiSquare(moved, new Map(['p1', 'p3', 'p4'].map((p) => [p, 1 / 3])), onDead)).toBeLessThan(CHI2_999[2]);
    // And when it comes back, everyone returns.
    expect(answersFor(config, healthWithDown([], 3), 'hash4', clients).map((ip) => POOL_BY_IP.get(ip)!)).toEqual(before);
  });

  it('honours pool weights', () => {
    const counts = tally(answersFor(config, healthWithDown(), 'hash31', clients).map((ip) => POOL_BY_IP.get(ip)!));
    expect(
      chiSquare(
        counts,
        new Map([
          ['p1', 0.75],
          ['p2', 0.25],
        ]),
        clients.length,
      ),
    ).toBeLessThan(CHI2_999[1]);
  });

  it('hashes the client address masked to its source prefix; IPv6 subnets too', () => {
    const same = answersFor(config, healthWithDown(), 'hash4', ['198.51.100.7/24', '198.51.100.200/24', '198.51.100.0/24']);
    expect(new Set(same).size).toBe(1);
    const r = seededRandom(5);
    const v6 = Array.from(
      { length: 2000 },
      () => `2001:db8:${Math.floor(r() * 65536).toString(16)}:${Math.floor(r() * 256).toString(16)}00::/56`,
    );
    const first = answersFor(config, healthWithDown(), 'hash4', v6, RRType.AAAA);
    expect(answersFor(config, healthWithDown(), 'hash4', v6, RRType.AAAA)).toEqual(first);
    expect(tally(first).size).toBe(4);
  });

  it('ECS scope is the client source prefix; 0 for a resolver without ECS', () => {
    const prepared = prepareLb(config, healthWithDown());
    const run = (c: string) =>
      steer(prepared, 'hash4.example.com', RRType.A, { client: client(c), geo: null, random: Math.random, trace: null }).scope;
    expect(run('198.51.100.0/24')).toBe(24);
    expect(run('198.51.100.0/20')).toBe(20);
    expect(run('2001:db8:1::/48')).toBe(48);
    expect(run('198.51.100.1')).toBe(0);
    // With one healthy pool the answer no longer depends on the client.
    const one = prepareLb(config, poolDown('p2', 'p3', 'p4'));
    expect(
      steer(one, 'hash4.example.com', RRType.A, { client: client('198.51.100.0/24'), geo: null, random: Math.random, trace: null }).scope,
    ).toBe(0);
  });
});

describe('hash origin steering', () => {
  const clients = subnets(5000, 11);
  const before = answersFor(config, healthWithDown(), 'sticky', clients);

  it('is stable per subnet and weighted', () => {
    expect(answersFor(config, healthWithDown([], 9), 'sticky', clients)).toEqual(before);
    const counts = tally(before);
    const expected = new Map([
      ['203.0.113.1', 0.2],
      ['203.0.113.2', 0.2],
      ['203.0.113.3', 0.2],
      ['203.0.113.4', 0.4],
    ]);
    expect(chiSquare(counts, expected, clients.length)).toBeLessThan(CHI2_999[3]);
  });

  it('moves only the dead origin’s subnets', () => {
    const after = answersFor(config, healthWithDown(['example.com/web@203.0.113.3:8080']), 'sticky', clients);
    for (let i = 0; i < clients.length; i++) {
      if (before[i] === '203.0.113.3') expect(after[i]).not.toBe('203.0.113.3');
      else expect(after[i]).toBe(before[i]);
    }
  });

  it('reports the source prefix as scope even under steering_policy off', () => {
    const prepared = prepareLb(config, healthWithDown());
    expect(
      steer(prepared, 'sticky.example.com', RRType.A, { client: client('198.51.100.0/24'), geo: null, random: Math.random, trace: null })
        .scope,
    ).toBe(24);
  });
});

describe('random steering by weight (20,000 seeded draws)', () => {
  const N = 20_000;

  it('draws origins by weight and never a drained one', () => {
    const prepared = prepareLb(config, healthWithDown());
    const random = seededRandom(1234);
    const seen = [];
    for (let i = 0; i < N; i++) {
      const out = steer(prepared, 'origins.example.com', RRType.A, { client: client('192.0.2.53'), geo: null, random, trace: null });
      expect(out.scope).toBe(0);
      seen.push(answerText(out.rrset)[0]!.split(' ')[1]!);
    }
    const counts = tally(seen);
    expect(counts.has('198.51.100.4')).toBe(false);
    const expected = new Map([
      ['198.51.100.1', 1 / 1.75],
      ['198.51.100.2', 0.5 / 1.75],
      ['198.51.100.3', 0.25 / 1.75],
    ]);
    expect(chiSquare(counts, expected, N)).toBeLessThan(CHI2_999[2]);
  });

  it('draws pools by pool_weights; a weight-0 pool is a standby', () => {
    const draw = (health: HealthSnapshot) => {
      const prepared = prepareLb(config, health);
      const random = seededRandom(4321);
      return tally(
        Array.from({ length: N }, () => {
          const out = steer(prepared, 'rand.example.com', RRType.A, { client: client('192.0.2.53'), geo: null, random, trace: null });
          return POOL_BY_IP.get(answerText(out.rrset)[0]!.split(' ')[1]!)!;
        }),
      );
    };
    const counts = draw(healthWithDown());
    expect(counts.has('p3')).toBe(false);
    expect(
      chiSquare(
        counts,
        new Map([
          ['p1', 0.7],
          ['p2', 0.3],
        ]),
        N,
      ),
    ).toBeLessThan(CHI2_999[1]);
    expect([...draw(poolDown('p1')).keys()]).toEqual(['p2']);
    expect([...draw(poolDown('p1', 'p2')).keys()]).toEqual(['p3']);
  });
});
