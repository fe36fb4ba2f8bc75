// Property tests for the typed RDATA parsers and formatters: any valid wire RDATA of these types
// prints as text that parses back to the same bytes, and arbitrary token soup never makes a
// parser throw anything but RDataError (which the zone parser reports with file:line).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rdataToText } from '../../wire/format.js';
import { nameToWire } from '../../wire/name.js';
import type { RR } from '../../wire/types.js';
import type { Token } from '../lexer.js';
import { parseRData, RDataError } from '../rdata-parse.js';
import { typeFromText, typeName } from '../rrtype-names.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const be16 = (v: number): number[] => [v >> 8, v & 0xff];
const be32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => [...b]);

// Label bytes that survive the parser's lowercasing (no A-Z), without '"', '(', ')' and ';': the
// canonical name text (src/wire/name.ts) leaves those bare, and a zone file reads them as syntax.
const ZONE_SYNTAX = new Set([0x22, 0x28, 0x29, 0x3b]);
const label = fc
  .uint8Array({ minLength: 1, maxLength: 12 })
  .map((b) => [...b].map((x) => (x >= 0x41 && x <= 0x5a ? x + 0x20 : ZONE_SYNTAX.has(x) ? 0x78 : x)));
const wireName = fc.array(label, { minLength: 0, maxLength: 4 }).map((ls) => [...ls.flatMap((l) => [l.length, ...l]), 0]);

const alnum = fc.constantFrom(...'aBz09SUP'.split('').map((c) => c.charCodeAt(0)));

