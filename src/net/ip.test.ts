import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, normalizeClientIp, parseClientIpInto, parseIpInto, parseIpWords } from './ip.js';
import { bytesInPrefix, commonPrefixLength, maskInPlace } from './prefix.js';

const bytesOf = (text: string, parse = parseIpInto): number[] | null => {
  const out = new Uint8Array(16);
  const family = parse(text, out);
  return family === 0 ? null : [...out.subarray(0, family === 4 ? 4 : 16)];
};

describe('parseIpInto', () => {
  it('reads IPv4 and every IPv6 spelling: "::" anywhere, upper case, an IPv4 tail', () => {
    expect(bytesOf('192.0.2.1')).toEqual([192, 0, 2, 1]);
    expect(bytesOf('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(bytesOf('::')).toEqual(new Array(16).fill(0));
    expect(bytesOf('2001:DB8::1')).toEqual(bytesOf('2001:0db8:0000:0000:0000:0000:0000:0001'));
    expect(bytesOf('64:ff9b::192.0.2.33')).toEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]);
    // A mapped address is IPv6 data here; only client addresses are folded to IPv4.
    expect(bytesOf('::ffff:10.1.2.3')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
  });

  it('rejects leading zeros, zone ids and malformed text', () => {
    for (const bad of [
      '',
      '01.2.3.4',
      '1.2.3.00',
      '::ffff:1.2.3.04',
      'fe80::1%eth0',
      '[::1]',
      ' 1.2.3.4',
      '1.2.3.4/32',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      ':::',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3',
      '1.2.3.4::',
      '1:',
      ':1::',
    ]) {
      expect(bytesOf(bad), bad).toBeNull();
    }
  });
});

describe('client addresses from sockets', () => {
  it('fold IPv4-mapped addresses to IPv4 and drop a zone id', () => {
    expect(bytesOf('::ffff:10.1.2.3', parseClientIpInto)).toEqual([10, 1, 2, 3]);
    expect(bytesOf('::FFFF:a01:203', parseClientIpInto)).toEqual([10, 1, 2, 3]);
    expect(bytesOf('fe80::1%eth0', parseClientIpInto)).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(bytesOf('01.2.3.4', parseClientIpInto)).toBeNull();
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:127.0.0.1', '127.0.0.1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'], // hex form is not what sockets give; left as text, parsed as IPv4
    ['::ffff:1:2:3', '::ffff:1:2:3'],
    ['::1', '::1'],
    ['fe80::1%2', 'fe80::1'],
  ])('normalizeClientIp(%s) → %s', (input, expected) => {
    expect(normalizeClientIp(input)).toBe(expected);
  });

  it('give words with IPv4 in word 0', () => {
    const w = new Uint32Array(4).fill(7);
    expect(parseIpWords('192.0.2.1', w)).toBe(4);
    expect([...w]).toEqual([0xc0000201, 0, 0, 0]);
    expect(parseIpWords('::ffff:192.0.2.1', w, true)).toBe(4);
    expect([...w]).toEqual([0xc0000201, 0, 0, 0]);
    expect(parseIpWords('2001:db8::8000:1', w)).toBe(6);
    expect([...w]).toEqual([0x20010db8, 0, 0, 0x80000001]);
    expect(parseIpWords('nope', w)).toBe(0);
  });
});

describe('formatIp (RFC 5952)', () => {
  it.each([
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:0db8:00ab::0001', '2001:db8:ab::1'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'], // §5: mapped addresses in mixed notation
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('%s → %s', (input, expected) => {
    expect(formatIp(Uint8Array.from(bytesOf(input)!))).toBe(expected);
  });

  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(bytesOf(formatIp(bytes))).toEqual([...bytes]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('prefixes', () => {
  it('masks, measures and matches in either family', () => {
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    parseIpWords('203.0.113.77', a);
    maskInPlace(a, 4, 24);
    expect(a[0]).toBe(0xcb007100);
    parseIpWords('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', a);
    maskInPlace(a, 6, 56);
    expect([...a]).toEqual([0x20010db8, 0xffffff00, 0, 0]);
    parseIpWords('2001:db8::', a);
    parseIpWords('2001:db8:0:0:8000::', b);
    expect(commonPrefixLength(a, b, 6)).toBe(64);
    expect(commonPrefixLength(a, a, 6)).toBe(128);
    const net = Uint8Array.from([192, 0, 2, 128]);
    expect(bytesInPrefix(Uint8Array.from([192, 0, 2, 200]), net, 25)).toBe(true);
    expect(bytesInPrefix(Uint8Array.from([192, 0, 2, 100]), net, 25)).toBe(false);
    expect(bytesInPrefix(Uint8Array.from([10, 0, 0, 1]), net, 0)).toBe(true);
  });
});
