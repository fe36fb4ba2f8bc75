import { describe, expect, it } from 'vitest';
import {
  classToString,
  genericRdataText,
  opcodeToString,
  rcodeToString,
  rdataToText,
  rrToText,
  typeFromString,
  typeToString,
} from './format.js';
import { addressRecord } from './rdata.js';
import { RRType, type RR } from './types.js';

const raw = (type: number, bytes: number[]): RR => ({
  name: 'x.example',
  type,
  ttl: 60,
  data: { kind: 'raw', bytes: Uint8Array.from(bytes) },
});
const strings = (...s: string[]): number[] => s.flatMap((x) => [x.length, ...Buffer.from(x, 'latin1')]);

describe('types, classes, rcodes', () => {
  it('names known types and falls back to TYPEnnn', () => {
    expect(typeToString(RRType.AAAA)).toBe('AAAA');
    expect(typeToString(RRType.CAA)).toBe('CAA');
    expect(typeToString(65)).toBe('HTTPS');
    expect(typeToString(65534)).toBe('TYPE65534');
  });

  it('parses mnemonics and TYPEnnn case-insensitively', () => {
    expect(typeFromString('aaaa')).toBe(28);
    expect(typeFromString('MX')).toBe(15);
    expect(typeFromString('TYPE65534')).toBe(65534);
    expect(typeFromString('type1')).toBe(1);
    expect(typeFromString('TYPE65536')).toBeUndefined();
    expect(typeFromString('TYPE')).toBeUndefined();
    expect(typeFromString('TYPE1x')).toBeUndefined();
    expect(typeFromString('BOGUS')).toBeUndefined();
  });

  it('names rcodes, opcodes and classes', () => {
    expect(rcodeToString(3)).toBe('NXDOMAIN');
    expect(rcodeToString(16)).toBe('BADVERS');
    expect(rcodeToString(4000)).toBe('RCODE4000');
    expect(opcodeToString(4)).toBe('NOTIFY');
    expect(opcodeToString(3)).toBe('OPCODE3');
    expect(classToString(1)).toBe('IN');
    expect(classToString(3)).toBe('CH');
    expect(classToString(42)).toBe('CLASS42');
  });
});

describe('rdataToText / rrToText', () => {
  it('formats like dig', () => {
    expect(rrToText(addressRecord('www.example.com', '192.0.2.1', 300))).toBe('www.example.com. 300 IN A 192.0.2.1');
    expect(rrToText(addressRecord('www.example.com', '2001:db8:0:0::1', 60))).toBe('www.example.com. 60 IN AAAA 2001:db8::1');
    expect(rrToText({ name: '', type: RRType.NS, ttl: 1, data: { kind: 'name', name: 'a.root-servers.net' } })).toBe(
      '. 1 IN NS a.root-servers.net.',
    );
  });

  it('formats name-bearing RDATA', () => {
    expect(rdataToText({ name: 'e', type: RRType.MX, ttl: 1, data: { kind: 'mx', preference: 10, exchange: 'mail.e' } })).toBe(
      '10 mail.e.',
    );
    expect(rdataToText({ name: 'e', type: RRType.SRV, ttl: 1, data: { kind: 'srv', priority: 1, weight: 2, port: 443, target: '' } })).toBe(
      '1 2 443 .',
    );
    expect(
      rdataToText({
        name: 'e',
        type: RRType.SOA,
        ttl: 1,
        data: { kind: 'soa', mname: 'ns.e', rname: 'h\\.m.e', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 },
      }),
    ).toBe('ns.e. h\\.m.e. 1 2 3 4 5');
  });

  it('quotes TXT strings, escaping quotes, backslashes and non-printables', () => {
    expect(rdataToText(raw(RRType.TXT, strings('v=spf1 -all', '', 'say "hi" \\ \x01é')))).toBe(
      '"v=spf1 -all" "" "say \\"hi\\" \\\\ \\001\\233"',
    );
  });

  it('formats CAA and HINFO', () => {
    expect(rdataToText(raw(RRType.CAA, [0, 5, ...Buffer.from('issueca.example')]))).toBe('0 issue "ca.example"');
    expect(rdataToText(raw(RRType.CAA, [128, 5, ...Buffer.from('iodef')]))).toBe('128 iodef ""');
    expect(rdataToText(raw(RRType.HINFO, strings('RFC8482', '')))).toBe('"RFC8482" ""');
  });

  it('falls back to RFC 3597 generic form for unknown or malformed RDATA', () => {
    expect(rdataToText(raw(65534, [0xde, 0xad]))).toBe('\\# 2 dead');
    expect(rdataToText(raw(65534, []))).toBe('\\# 0');
    expect(rdataToText(raw(RRType.A, [1, 2, 3]))).toBe('\\# 3 010203');
    expect(rdataToText(raw(RRType.TXT, [5, 0x61]))).toBe('\\# 2 0561');
    expect(rdataToText(raw(RRType.TXT, []))).toBe('\\# 0');
    expect(rdataToText(raw(RRType.CAA, [0, 9, 0x61]))).toBe('\\# 3 000961');
    expect(rdataToText(raw(RRType.HINFO, strings('only-one')))).toBe(genericRdataText(Uint8Array.from(strings('only-one'))));
    expect(rrToText(raw(65534, [1]))).toBe('x.example. 60 IN TYPE65534 \\# 1 01');
  });
});
