import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestGeoDb } from '../../test/support/geo-fixture.js';
import { healthWithDown, seededRandom } from '../../test/support/lb-fixtures.js';
import { loadOrigin } from '../config/config-loader.js';
import { StateHolder } from '../config/state.js';
import { geoDatabaseFromBuffer } from '../geo/database.js';
import { HealthTable } from '../health/table.js';
import { BytesClientIp, clientIpOf, type ClientIp } from '../net/client-ip.js';
import { silentLogger } from '../server/logger.js';
import { encodeQuery, type QueryOptions } from '../wire/encode-query.js';
import { QueryAnswer } from './answer.js';
import { CachedPipeline } from './cached-pipeline.js';
import { NO_READS } from './dynamic-source.js';
import { PacketCache, questionEnd } from './packet-cache.js';
import { QueryPipeline } from './pipeline.js';
import { ServerCookies } from './cookies/server-cookies.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'steerdns-packet-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
writeFileSync(
  path.join(tmp, 'pc.test.zone'),
  '$TTL 300\n@ IN SOA ns h 1 3600 600 86400 60\n  IN NS ns\nns IN A 192.0.2.1\nwww IN A 192.0.2.7\n',
);
writeFileSync(
  path.join(tmp, 'pc.test.lb.yaml'),
  `monitors:
  web: { port: 8080 }
pools:
  us: { latitude: 40.7, longitude: -74.0, origins: [ { name: a, address: 192.0.2.10 }, { name: b, address: 192.0.2.11, weight: 3 } ] }
  gb: { latitude: 51.5, longitude: -0.1, monitor: web, origins: [ { name: a, address: 198.51.100.10 } ] }
load_balancers:
  geo: { steering_policy: geo, default_pools: [us, gb], country_pools: { GB: [gb, us] } }
  hash: { steering_policy: hash, default_pools: [us, gb], location_strategy: { prefer_ecs: always } }
  rnd: { steering_policy: random, default_pools: [us, gb], random_steering: { pool_weights: { us: 0.5, gb: 0.5 } } }
`,
);
const loaded = loadOrigin('pc.test', path.join(tmp, 'pc.test.zone'), path.join(tmp, 'pc.test.lb.yaml'), tmp);
if (!('config' in loaded)) throw new Error(`bad fixture: ${loaded.errors.map((e) => e.describe()).join('; ')}`);
const origin = loaded.config;

function stateFor(): StateHolder {
  const holder = new StateHolder(new HealthTable().snapshot(), geoDatabaseFromBuffer(buildTestGeoDb('city'), 'test.mmdb'));
  holder.setOrigins(new Map([['pc.test', origin]]));
  return holder;
}

const RESOLVER = clientIpOf('127.0.0.1');
const ecs = (a: number, b: number, c: number) => ({ family: 1, sourcePrefix: 24, address: Uint8Array.from([a, b, c]) });
const query = (qname: string, more: Partial<QueryOptions> = {}): Buffer => encodeQuery({ qname, qtype: 1, id: 7, rd: true, ...more });

