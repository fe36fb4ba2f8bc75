// Load balancing end to end: the real server, real monitors probing real loopback backends of
// every monitor type, answers checked over real UDP. Health changes are waited for with
// deadline polls on the answers themselves, never fixed sleeps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestGeoDb } from './support/geo-fixture.js';
import { dnsBackend, httpBackend, smtpBackend, tcpBackend, type Backend } from './support/backends.js';
import { buildQuery, decode, type DecodedReply, type QuerySpec } from './support/dns-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { eventually } from './support/eventually.js';

const ZONE = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 60
         IN NS  ns
ns       IN A   192.0.2.1
geo      IN TXT "static data beside a load balancer keeps working"
mail     IN MX  10 fo
alias    IN CNAME geo
`;

let dir: string;
let t: TestServer;
const b: Record<string, Backend> = {};

function lbYaml(): string {
  const o = (name: string, backend: Backend, extra = ''): string =>
    `      - { name: ${name}, address: ${backend.host}, port: ${backend.port}${extra} }`;
  return `
monitors:
  web:
    type: http
    path: /health
    expected_codes: "2xx"
    expected_body: ok
    interval: 1
    timeout: 0.5
    retries: 0
  web2:
    type: http
    path: /health
    interval: 1
    timeout: 0.5
    retries: 0
    consecutive_down: 2
  tls:
    type: https
    allow_insecure: true
    interval: 1
    timeout: 0.5
    retries: 0
  conn:
    type: tcp
    interval: 1
    timeout: 0.5
    retries: 0
  resolver:
    type: dns
    query_name: health.check
    query_type: A
    expected_rcode: NOERROR
    interval: 1
    timeout: 0.5
    retries: 0
  mta:
    type: smtp
    interval: 1
    timeout: 0.5
    retries: 0
pools:
  fo-a:
    monitor: web
    origins:
${o('a', b.foA!)}
  fo-b:
    monitor: tls
    origins:
${o('b', b.foB!)}
  closed:
    monitor: conn
    origins:
${o('c', b.closed!)}
  drain:
    origin_steering: { policy: all }
    origins:
      - { name: live, address: 192.0.2.15 }
      - { name: drained, address: 192.0.2.16, enabled: false }
      - { name: live6, address: "2001:db8::15" }
  w1:
    origins: [ { name: w1, address: 192.0.2.101 } ]
  w2:
    origins: [ { name: w2, address: 192.0.2.102 } ]
${[1, 2, 3, 4].map((i) => `  h${i}:\n    monitor: resolver\n    origins:\n${o(`h${i}`, b[`h${i}`]!)}`).join('\n')}
  us:
    origins: [ { name: us, address: 192.0.2.10 } ]
  eu:
    origins: [ { name: eu, address: 192.0.2.20 }, { name: eu6, address: "2001:db8::20" } ]
  ap:
    origins: [ { name: ap, address: 192.0.2.40 } ]
  sub:
    origins: [ { name: sub, address: 192.0.2.30 } ]
  ny:
    latitude: 40.7
    longitude: -74.0
    origins: [ { name: ny, address: 192.0.2.51 } ]
  london:
    latitude: 51.5
    longitude: -0.1
    origins: [ { name: london, address: 192.0.2.52 } ]
  tokyo:
    latitude: 35.7
    longitude: 139.7
    monitor: web2
    origins:
${o('tokyo', b.tokyo!)}
  mx:
    monitor: mta
    origins:
      - { name: mx1, address: localhost, priority: 10, port: ${b.mx1!.port} }
      - { name: mx2, address: localhost., priority: 20, port: ${b.mx2!.port} }
load_balancers:
  fo:
    steering_policy: "off"
    default_pools: [fo-a, fo-b]
    fallback_pool: fo-b
  fc:
    default_pools: [closed]
    fallback: none
  drained:
    default_pools: [drain]
  weighted:
    steering_policy: random
    default_pools: [w1, w2]
    random_steering: { pool_weights: { w1: 0.7, w2: 0.3 } }
  hashed:
    steering_policy: hash
    default_pools: [h1, h2, h3, h4]
  geo:
    steering_policy: geo
    default_pools: [us]
    subnet_pools: { "203.0.113.0/24": [sub] }
    country_pools: { GB: [eu], JP: [ap] }
    continent_pools: { EU: [eu], NA: [us] }
  geo-resolver:
    steering_policy: geo
    default_pools: [us]
    country_pools: { GB: [eu] }
    location_strategy: { prefer_ecs: never }
  near:
    steering_policy: proximity
    default_pools: [ny, london, tokyo]
  mailers:
    record_type: MX
    default_pools: [mx]
