// Presentation-form RDATA of the typed record types: file → RDATA → text → RDATA round trips,
// generic (\#) spelling giving the same record, RFC test vectors (RFC 9460 Appendix D, RFC 1876),
// names inside RDATA never compressed, and bad input reported with file:line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeReply } from '../../wire/encode.js';
import { genericRdataText, rdataToText, rrToText } from '../../wire/format.js';
import { nameToWire } from '../../wire/name.js';
import type { RData, RR } from '../../wire/types.js';
import { loadZoneFile } from '../load.js';
import { packZone, unpackZone } from '../pack.js';
import { parseZoneText } from '../parser.js';
import { typeName } from '../rrtype-names.js';

const FIXTURE = path.resolve('test/fixtures/record-types/types.example.zone');

function parse(text: string, origin = 'example.com') {
  return parseZoneText(text, { file: '/zones/z.zone', origin, zonesDir: '/zones', readFile: () => '' });
}

/** The RDATA of one record written after "x 60 IN". */
function rdata(rest: string): RData {
  const r = parse(`x 60 IN ${rest}\n`);
  expect(r.errors.map((e) => e.describe())).toEqual([]);
  expect(r.records).toHaveLength(1);
  return r.records[0]!.data;
}

function wireHex(rest: string): string {
  const d = rdata(rest);
  if (d.kind !== 'raw') throw new Error(`expected raw RDATA, got ${d.kind}`);
  return Buffer.from(d.bytes).toString('hex');
}

/** "file:line CODE" of every error. */
function errors(rest: string): string[] {
  return parse(`$TTL 60\n\nx ${rest}\n`).errors.map((e) => `${e.file}:${e.line} ${e.code}`);
}

const fixture = parse(fs.readFileSync(FIXTURE, 'utf8'), 'types.example');

describe('round trips through presentation text', () => {
  it('the fixture zone loads without errors', () => {
    expect(fixture.errors.map((e) => e.describe())).toEqual([]);
    expect(fixture.records.length).toBeGreaterThan(40);
  });

  it.each(fixture.records.map((rr) => [`${rr.name} ${typeName(rr.type)}`, rr] as const))(
    '%s: formatted text parses back to the same RDATA',
    (_label, rr) => {
      const text = rdataToText(rr);
      expect(text.startsWith('\\#') && rr.type !== 731, `${typeName(rr.type)} fell back to generic form`).toBe(false);
      const again = parse(`$ORIGIN types.example.\nx 60 IN ${typeName(rr.type)} ${text}\n`, 'types.example');
      expect(again.errors.map((e) => e.describe())).toEqual([]);
      expect(again.records[0]!.data).toEqual(rr.data);
    },
  );

  it.each(fixture.records.filter((rr) => rr.data.kind === 'raw').map((rr) => [`${rr.name} ${typeName(rr.type)}`, rr] as const))(
    '%s: the RFC 3597 generic spelling gives the same record',
    (_label, rr) => {
      const bytes = (rr.data as { bytes: Uint8Array }).bytes;
      const again = parse(`x 60 IN ${typeName(rr.type)} ${genericRdataText(bytes)}\n`);
      expect(again.errors.map((e) => e.describe())).toEqual([]);
      expect(again.records[0]!.data).toEqual(rr.data);
    },
  );
});

