import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { clientIpOf } from '../net/client-ip.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildTestGeoDb } from '../../test/support/geo-fixture.js';
import { geoDatabaseFromBuffer } from '../geo/database.js';
import { seededRandom } from '../../test/support/lb-fixtures.js';
import type { RRset } from '../wire/types.js';
import { loadOrigin } from '../config/config-loader.js';
import { ReplyCache as ReplyCacheClass, SteeredReplyCache } from './reply-cache.js';
import dnsPacket from 'dns-packet';
import { encodeQuery } from '../wire/encode-query.js';
import { HealthTable } from '../health/table.js';
import { buildZone } from '../zone/build.js';
import { parseZoneText } from '../zone/parser.js';
import type { QueryAnswer } from './answer.js';
import { CachedPipeline } from './cached-pipeline.js';
import { QueryPipeline } from './pipeline.js';
import type { ReplyCache } from './reply-cache.js';
import { silentLogger } from '../server/logger.js';
import { StateHolder, type OriginConfig } from '../config/state.js';

function stateWith(text: string): StateHolder {
  const parsed = parseZoneText(text, { file: 'mem.zone', origin: 'cache.test', zonesDir: '/' });
  const built = buildZone('cache.test', parsed.records, { file: 'mem.zone' });
  if (!('zone' in built)) throw new Error('bad fixture');
  const holder = new StateHolder(new HealthTable().snapshot(), null);
  const origin: OriginConfig = { origin: 'cache.test', zone: built.zone, lb: null, zoneFile: 'mem.zone', lbFile: null, loadedAt: 0 };
  holder.setOrigins(new Map([['cache.test', origin]]));
  return holder;
}

const ZONE = (addr: string): string => `$TTL 60
@   IN SOA ns h 1 1 1 1 1
    IN NS ns
ns  IN A 192.0.2.1
www IN A ${addr}
`;

const ask = (p: QueryPipeline, qname: string, id: number, rd: boolean) =>
  dnsPacket.decode(Buffer.from(p.answer(encodeQuery({ id, qname, qtype: 1, rd }), clientIpOf('127.0.0.1'), 'udp').bytes!)) as unknown as {
    id: number;
    flag_rd: boolean;
    questions: { name: string }[];
    answers: { name: string; data: string }[];
  };

/** What a QueryAnswer says, minus how its bytes were made. */
const facts = (a: QueryAnswer) => ({
  kind: a.kind,
  zone: a.zone,
  rcode: a.reply?.rcode,
  wildcard: a.wildcard,
  cname: a.cname,
  truncated: a.truncated,
  lb: a.lb,
  pool: a.pool,
  origins: a.origins,
  ecsScope: a.ecsScope,
});

describe('reply cache', () => {
  it("serves repeated questions with each client's ID, RD bit and letter case", () => {
    const p = new CachedPipeline({ state: stateWith(ZONE('192.0.2.7')), logger: silentLogger() });
    const first = ask(p, 'www.cache.test', 1, true);
    const second = ask(p, 'WWW.Cache.TEST', 2, false);
    expect(first.id).toBe(1);
    expect(first.flag_rd).toBe(true);
    expect(second.id).toBe(2);
    expect(second.flag_rd).toBe(false);
    expect(second.questions[0]!.name).toBe('WWW.Cache.TEST');
    expect(second.answers[0]!.name).toBe('WWW.Cache.TEST');
    expect(second.answers[0]!.data).toBe('192.0.2.7');
  });

  it('never serves an answer from a previous serving state', () => {
    const state = stateWith(ZONE('192.0.2.7'));
    const p = new CachedPipeline({ state, logger: silentLogger() });
    expect(ask(p, 'www.cache.test', 1, true).answers[0]!.data).toBe('192.0.2.7');
    state.setOrigins(stateWith(ZONE('192.0.2.8')).current.origins);
    expect(ask(p, 'www.cache.test', 2, true).answers[0]!.data).toBe('192.0.2.8');
  });

  it('keeps its entries across health and GeoIP swaps (cached replies come from zone data only)', () => {
    const state = stateWith(ZONE('192.0.2.7'));
    const p = new CachedPipeline({ state, logger: silentLogger() });
    const cache = (p as unknown as { cache: ReplyCache }).cache;
    ask(p, 'www.cache.test', 1, true);
    state.setHealth(new HealthTable().snapshot());
    state.setGeo(null);
    ask(p, 'ns.cache.test', 2, true);
    expect(state.current.generation).toBeGreaterThan(1);
    expect(cache.size).toBe(2);
    state.setOrigins(stateWith(ZONE('192.0.2.8')).current.origins);
    ask(p, 'ns.cache.test', 3, true);
    expect(cache.size).toBe(1);
  });

  it('gives the same bytes as an uncached pipeline', () => {
    const cached = new CachedPipeline({ state: stateWith(ZONE('192.0.2.7')), logger: silentLogger() });
    const plain = new QueryPipeline({ state: stateWith(ZONE('192.0.2.7')), logger: silentLogger() });
    for (const [qname, id] of [
      ['www.cache.test', 5],
      ['Www.cache.test', 6],
      ['nope.cache.test', 7],
      ['nope.cache.test', 8],
    ] as const) {
      const q = encodeQuery({ id, qname, qtype: 1, rd: true, edns: { udpSize: 4096 } });
      expect(Buffer.from(cached.answer(q, clientIpOf('127.0.0.1'), 'udp').bytes!)).toEqual(
        Buffer.from(plain.answer(q, clientIpOf('127.0.0.1'), 'udp').bytes!),
      );
    }
  });
});