const svcParams = fc
  .record({
    alpn: fc.option(fc.array(bytes(1, 8), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    noDefault: fc.boolean(),
    port: fc.option(u16, { nil: undefined }),
    ipv4: fc.option(fc.array(bytes(4, 4), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    ech: fc.option(bytes(1, 20), { nil: undefined }),
    ipv6: fc.option(fc.array(bytes(16, 16), { minLength: 1, maxLength: 2 }), { nil: undefined }),
    dohpath: fc.option(bytes(1, 10), { nil: undefined }),
    unknown: fc.uniqueArray(fc.tuple(fc.integer({ min: 8, max: 65534 }), bytes(0, 6)), { selector: (t) => t[0], maxLength: 3 }),
    mandatorySeed: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  })
  .map((p) => {
    const params = new Map<number, number[]>();
    if (p.alpn)
      params.set(
        1,
        p.alpn.flatMap((id) => [id.length, ...id]),
      );
    if (p.alpn && p.noDefault) params.set(2, []);
    if (p.port !== undefined) params.set(3, be16(p.port));
    if (p.ipv4) params.set(4, p.ipv4.flat());
    if (p.ech) params.set(5, p.ech);
    if (p.ipv6) params.set(6, p.ipv6.flat());
    if (p.dohpath) params.set(7, p.dohpath);
    for (const [k, v] of p.unknown) params.set(k, v);
    const present = [...params.keys()].sort((a, b) => a - b);
    const mandatory = present.filter((_, i) => p.mandatorySeed[i % 12]);
    if (mandatory.length > 0) params.set(0, mandatory.flatMap(be16));
    return [...params.entries()].sort((a, b) => a[0] - b[0]).flatMap(([k, v]) => [...be16(k), ...be16(v.length), ...v]);
  });

const lengthByte = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 9 })).map(([m, e]) => (m << 4) | e);

/** Valid wire RDATA per type. */
const WIRE: Record<string, fc.Arbitrary<number[]>> = {
  DS: fc.tuple(u16, u8, u8, bytes(1, 48)).map(([t, a, d, x]) => [...be16(t), a, d, ...x]),
  CDS: fc.tuple(u16, u8, u8, bytes(1, 48)).map(([t, a, d, x]) => [...be16(t), a, d, ...x]),
  DNSKEY: fc.tuple(u16, u8, u8, bytes(1, 100)).map(([f, p, a, k]) => [...be16(f), p, a, ...k]),
  CDNSKEY: fc.tuple(u16, u8, u8, bytes(1, 100)).map(([f, p, a, k]) => [...be16(f), p, a, ...k]),
  TLSA: fc.tuple(u8, u8, u8, bytes(1, 64)).map(([u, s, m, d]) => [u, s, m, ...d]),
  SMIMEA: fc.tuple(u8, u8, u8, bytes(1, 64)).map(([u, s, m, d]) => [u, s, m, ...d]),
  SSHFP: fc.tuple(u8, u8, bytes(1, 32)).map(([a, t, f]) => [a, t, ...f]),
  OPENPGPKEY: bytes(1, 100),
  CERT: fc.tuple(u16, u16, u8, bytes(1, 60)).map(([t, k, a, c]) => [...be16(t), ...be16(k), a, ...c]),
  NAPTR: fc
    .tuple(u16, u16, fc.array(alnum, { maxLength: 3 }), bytes(0, 20), bytes(0, 40), wireName)
    .map(([o, p, f, s, r, n]) => [...be16(o), ...be16(p), f.length, ...f, s.length, ...s, r.length, ...r, ...n]),
  URI: fc.tuple(u16, u16, bytes(1, 40)).map(([p, w, t]) => [...be16(p), ...be16(w), ...t]),
  RP: fc.tuple(wireName, wireName).map(([a, b]) => [...a, ...b]),
  AFSDB: fc.tuple(u16, wireName).map(([s, n]) => [...be16(s), ...n]),
  KX: fc.tuple(u16, wireName).map(([s, n]) => [...be16(s), ...n]),
  EUI48: bytes(6, 6),
  EUI64: bytes(8, 8),
  SPF: fc.array(bytes(0, 30), { minLength: 1, maxLength: 3 }).map((ss) => ss.flatMap((s) => [s.length, ...s])),
  LOC: fc
    .tuple(
      lengthByte,
      lengthByte,
      lengthByte,
      fc.integer({ min: -90 * 3_600_000, max: 90 * 3_600_000 }),
      fc.integer({ min: -180 * 3_600_000, max: 180 * 3_600_000 }),
      fc.integer({ min: 0, max: 0xffffffff }),
    )
    .map(([s, h, v, lat, lon, alt]) => [0, s, h, v, ...be32(2 ** 31 + lat), ...be32(2 ** 31 + lon), ...be32(alt)]),
  SVCB: fc.tuple(fc.integer({ min: 1, max: 0xffff }), wireName, svcParams).map(([p, n, params]) => [...be16(p), ...n, ...params]),
  HTTPS: fc.tuple(fc.integer({ min: 1, max: 0xffff }), wireName, svcParams).map(([p, n, params]) => [...be16(p), ...n, ...params]),
};

/** The lexer's view of presentation text: whitespace-separated words, "..." as one quoted token. */
function tokens(text: string): Token[] {
  const out: Token[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|((?:[^\s"\\]|\\.)+)/g;
  for (const m of text.matchAll(re)) out.push({ text: m[1] ?? m[2]!, quoted: m[1] !== undefined, line: 1 });
  return out;
}

describe('typed RDATA: wire → text → wire', () => {
  it.each(Object.keys(WIRE))('%s', (name) => {
    const type = typeFromText(name)!;
    fc.assert(
      fc.property(WIRE[name]!, (wire) => {
        const rr: RR = { name: 'x', type, ttl: 1, data: { kind: 'raw', bytes: Uint8Array.from(wire) } };
        const text = rdataToText(rr);
        expect(text.startsWith('\\#'), `${typeName(type)} ${Buffer.from(wire).toString('hex')} printed generically`).toBe(false);
        const back = parseRData(type, tokens(text), '');
        expect(back, text).toEqual(rr.data);
      }),
      { numRuns: 300 },
    );
  });

  it('DNAME', () => {
    fc.assert(
      fc.property(wireName, (wire) => {
        const name = parseRData(39, tokens(`\\# ${wire.length} ${Buffer.from(wire).toString('hex')}`), '');
        expect(name.kind).toBe('name');
        const back = parseRData(39, tokens(rdataToText({ name: 'x', type: 39, ttl: 1, data: name })), '');
        expect(back).toEqual(name);
        if (back.kind === 'name') expect([...nameToWire(back.name)]).toEqual(wire);
      }),
    );
  });
});

describe('typed RDATA: arbitrary tokens', () => {
  const word = fc.oneof(
    fc.constantFrom(
      '0',
      '1',
      '65535',
      '65536',
      '-1',
      'N',
      'S',
      'E',
      'W',
      '1m',
      '-2.00m',
      '59.999',
      'abcd',
      'abc',
      'AAAA',
      '==',
      '.',
      '@',
      '\\#',
    ),
    fc.constantFrom('alpn=h2', 'alpn=', 'alpn', 'port=53', 'mandatory=alpn', 'mandatory=port', 'no-default-alpn', 'key7=/q', 'ech=AAAA'),
    fc.constantFrom('ipv4hint=192.0.2.1', 'ipv6hint=::1', 'key65535', 'key1=a\\,b', 'alpn=a\\', 'RSASHA256', 'PKIX', '00-00-5e-00-53-2a'),
    fc.string({ maxLength: 12 }),
  );
  const token = fc.record({ text: word, quoted: fc.boolean(), line: fc.constant(7) });

  it.each(Object.keys(WIRE).concat('DNAME'))('%s: only RDataError, never a crash', (name) => {
    const type = typeFromText(name)!;
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), (ts) => {
        try {
          parseRData(type, ts, 'example.com');
        } catch (err) {
          expect(err).toBeInstanceOf(RDataError);
          const at = (err as RDataError).token;
          if (at !== null) expect(at.line).toBe(7);
        }
      }),
      { numRuns: 400 },
    );
  });
});