describe('SVCB and HTTPS (RFC 9460 Appendix D test vectors)', () => {
  it.each([
    ['HTTPS 0 foo.example.com.', '0000' + '03666f6f076578616d706c6503636f6d00'],
    ['SVCB 1 .', '000100'],
    ['SVCB 16 foo.example.com. port=53', '0010' + '03666f6f076578616d706c6503636f6d00' + '000300020035'],
    ['SVCB 1 foo.example.com. key667=hello', '0001' + '03666f6f076578616d706c6503636f6d00' + '029b000568656c6c6f'],
    ['SVCB 1 foo.example.com. key667="hello\\210qoo"', '0001' + '03666f6f076578616d706c6503636f6d00' + '029b000968656c6c6fd2716f6f'],
    [
      'SVCB 1 foo.example.com. ipv6hint="2001:db8::1,2001:db8::53:1"',
      '0001' + '03666f6f076578616d706c6503636f6d00' + '00060020' + '20010db8000000000000000000000001' + '20010db8000000000000000000530001',
    ],
    [
      'SVCB 1 example.com. ipv6hint="2001:db8:122:344::192.0.2.33"',
      '0001' + '076578616d706c6503636f6d00' + '00060010' + '20010db80122034400000000c0000221',
    ],
    [
      'SVCB 16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1',
      '0010' + '03666f6f076578616d706c65036f726700' + '000000040001' + '0004' + '00010009' + '026832' + '0568332d3139' + '00040004c0000201',
    ],
    [
      'SVCB 16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"',
      '0010' + '03666f6f076578616d706c65036f726700' + '0001000c' + '08665c6f6f2c626172' + '026832',
    ],
    [
      'SVCB 16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2',
      '0010' + '03666f6f076578616d706c65036f726700' + '0001000c' + '08665c6f6f2c626172' + '026832',
    ],
  ])('%s', (text, hex) => {
    expect(wireHex(text)).toBe(hex);
  });

  it('prints keys in wire order, alpn quoted with its escapes, dohpath and unknown keys quoted, empty values bare', () => {
    const text = (rest: string): string => rdataToText({ name: 'x', type: 64, ttl: 1, data: rdata(rest) } as RR);
    expect(text('SVCB 1 . port=443 alpn=h3,h2 key65000 dohpath=/q{?dns} no-default-alpn')).toBe(
      '1 . alpn="h3,h2" no-default-alpn port=443 dohpath="/q{?dns}" key65000',
    );
    expect(text('SVCB 1 . alpn="f\\\\\\\\oo\\\\,bar,h2"')).toBe('1 . alpn="f\\\\\\\\oo\\\\,bar,h2"');
  });

  it.each([
    ['SVCB 1 . alpn=h2 alpn=h3', 'appears twice'],
    ['SVCB 1 . key1=foo key1=bar', 'appears twice'],
    ['SVCB 1 . alpn=h2,,h3', 'empty protocol id'],
    ['SVCB 1 . alpn=', 'needs a value'],
    ['SVCB 1 . alpn', 'needs a value'],
    ['SVCB 1 . mandatory=port', 'does not have'],
    ['SVCB 1 . mandatory=mandatory', 'must not list itself'],
    ['SVCB 1 . mandatory=alpn,alpn alpn=h2', 'twice'],
    ['SVCB 1 . mandatory=foo', 'unknown key'],
    ['SVCB 1 . no-default-alpn', 'needs alpn'],
    ['SVCB 1 . no-default-alpn=x alpn=h2', 'takes no value'],
    ['SVCB 1 . port=65536', 'port'],
    ['SVCB 1 . port=', 'needs a value'],
    ['SVCB 1 . ipv4hint=192.0.2.1,', 'empty item'],
    ['SVCB 1 . ipv4hint=2001:db8::1', 'not an IPv4'],
    ['SVCB 1 . ipv6hint=192.0.2.1', 'not an IPv6'],
    ['SVCB 1 . ech=abc', 'base64'],
    ['SVCB 1 . key65535=x', 'unknown SvcParamKey'],
    ['SVCB 1 . key0065=x', 'unknown SvcParamKey'],
    ['SVCB 1 . foo=bar', 'unknown SvcParamKey'],
    ['HTTPS 65536 .', 'priority'],
    ['HTTPS 1', 'priority and target'],
  ])('%s → %s', (rest, message) => {
    const r = parse(`$TTL 60\n\nx ${rest}\n`);
    expect(r.errors.map((e) => `${e.file}:${e.line} ${e.code}`)).toEqual(['/zones/z.zone:3 STEER_ZONE_BAD_RDATA']);
    expect(r.errors[0]!.describe()).toContain(message);
  });

  it('rejects generic SVCB data with keys out of order or mandatory naming an absent key', () => {
    // priority 1, root target, port (3) before alpn (1)
    expect(errors('SVCB \\# 17 0001 00 0003 0002 01bb 0001 0003 026832')).toEqual(['/zones/z.zone:3 STEER_ZONE_BAD_RDATA']);
    // mandatory=port without port
    expect(errors('SVCB \\# 9 0001 00 0000 0002 0003')).toEqual(['/zones/z.zone:3 STEER_ZONE_BAD_RDATA']);
  });
});

describe('LOC (RFC 1876)', () => {
  it('encodes latitude, longitude, altitude and the size/precision bytes', () => {
    // RFC 1876 §3 arithmetic: 2^31 ± thousandths of arc seconds; altitude in cm + 10^7.
    const hex = wireHex('LOC 42 21 54 N 71 06 18 W -24m 30m');
    expect(hex.slice(0, 8)).toBe('00331613'); // version 0; 30m = 3e3 cm; 10000m = 1e6; 10m = 1e3
    expect(parseInt(hex.slice(8, 16), 16)).toBe(2 ** 31 + (42 * 3600 + 21 * 60 + 54) * 1000);
    expect(parseInt(hex.slice(16, 24), 16)).toBe(2 ** 31 - (71 * 3600 + 6 * 60 + 18) * 1000);
    expect(parseInt(hex.slice(24, 32), 16)).toBe(10_000_000 - 2400);
  });

  it('prints what it reads, with the defaults filled in', () => {
    const text = (rest: string): string => rdataToText({ name: 'x', type: 29, ttl: 1, data: rdata(rest) } as RR);
    expect(text('LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m')).toBe('52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m');
    expect(text('LOC 1 S 2 E 3')).toBe('1 0 0.000 S 2 0 0.000 E 3.00m 1m 10000m 10m');
    expect(text('LOC 90 N 180 W 0m 0.05m 0.5m 90000000m')).toBe('90 0 0.000 N 180 0 0.000 W 0.00m 0.05m 0.50m 90000000m');
  });

  it.each([
    ['LOC 91 N 0 E 0m', 'latitude degrees'],
    ['LOC 90 1 N 0 E 0m', 'beyond 90'],
    ['LOC 0 60 N 0 E 0m', 'minutes'],
    ['LOC 0 0 60 N 0 E 0m', 'seconds'],
    ['LOC 0 0 1.2345 N 0 E 0m', 'seconds'],
    ['LOC 0 N 181 E 0m', 'longitude degrees'],
    ['LOC 0 0 0 X 0 E 0m', 'N or S'],
    ['LOC 0 N 0 E', 'altitude'],
    ['LOC 0 N 0 E -100000.01m', 'altitude'],
    ['LOC 0 N 0 E 42849672.96m', 'altitude'],
    ['LOC 0 N 0 E 0m 90000000.01m', 'size'],
    ['LOC 0 N 0 E 0m 1m 1m 1m 1m', 'after'],
  ])('%s → %s', (rest, message) => {
    const r = parse(`$TTL 60\n\nx ${rest}\n`);
    expect(r.errors.map((e) => `${e.file}:${e.line} ${e.code}`)).toEqual(['/zones/z.zone:3 STEER_ZONE_BAD_RDATA']);
    expect(r.errors[0]!.describe()).toContain(message);
  });
});

