import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, ipv6Bytes } from '../wire/rdata.js';
import { commonPrefixLength, maskInPlace, parseIpInto } from './ip.js';

function wordsOfBytes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4)
    out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  return out;
}

describe('parseIpInto', () => {
  const words = new Uint32Array(4);

  it('parses IPv4', () => {
    expect(parseIpInto('192.0.2.1', words)).toBe(4);
    expect(words[0]).toBe(0xc0000201);
    expect(parseIpInto('255.255.255.255', words)).toBe(4);
    expect(words[0]).toBe(0xffffffff);
    expect(parseIpInto('0.0.0.0', words)).toBe(4);
    expect(words[0]).toBe(0);
  });

  it('parses IPv6 forms, including "::" anywhere and an embedded IPv4 tail', () => {
    const cases = [
      '::',
      '::1',
      '1::',
      '2001:db8::10',
      '2001:DB8:0:0:1:0:0:1',
      'fe80::1:2:3:4:5:6',
      '::ffff:192.0.2.1',
      '64:ff9b::198.51.100.7',
      '1:2:3:4:5:6:7:8',
    ];
    for (const ip of cases) {
      expect(parseIpInto(ip, words), ip).toBe(6);
      expect([...words], ip).toEqual(wordsOfBytes(ipv6Bytes(ip)));
    }
  });

  it('round-trips every IPv6 address through its RFC 5952 text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parseIpInto(formatIp(bytes), words)).toBe(6);
        expect([...words]).toEqual(wordsOfBytes(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects malformed text', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1..2.3',
      'a.b.c.d',
      ':',
      ':::',
      '1:2',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      'g::1',
      '::1.2.3',
      '1:',
      '::ffff:1.2.3.4:5',
    ]) {
      expect(parseIpInto(bad, words), bad).toBe(0);
    }
  });
});

describe('maskInPlace and commonPrefixLength', () => {
  it('masks to a prefix in either family', () => {
    const w = new Uint32Array(4);
    parseIpInto('203.0.113.77', w);
    maskInPlace(w, 4, 24);
    expect(w[0]).toBe(0xcb007100);
    maskInPlace(w, 4, 0);
    expect(w[0]).toBe(0);
    parseIpInto('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', w);
    maskInPlace(w, 6, 56);
    expect([...w]).toEqual([0x20010db8, 0xffffff00, 0, 0]);
  });

  it('counts shared leading bits', () => {
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    parseIpInto('203.0.113.0', a);
    parseIpInto('203.0.113.128', b);
    expect(commonPrefixLength(a, b, 4)).toBe(24);
    expect(commonPrefixLength(a, a, 4)).toBe(32);
    parseIpInto('2001:db8::', a);
    parseIpInto('2001:db8:0:0:8000::', b);
    expect(commonPrefixLength(a, b, 6)).toBe(64);
    expect(commonPrefixLength(a, a, 6)).toBe(128);
  });
});