describe('packet cache', () => {
  it('answers a repeated question with its ID, RD/CD bits and spelling, and the same bytes and facts as the plain path', () => {
    // The same random source on both sides: a hit draws once, as steering does, so they stay in step.
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger(), random: seededRandom(7) });
    const plain = new QueryPipeline({ state: stateFor(), logger: silentLogger(), random: seededRandom(7) });
    const asks: Buffer[] = [
      query('geo.pc.test', { edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } }),
      query('GEO.Pc.Test', { id: 9, rd: false, cd: true, edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } }),
      query('www.pc.test', { edns: { udpSize: 4096 } }),
      query('WWW.pc.test', { id: 0xbeef, rd: false, edns: { udpSize: 4096 } }),
      query('nope.pc.test', { id: 3 }),
      query('nope.pc.test', { id: 4 }),
      query('example.org', { id: 5 }),
      query('example.org', { id: 6 }),
      query('www.pc.test', { id: 0x1234, cd: true, edns: { udpSize: 4096 } }),
    ];
    const sources: string[] = [];
    for (const packet of asks) {
      const a = cached.answer(packet, RESOLVER, 'udp');
      sources.push(a.source);
      const factsOf = (x: typeof a) => ({
        kind: x.kind,
        zone: x.zone,
        lb: x.lb,
        pool: x.pool,
        origins: x.origins,
        scope: x.ecsScope,
        qtype: x.qtype,
        rcode: x.rcode,
        ecs: x.ecsFamily,
        sets: x.answerSets,
      });
      const facts = factsOf(a);
      // As the batched transport takes it (into its output slot), then as a Buffer.
      const slot = new Uint8Array(a.byteLength + 5).fill(0xee);
      const written = a.writeTo(slot, 5);
      const bytes = Buffer.from(a.bytes!);
      expect(Buffer.from(slot.subarray(5, 5 + written))).toEqual(bytes);
      const b = plain.answer(packet, RESOLVER, 'udp');
      expect(bytes).toEqual(Buffer.from(b.bytes!));
      expect(facts).toEqual(factsOf(b));
    }
    // Every second ask is the first one's question (the last, the third of its kind): from the
    // packet cache, which patched only copies of what it keeps.
    expect(sources.filter((_, i) => i % 2 === 1 || i === 8)).toEqual(Array(5).fill('packet-cache'));
    expect(sources.filter((_, i) => i % 2 === 0 && i !== 8)).not.toContain('packet-cache');
    const reply = dnsPacket.decode(Buffer.from(cached.answer(asks[1]!, RESOLVER, 'udp').bytes!));
    expect(reply.id).toBe(9);
    expect(reply.flag_rd).toBe(false);
    expect(reply.flag_cd).toBe(true);
    expect(reply.questions![0]!.name).toBe('GEO.Pc.Test');
  });

  it('keeps each ECS subnet apart: another /24 is its own question', () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger(), random: seededRandom(3) });
    const plain = new QueryPipeline({ state: stateFor(), logger: silentLogger(), random: seededRandom(3) });
    for (const subnet of [ecs(127, 0, 1), ecs(127, 0, 0), ecs(127, 0, 1), ecs(127, 0, 0)]) {
      const packet = query('geo.pc.test', { edns: { udpSize: 1232, ecs: subnet } });
      expect(Buffer.from(cached.answer(packet, RESOLVER, 'udp').bytes!)).toEqual(Buffer.from(plain.answer(packet, RESOLVER, 'udp').bytes!));
    }
    // The US subnet's answer is one of two origins (a weighted pick): kept per index drawn.
    const stats = (cached as unknown as { packets: PacketCache }).packets.stats();
    expect(stats.entries).toBeGreaterThanOrEqual(2);
    expect(stats.hits).toBeGreaterThanOrEqual(1);
  });

  it("keeps an answer that drew one weighted pick per index drawn, at steering's odds", () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger() });
    // A US subnet: the us pool, origin a (weight 1) or b (weight 3) drawn per query.
    const packet = query('geo.pc.test', { edns: { udpSize: 1232, ecs: ecs(127, 0, 0) } });
    const origins = new Map<string, number>();
    const sources = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const a = cached.answer(packet, RESOLVER, 'udp');
      origins.set(a.origins.join(), (origins.get(a.origins.join()) ?? 0) + 1);
      sources.set(a.source, (sources.get(a.source) ?? 0) + 1);
    }
    expect([...origins.keys()].sort()).toEqual(['a', 'b']);
    // 1 in 4 for a: a binomial standard deviation of 0.7% at this n; 4% is beyond 5 of them.
    expect(Math.abs(origins.get('a')! / n - 0.25)).toBeLessThan(0.04);
    // Both answers are kept after their first draw: every later query is a hit.
    expect(sources.get('packet-cache')).toBeGreaterThan(n - 10);
  });

  it('never keeps an answer that drew twice (a random pool, then an origin in it)', () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger() });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const a = cached.answer(query('rnd.pc.test', { id: i }), RESOLVER, 'udp');
      expect(a.source).not.toBe('packet-cache');
      seen.add(a.pool ?? '');
    }
    expect([...seen].sort()).toEqual(['gb', 'us']);
  });

  it("keys an answer that read the resolver's address by that address, and one that read only ECS by ECS", () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger() });
    const plain = new QueryPipeline({ state: stateFor(), logger: silentLogger() });
    const resolvers = Array.from({ length: 40 }, (_, i) => clientIpOf(`127.0.${i}.1`));
    const byResolver = query('hash.pc.test', { edns: { udpSize: 1232 } });
    let hits = 0;
    for (let round = 0; round < 4; round++) {
      for (const r of resolvers) {
        const a = cached.answer(byResolver, r, 'udp');
        if (round === 0) expect(a.source).not.toBe('packet-cache');
        if (a.source === 'packet-cache') hits++;
        expect(a.pool).toBe(plain.answer(byResolver, r, 'udp').pool);
      }
    }
    // An entry per resolver; within it an answer per origin drawn (two at most), each missing
    // once: after the first round, at most one more miss per resolver.
    expect(hits).toBeGreaterThanOrEqual(2 * resolvers.length);
    // The hash spreads these resolvers over both pools, so a shared entry would have shown.
    expect(new Set(resolvers.map((r) => plain.answer(byResolver, r, 'udp').pool)).size).toBe(2);
    // With ECS the hash reads the subnet only: the resolvers share one entry (two answers at most).
    const byEcs = query('hash.pc.test', { edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } });
    const sources = resolvers.map((r) => cached.answer(byEcs, r, 'udp').source);
    expect(sources.filter((s) => s !== 'packet-cache').length).toBeLessThanOrEqual(3);
  });

  it("never lets resolvers share an answer that read one resolver's address behind a draw", () => {
    // An entry made by an answer that read no resolver address is shared; an answer for another
    // index of the same draw that did read it must not join that entry.
    const state = stateFor().current;
    const cache = new PacketCache(10);
    const packet = query('geo.pc.test', { edns: { udpSize: 1232, ecs: ecs(127, 0, 0) } });
    const out = new QueryPipeline({ state: stateFor(), logger: silentLogger() }).answer(packet, RESOLVER, 'udp');
    const cumulative = Float64Array.from([1, 2]);
    const a = clientIpOf('127.0.0.1');
    const b = clientIpOf('127.0.9.9');
    cache.store(
      cache.find(packet, a, state),
      packet,
      a,
      state,
      out,
      { resolver: false, draws: 1, pick: { cumulative, count: 2, index: 0 } },
      false,
    );
    cache.store(
      cache.find(packet, a, state),
      packet,
      a,
      state,
      out,
      { resolver: true, draws: 1, pick: { cumulative, count: 2, index: 1 } },
      false,
    );
    const entry = cache.find(packet, b, state);
    expect(entry).not.toBe(0);
    expect(cache.answer(entry, 0, packet, new QueryAnswer())).toBe(true);
    expect(cache.answer(entry, 1, packet, new QueryAnswer())).toBe(false);
    expect(cache.stats().entries).toBe(1);
  });

  it('serves nothing from a previous serving state: a health change shows in the next answer', () => {
    const state = stateFor();
    const cached = new CachedPipeline({ state, logger: silentLogger() });
    const packet = query('geo.pc.test', { edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } });
    expect(cached.answer(packet, RESOLVER, 'udp').pool).toBe('gb');
    expect(cached.answer(packet, RESOLVER, 'udp').source).toBe('packet-cache');
    state.setHealth(healthWithDown(['pc.test/web@198.51.100.10:8080'], 2));
    const after = cached.answer(packet, RESOLVER, 'udp');
    expect(after.source).not.toBe('packet-cache');
    expect(after.pool).toBe('us');
  });

  it('answers over TCP and queries with cookies on the other paths only', () => {
    const cookies = new ServerCookies({ current: Buffer.alloc(16, 1), previous: null });
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger(), cookies });
    const withCookie = query('www.pc.test', {
      edns: { udpSize: 1232, options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }] },
    });
    for (let i = 0; i < 3; i++) {
      expect(cached.answer(withCookie, RESOLVER, 'udp').source).not.toBe('packet-cache');
      expect(cached.answer(query('www.pc.test'), RESOLVER, 'tcp').source).not.toBe('packet-cache');
    }
  });

  it('keeps what it needs of the query out of the receive buffer, which the socket reuses', () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger() });
    const ring = Buffer.alloc(512);
    const packet = query('geo.pc.test', { edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } });
    packet.copy(ring);
    const client = new BytesClientIp().set(Uint8Array.from([127, 0, 0, 1]), 0, 4);
    cached.answer(ring.subarray(0, packet.length), client, 'udp');
    ring.fill(0xee);
    const hit = cached.answer(Buffer.from(packet), client, 'udp');
    expect(hit.source).toBe('packet-cache');
    expect([...hit.query!.edns!.ecs!.address]).toEqual([127, 0, 1]);
    expect(Buffer.from(hit.query!.qnameWire).toString('latin1')).toContain('geo');
    expect([...hit.reply!.edns!.ecs!.address]).toEqual([127, 0, 1]);
  });

  it('keeps nothing for a signed zone, with a capacity of 0, or past its capacity', () => {
    const state = stateFor().current;
    const fill = (cache: PacketCache, packet: Buffer, client: ClientIp, signed: boolean) => {
      const plain = new QueryPipeline({ state: stateFor(), logger: silentLogger() });
      const out = plain.answer(packet, client, 'udp');
      cache.store(cache.find(packet, client, state), packet, client, state, out, NO_READS, signed);
    };
    const signed = new PacketCache(10);
    fill(signed, query('www.pc.test'), RESOLVER, true);
    expect(signed.stats().entries).toBe(0);
    const off = new PacketCache(0);
    fill(off, query('www.pc.test'), RESOLVER, false);
    expect(off.stats().entries).toBe(0);
    const small = new PacketCache(2);
    for (const id of [1, 2, 3]) fill(small, query(`h${id}.pc.test`), RESOLVER, false);
    // Full at 2: the third question started it over.
    expect(small.stats().entries).toBe(1);
  });

  it('keys a message alike in any letter case and from any place in its buffer, and folds letters only', () => {
    const state = stateFor().current;
    const out = new QueryPipeline({ state: stateFor(), logger: silentLogger() }).answer(query('www.pc.test'), RESOLVER, 'udp');
    const isLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    // A message at `offset` of a buffer full of junk: the word-at-a-time path reads past its end.
    const placed = (message: Uint8Array, offset: number, junk: number) => {
      const buffer = new Uint8Array(offset + message.length + 8).fill(junk);
      buffer.set(message, offset);
      return buffer.subarray(offset, offset + message.length);
    };
    const label = fc.uint8Array({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ maxLength: 9 }),
        fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        fc.constantFrom(0, 1, 2, 3, 4, 8),
        fc.constantFrom(0, 1, 2, 3, 4, 8),
        fc.integer({ min: 0, max: 255 }),
        (labels, tail, flips, at, otherAt, junk) => {
          const name = labels.flatMap((l) => [l.length, ...l]);
          const message = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 0, 1, 0, 1, ...tail]);
          const cache = new PacketCache(10);
          const first = placed(message, at, junk);
          cache.store(cache.find(first, RESOLVER, state), first, RESOLVER, state, out, NO_READS, false);
          // The same question in other letter cases, ID and RD bit, elsewhere in another buffer.
          const other = Uint8Array.from(message);
          other[0] = 0x56;
          other[2] = 0x00;
          for (let i = 12; i < 12 + name.length; i++) if (isLetter(other[i]!) && flips[i % 64]) other[i]! ^= 0x20;
          expect(cache.find(placed(other, otherAt, junk ^ 0xff), RESOLVER, state)).not.toBe(0);
          // A byte of the name that is not a letter, changed by the bit that folds letters: another question.
          let i = 13;
          while (i < 12 + name.length && (isLetter(message[i]!) || isLetter(message[i]! ^ 0x20))) i++;
          if (i < 12 + name.length && name.length > 0) {
            const changed = Uint8Array.from(message);
            changed[i]! ^= 0x20;
            // Unless it was a label length: then the message may no longer be a question at all.
            if (questionEnd(changed) === questionEnd(message)) expect(cache.find(placed(changed, otherAt, junk), RESOLVER, state)).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes a kept reply word by word into an aligned slot exactly as byte by byte', () => {
    const cached = new CachedPipeline({ state: stateFor(), logger: silentLogger() });
    const plain = new QueryPipeline({ state: stateFor(), logger: silentLogger() });
    // Packets at word boundaries of their own buffers, as in the batched path's receive ring.
    const aligned = (packet: Buffer) => {
      const ring = new Uint8Array(new ArrayBuffer(packet.length + 64), 8, packet.length + 8);
      ring.set(packet);
      return ring.subarray(0, packet.length);
    };
    const asks = [
      query('www.pc.test', { id: 0x0102, edns: { udpSize: 4096 } }),
      query('WwW.PC.test', { id: 0xfffe, rd: false, cd: true, edns: { udpSize: 4096 } }),
      query('geo.pc.test', { id: 0x1111, edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } }),
      query('gEo.pC.tESt', { id: 0x2222, rd: false, edns: { udpSize: 1232, ecs: ecs(127, 0, 1) } }),
    ];
    const output = new ArrayBuffer(4096);
    const outBytes = new Uint8Array(output);
    const outWords = new Int32Array(output);
    for (const [i, ask] of asks.entries()) {
      const packet = aligned(ask);
      const a = cached.answer(packet, RESOLVER, 'udp');
      outBytes.fill(0xee);
      const length = a.writeTo(outBytes, 1024, outWords);
      const bytes = Buffer.from(a.bytes!);
      expect(Buffer.from(outBytes.subarray(1024, 1024 + length))).toEqual(bytes);
      expect(bytes).toEqual(Buffer.from(plain.answer(ask, RESOLVER, 'udp').bytes!));
      if (i % 2 === 1) expect(a.source).toBe('packet-cache');
    }
  });

  it('takes only plain one-question queries as keys', () => {
    expect(questionEnd(query('www.pc.test'))).toBe(12 + 13);
    expect(questionEnd(query('www.pc.test', { qr: true }))).toBe(-1);
    expect(questionEnd(query('www.pc.test', { opcode: 4 }))).toBe(-1);
    expect(questionEnd(query('www.pc.test').subarray(0, 20))).toBe(-1);
    const pointer = query('www.pc.test');
    pointer[12] = 0xc0;
    expect(questionEnd(pointer)).toBe(-1);
    const two = query('www.pc.test');
    two[5] = 2;
    expect(questionEnd(two)).toBe(-1);
  });
});