describe('other types: bad input names the line', () => {
  it.each([
    'DS 1 8 2 abc',
    'DS 1 8 2 xyz0',
    'DS 65536 8 2 ab',
    'DS 1 8 2',
    'DNSKEY 257 3 8 AwEAA',
    'DNSKEY 257 3 8 !!!!',
    'TLSA 3 1 1 0',
    'SSHFP 1 1 zz',
    'CERT FOO 0 0 AAAA',
    'NAPTR 100 10 "S!" "SIP+D2U" "" _sip._udp',
    'NAPTR 100 10 "S" "SIP+D2U" ""',
    'URI 10 1 ""',
    'RP onlyone',
    'AFSDB 65536 host',
    'KX 10 "quoted"',
    'EUI48 00-00-5e-00-53',
    'EUI64 00:00:5e:ef:10:00:00:2a',
    'OPENPGPKEY',
    'DNAME a b',
    'SPF',
    'DS \\# 3 000102',
    'RP \\# 2 0100',
    'LOC \\# 16 01000000000000000000000000000000',
  ])('%s', (rest) => {
    expect(errors(rest)).toEqual(['/zones/z.zone:3 STEER_ZONE_BAD_RDATA']);
  });

  it('points at the continuation line that holds the bad field', () => {
    const r = parse('$TTL 60\nx DS 1 8 2 (\n  abcd\n  abc )\n');
    expect(r.errors.map((e) => `${e.line} ${e.code}`)).toEqual(['3 STEER_ZONE_BAD_RDATA']);
  });

  it('reads algorithm and certificate-type mnemonics', () => {
    expect(wireHex('DS 1 RSASHA256 2 ab')).toBe('00010802ab');
    expect(wireHex('CERT ipkix 1 ECDSAP256SHA256 AAAA')).toBe('000400010d000000');
  });
});

describe('the packed zone (worker → main thread)', () => {
  it('carries every typed record through pack and unpack unchanged', () => {
    const loaded = loadZoneFile(FIXTURE, path.dirname(FIXTURE));
    if ('errors' in loaded) throw new Error(loaded.errors.map((e) => e.describe()).join('\n'));
    const texts = (zone: typeof loaded.zone): string[] =>
      [...zone.nodes.values()].flatMap((n) => [...n.rrsets.values()].flatMap((set) => set.map(rrToText))).sort();
    const before = texts(loaded.zone);
    expect(before.length).toBe(fixture.records.length);
    expect(texts(unpackZone(packZone(loaded.zone), new Map()))).toEqual(before);
  });
});

describe('names inside RDATA', () => {
  it('go out uncompressed for RP, AFSDB, KX, NAPTR, SVCB and DNAME (RFC 3597 §4)', () => {
    const types = ['RP', 'AFSDB', 'KX', 'NAPTR', 'SVCB', 'HTTPS', 'DNAME'];
    const records = fixture.records.filter((rr) => types.includes(typeName(rr.type)));
    expect(new Set(records.map((rr) => typeName(rr.type)))).toEqual(new Set(types));
    for (const rr of records) {
      const out = encodeReply(
        {
          id: 1,
          opcode: 0,
          rcode: 0,
          aa: true,
          rd: false,
          cd: false,
          // The question's name is a suffix of every name in these records: a compressor would use it.
          question: { qnameWire: nameToWire('types.example'), qname: 'types.example', qtype: rr.type, qclass: 1 },
          answer: [[rr]],
          authority: [],
          additional: [],
          edns: null,
        },
        65535,
      );
      const expected = rr.data.kind === 'raw' ? rr.data.bytes : rr.data.kind === 'name' ? nameToWire(rr.data.name) : null;
      expect(expected, rrToText(rr)).not.toBeNull();
      expect(Buffer.from(out.subarray(out.length - expected!.length)).toString('hex'), rrToText(rr)).toBe(
        Buffer.from(expected!).toString('hex'),
      );
    }
  });
});