`;
}

beforeAll(async () => {
  b.foA = await httpBackend('127.0.0.11');
  b.foB = await httpBackend('127.0.0.12', true);
  b.closed = await tcpBackend('127.0.0.14');
  for (const i of [1, 2, 3, 4]) b[`h${i}`] = await dnsBackend(`127.0.0.${20 + i}`);
  b.tokyo = await httpBackend('127.0.0.25');
  b.mx1 = await smtpBackend('127.0.0.1');
  b.mx2 = await smtpBackend('127.0.0.1');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-lb-'));
  const zones = path.join(dir, 'zones');
  fs.mkdirSync(zones);
  fs.writeFileSync(path.join(zones, 'lb.test.zone'), ZONE);
  fs.writeFileSync(path.join(zones, 'lb.test.lb.yaml'), lbYaml());
  t = await startTestServer({ zonesDir: zones, geoip: writeTestGeoDb(dir) });
  await eventually('first probe round', () => t.server.isReady(), { timeoutMs: 10_000 });
}, 30_000);

afterAll(async () => {
  await t?.close();
  await Promise.all(Object.values(b).map((x) => x.close()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const addresses = (r: DecodedReply): string[] =>
  r.answers
    .filter((a) => a.type === 'A' || a.type === 'AAAA')
    .map((a) => a.data as string)
    .sort();
const a = async (name: string, extra: Partial<QuerySpec> = {}): Promise<DecodedReply> =>
  t.udp({ name: `${name}.lb.test`, type: 'A', ...extra });
const ecsOf = (r: DecodedReply): { scopePrefixLength: number; sourcePrefixLength: number } | undefined =>
  (r.additionals.find((x) => x.type === 'OPT')?.options as Array<Record<string, number>> | undefined)?.find((o) => o.code === 8) as
    | { scopePrefixLength: number; sourcePrefixLength: number }
    | undefined;
const withEcs = (ip: string, sourcePrefix: number): Partial<QuerySpec> => ({ edns: { ecs: { ip, sourcePrefix } } });

/** A query sent from a chosen loopback source address (the "resolver"). */
async function fromSource(source: string, spec: QuerySpec): Promise<DecodedReply> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, source, () => resolve()));
  try {
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), 2000);
      socket.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    socket.send(buildQuery(spec), t.port, t.host);
    return decode(await reply);
  } finally {
    socket.close();
  }
}

describe('failover, fallback, fail-closed, drain', () => {
  it('answers the first healthy pool, follows health both ways, and falls back fail-open', async () => {
    expect(addresses(await a('fo'))).toEqual(['127.0.0.11']);
    const r = await a('fo');
    expect(r.answers[0]!.ttl).toBe(30);
    expect(r.flag_aa).toBe(true);

    await b.foA!.setHealthy(false);
    await eventually('failover to fo-b (https monitor)', async () => addresses(await a('fo'))[0] === '127.0.0.12', { timeoutMs: 8000 });
    // The transition is recorded with its reason.
    const transition = t.server.health.recentTransitions().find((x) => x.key.includes('127.0.0.11') && !x.up);
    expect(transition?.reason).toMatch(/503/);

    // Both pools down: the fallback pool answers with health ignored (fail open).
    await b.foB!.setHealthy(false);
    await eventually('fo-b seen down', () => [...t.server.health.recentTransitions()].some((x) => x.key.includes('127.0.0.12') && !x.up), {
      timeoutMs: 8000,
    });
    expect(addresses(await a('fo'))).toEqual(['127.0.0.12']);

    await b.foA!.setHealthy(true);
    await b.foB!.setHealthy(true);
    await eventually('back to fo-a', async () => addresses(await a('fo'))[0] === '127.0.0.11', { timeoutMs: 8000 });
  });

  it('fails closed with NODATA when the only pool is down and fallback is none (tcp monitor)', async () => {
    expect(addresses(await a('fc'))).toEqual(['127.0.0.14']);
    await b.closed!.setHealthy(false);
    await eventually(
      'NODATA',
      async () => {
        const r = await a('fc');
        return r.rcode === 'NOERROR' && r.answers.length === 0 && r.authorities[0]?.type === 'SOA';
      },
      { timeoutMs: 8000 },
    );
    await b.closed!.setHealthy(true);
    await eventually('answering again', async () => addresses(await a('fc')).length === 1, { timeoutMs: 8000 });
  });

  it('never answers a drained origin', async () => {
    for (let i = 0; i < 50; i++) {
      expect(addresses(await a('drained'))).toEqual(['192.0.2.15']);
    }
    expect(addresses(await t.udp({ name: 'drained.lb.test', type: 'AAAA' }))).toEqual(['2001:db8::15']);
  });

  it('keeps static data beside a load balancer, and CNAMEs to it work', async () => {
    const txt = await t.udp({ name: 'geo.lb.test', type: 'TXT' });
    expect(txt.answers.map((x) => x.type)).toEqual(['TXT']);
    const viaAlias = await a('alias', withEcs('127.0.1.0', 24));
    expect(viaAlias.answers.map((x) => x.type)).toEqual(['CNAME', 'A']);
    expect(addresses(viaAlias)).toEqual(['192.0.2.20']);
  });
});

describe('weights and hashing', () => {
  it('splits random steering by pool_weights within a statistical tolerance', async () => {
    const n = 3000;
    let w1 = 0;
    for (let i = 0; i < n; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => a('weighted')));
      w1 += batch.filter((r) => addresses(r)[0] === '192.0.2.101').length;
    }
    // Binomial(3000, 0.7): sd ≈ 25; ±5 sd never flakes in practice.
    const sd = Math.sqrt(n * 0.7 * 0.3);
    expect(Math.abs(w1 - n * 0.7)).toBeLessThan(5 * sd);
  });

  it("keeps each client subnet on its pool, and moves only the dead pool's share (dns monitor)", async () => {
    const subnets = Array.from({ length: 400 }, (_, i) => `10.${i >> 8}.${i & 255}.0`);
    const before = new Map<string, string>();
    for (const s of subnets) {
      const r = await a('hashed', withEcs(s, 24));
      before.set(s, addresses(r)[0]!);
      expect(ecsOf(r)!.scopePrefixLength).toBe(24);
    }
    // Stable: asking again gives the same answer.
    for (const s of subnets.slice(0, 50)) expect(addresses(await a('hashed', withEcs(s, 24)))[0]).toBe(before.get(s));
    const shares = new Map<string, number>();
    for (const v of before.values()) shares.set(v, (shares.get(v) ?? 0) + 1);
    expect(shares.size).toBe(4);
    for (const count of shares.values()) expect(count).toBeGreaterThan(40);

    const victim = '127.0.0.23';
    await b.h3!.setHealthy(false);
    const onVictim = subnets.filter((s) => before.get(s) === victim);
    await eventually('h3 dead', async () => addresses(await a('hashed', withEcs(onVictim[0]!, 24)))[0] !== victim, { timeoutMs: 8000 });
    let moved = 0;
    for (const s of subnets) {
      const now = addresses(await a('hashed', withEcs(s, 24)))[0]!;
      if (before.get(s) === victim) {
        expect(now).not.toBe(victim);
        moved++;
      } else {
        expect(now, s).toBe(before.get(s));
      }
    }
    expect(moved).toBe(onVictim.length);
    await b.h3!.setHealthy(true);
    await eventually('h3 back', async () => addresses(await a('hashed', withEcs(onVictim[0]!, 24)))[0] === victim, { timeoutMs: 8000 });
  });
});

describe('geo and proximity', () => {
  it('steers by ECS for IPv4 and IPv6, with the GeoIP network as scope', async () => {
    const gb = await a('geo', withEcs('127.0.1.0', 24));
    expect(addresses(gb)).toEqual(['192.0.2.20']);
    expect(ecsOf(gb)!.scopePrefixLength).toBe(24);
    const jp = await a('geo', withEcs('127.0.3.128', 25));
    expect(addresses(jp)).toEqual(['192.0.2.40']);
    const fr = await t.udp({ name: 'geo.lb.test', type: 'AAAA', ...withEcs('2001:db8:1::', 48) });
    expect(addresses(fr)).toEqual(['2001:db8::20']);
    expect(ecsOf(fr)!.scopePrefixLength).toBe(48);
    const ca = await a('geo', withEcs('127.0.2.0', 24));
    expect(addresses(ca)).toEqual(['192.0.2.10']);
  });

  it('a subnet_pools match wins, with its prefix as scope', async () => {
    const r = await a('geo', withEcs('203.0.113.0', 24));
    expect(addresses(r)).toEqual(['192.0.2.30']);
    expect(ecsOf(r)!.scopePrefixLength).toBe(24);
  });

  it('without ECS (or with source prefix 0) the resolver address locates the client, scope 0', async () => {
    expect(addresses(await fromSource('127.0.1.7', { name: 'geo.lb.test', type: 'A' }))).toEqual(['192.0.2.20']);
    expect(addresses(await fromSource('127.0.0.7', { name: 'geo.lb.test', type: 'A' }))).toEqual(['192.0.2.10']);
    const zero = await fromSource('127.0.1.7', { name: 'geo.lb.test', type: 'A', edns: { ecs: { ip: '0.0.0.0', sourcePrefix: 0 } } });
    expect(addresses(zero)).toEqual(['192.0.2.20']);
    expect(ecsOf(zero)!.scopePrefixLength).toBe(0);
    // prefer_ecs: never → the resolver address decides even when ECS says GB; scope 0.
    const never = await fromSource('127.0.0.7', { name: 'geo-resolver.lb.test', type: 'A', ...withEcs('127.0.1.0', 24) });
    expect(addresses(never)).toEqual(['192.0.2.10']);
    expect(ecsOf(never)!.scopePrefixLength).toBe(0);
  });

  it('random and off steering report scope 0', async () => {
    expect(ecsOf(await a('weighted', withEcs('127.0.1.0', 24)))!.scopePrefixLength).toBe(0);
    expect(ecsOf(await a('fo', withEcs('127.0.1.0', 24)))!.scopePrefixLength).toBe(0);
  });

  it('proximity picks the nearest healthy pool and moves to the next nearest when it dies', async () => {
    expect(addresses(await a('near', withEcs('127.0.3.0', 24)))).toEqual(['127.0.0.25']);
    expect(addresses(await a('near', withEcs('127.0.2.0', 24)))).toEqual(['192.0.2.51']);
    expect(addresses(await a('near', withEcs('127.0.1.0', 24)))).toEqual(['192.0.2.52']);
    const started = Date.now();
    await b.tokyo!.setHealthy(false);
    // Tokyo → London (9,560 km) is nearer than Tokyo → New York (10,850 km).
    await eventually('tokyo down', async () => addresses(await a('near', withEcs('127.0.3.0', 24)))[0] === '192.0.2.52', {
      timeoutMs: 8000,
    });
    // consecutive_down: 2 at a 1 s interval: one failure is not enough.
    expect(Date.now() - started).toBeGreaterThan(900);
    await b.tokyo!.setHealthy(true);
    await eventually('tokyo back', async () => addresses(await a('near', withEcs('127.0.3.0', 24)))[0] === '127.0.0.25', {
      timeoutMs: 8000,
    });
  });
});

describe('MX load balancers and additional processing', () => {
  it('answers only healthy MX targets (smtp monitor)', async () => {
    const exchanges = async (): Promise<string[]> =>
      (await t.udp({ name: 'mailers.lb.test', type: 'MX' })).answers.map((x) => JSON.stringify(x.data)).sort();
    expect(await exchanges()).toEqual([
      JSON.stringify({ preference: 10, exchange: 'localhost' }),
      JSON.stringify({ preference: 20, exchange: 'localhost' }),
    ]);
    await b.mx1!.setHealthy(false);
    await eventually('mx1 removed', async () => (await exchanges()).length === 1, { timeoutMs: 8000 });
    expect(await exchanges()).toEqual([JSON.stringify({ preference: 20, exchange: 'localhost' })]);
    await b.mx1!.setHealthy(true);
    await eventually('mx1 back', async () => (await exchanges()).length === 2, { timeoutMs: 8000 });
  });

  it('a static MX whose target is a load balancer gets the steered address in additional', async () => {
    const r = await t.udp({ name: 'mail.lb.test', type: 'MX' });
    expect(r.answers.map((x) => x.type)).toEqual(['MX']);
    expect(r.additionals.filter((x) => x.type === 'A').map((x) => `${x.name} ${x.data as string}`)).toEqual(['fo.lb.test 127.0.0.11']);
  });
});