describe('static reply cache keys', () => {
  it('finds an entry by name, type and shape only, and the shapes of different settings never collide', () => {
    const shapes = new Set<number>();
    for (const size of [512, 1232, 4096, 65535])
      for (const hasEdns of [false, true])
        for (const dnssecOk of hasEdns ? [false, true] : [false])
          for (const tcp of [false, true]) shapes.add(ReplyCacheClass.shape(size, dnssecOk, hasEdns, tcp));
    expect(shapes.size).toBe(4 * 3 * 2);
    const cache = new ReplyCacheClass();
    cache.sync(1);
    const answer = (n: number) =>
      ({
        bytes: Buffer.from([n]),
        kind: 'answer',
        zone: 'cache.test',
        reply: {},
        wildcard: null,
        cname: false,
        truncated: false,
      }) as unknown as QueryAnswer;
    const shape = ReplyCacheClass.shape(1232, false, true, false);
    const other = ReplyCacheClass.shape(1232, true, true, false);
    cache.set('www.cache.test', 1, shape, answer(1));
    cache.set('www.cache.test', 28, shape, answer(2));
    cache.set('www.cache.test', 1, other, answer(3));
    expect([...cache.get('www.cache.test', 1, shape)!.bytes]).toEqual([1]);
    expect([...cache.get('www.cache.test', 28, shape)!.bytes]).toEqual([2]);
    expect([...cache.get('www.cache.test', 1, other)!.bytes]).toEqual([3]);
    expect(cache.get('www.cache.test', 1, ReplyCacheClass.shape(512, false, false, false))).toBeUndefined();
    expect(cache.get('ns.cache.test', 1, shape)).toBeUndefined();
    expect(cache.size).toBe(3);
    cache.sync(2);
    expect(cache.get('www.cache.test', 1, shape)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('steered-reply cache', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'steerdns-steered-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(
    path.join(tmp, 'lb.test.zone'),
    '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n  IN NS ns\nns IN A 192.0.2.1\ntxt IN TXT "static"\n',
  );
  writeFileSync(
    path.join(tmp, 'lb.test.lb.yaml'),
    `pools:
  us: { latitude: 40.7, longitude: -74.0, origins: [ { name: a, address: 192.0.2.10 }, { name: b, address: 192.0.2.11, weight: 3 }, { name: c, address: "2001:db8::c" } ] }
  gb: { latitude: 51.5, longitude: -0.1, origins: [ { name: a, address: 198.51.100.10 }, { name: b, address: "2001:db8::b" } ] }
  jp: { latitude: 35.7, longitude: 139.7, origin_steering: { policy: all }, origins: [ { name: a, address: 203.0.113.10 }, { name: b, address: 203.0.113.11 } ] }
load_balancers:
  geo: { steering_policy: geo, default_pools: [us, gb, jp], country_pools: { GB: [gb, us], JP: [jp, us] } }
  hash: { steering_policy: hash, default_pools: [us, gb, jp] }
  near: { steering_policy: proximity, default_pools: [us, gb, jp] }
  rnd: { steering_policy: random, default_pools: [us, gb], random_steering: { pool_weights: { us: 0.5, gb: 0.5 } } }
  alias: { default_pools: [us] }
`,
  );
  const loaded = loadOrigin('lb.test', path.join(tmp, 'lb.test.zone'), path.join(tmp, 'lb.test.lb.yaml'), tmp);
  if (!('config' in loaded)) throw new Error(`bad fixture: ${loaded.errors.map((e) => e.describe()).join('; ')}`);
  const stateFor = (): StateHolder => {
    const holder = new StateHolder(new HealthTable().snapshot(), geoDatabaseFromBuffer(buildTestGeoDb('city'), 'test.mmdb'));
    holder.setOrigins(new Map([['lb.test', loaded.config]]));
    return holder;
  };

  it('gives the same bytes as an uncached pipeline for any load-balanced question, ECS and EDNS shape', () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger() });
    const plain = new QueryPipeline({ state: stateFor(), logger: silentLogger() });
    const ecs4 = fc
      .record({
        family: fc.constant(1),
        sourcePrefix: fc.constantFrom(8, 16, 20, 24, 25, 32),
        a: fc.constantFrom(127, 198, 203, 8),
        rest: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 3, maxLength: 3 }),
      })
      .map(({ family, sourcePrefix, a, rest }) => {
        const full = [a, ...rest];
        const bytes = full.slice(0, Math.ceil(sourcePrefix / 8));
        if (sourcePrefix % 8 !== 0) bytes[bytes.length - 1]! &= 0xff << (8 - (sourcePrefix % 8));
        return { family, sourcePrefix, address: Uint8Array.from(bytes) };
      });
    const ecs6 = fc
      .record({ sourcePrefix: fc.constantFrom(32, 48, 56), third: fc.constantFrom(1, 2, 3) })
      .map(({ sourcePrefix, third }) => {
        const full = [0x20, 0x01, 0x0d, 0xb8, 0, third, 0x12, 0x34];
        return { family: 2, sourcePrefix, address: Uint8Array.from(full.slice(0, sourcePrefix / 8)) };
      });
    const question = fc.record({
      name: fc.constantFrom('geo', 'hash', 'near', 'rnd', 'alias', 'txt', 'nope'),
      upper: fc.boolean(),
      qtype: fc.constantFrom(1, 28, 5, 16, 255),
      edns: fc.oneof(
        fc.constant(null),
        fc.record({ udpSize: fc.constantFrom(512, 1232, 4096), dnssecOk: fc.boolean(), ecs: fc.oneof(fc.constant(null), ecs4, ecs6) }),
      ),
      resolver: fc.constantFrom('127.0.1.5', '127.0.3.9', '192.0.2.77', '::1'),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(fc.array(question, { minLength: 1, maxLength: 30 }), (questions) => {
        // Every question twice: the second one is answered from the cache when it can be.
        for (const q of [...questions, ...questions]) {
          const qname = `${q.upper ? q.name.toUpperCase() : q.name}.Lb.Test`;
          const packet = encodeQuery({ id: q.seed & 0xffff, qname, qtype: q.qtype, rd: (q.seed & 1) === 1, edns: q.edns });
          const random = vi.spyOn(Math, 'random');
          try {
            random.mockImplementation(seededRandom(q.seed));
            const a = cached.answer(packet, clientIpOf(q.resolver), 'udp');
            random.mockImplementation(seededRandom(q.seed));
            const b = plain.answer(packet, clientIpOf(q.resolver), 'udp');
            expect(Buffer.from(a.bytes!)).toEqual(Buffer.from(b.bytes!));
            // The cached path reports the same answer as the plain one, not just the same bytes.
            expect(facts(a)).toEqual(facts(b));
          } finally {
            random.mockRestore();
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a reply only when its tail is the ECS address it echoes, and finds it by every part of its shape', () => {
    const cache = new SteeredReplyCache();
    const rrset = [] as unknown as RRset;
    const edns = {
      udpSize: 1232,
      dnssecOk: false,
      ecs: { family: 1 as const, sourcePrefix: 24, scopePrefix: 16, address: Uint8Array.from([198, 51, 100]) },
    };
    cache.set(rrset, 'geo.lb.test', 1, 1232, edns, Buffer.from([1, 2, 3, 9, 9, 9]));
    expect(cache.get(rrset, 'geo.lb.test', 1, 1232, edns)).toBeUndefined();
    const bytes = Buffer.from([1, 2, 3, 198, 51, 100]);
    cache.set(rrset, 'geo.lb.test', 1, 1232, edns, bytes);
    expect(cache.get(rrset, 'geo.lb.test', 1, 1232, edns)).toBe(bytes);
    expect(cache.get(rrset, 'geo.lb.test', 1, 1232, { ...edns, ecs: { ...edns.ecs, address: Uint8Array.from([1, 2, 3]) } })).toBe(bytes);
    expect(cache.get(rrset, 'geo.lb.test', 28, 1232, edns)).toBeUndefined();
    expect(cache.get(rrset, 'geo.lb.test', 1, 4096, edns)).toBeUndefined();
    expect(cache.get(rrset, 'other.lb.test', 1, 1232, edns)).toBeUndefined();
    expect(cache.get(rrset, 'geo.lb.test', 1, 1232, { ...edns, dnssecOk: true })).toBeUndefined();
    expect(cache.get(rrset, 'geo.lb.test', 1, 1232, { ...edns, ecs: { ...edns.ecs, scopePrefix: 24 } })).toBeUndefined();
    expect(cache.get(rrset, 'geo.lb.test', 1, 1232, { ...edns, ecs: null })).toBeUndefined();
    expect(cache.get([] as unknown as RRset, 'geo.lb.test', 1, 1232, edns)).toBeUndefined();
  });
});
