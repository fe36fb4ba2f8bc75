import { describe, expect, it } from 'vitest';
import { addressRecord, formatIp, ipv4Bytes, ipv6Bytes } from './rdata.js';
import { RRType } from './types.js';

describe('address RDATA', () => {
  it.each([
    ['2001:db8::10', '20010db8000000000000000000000010'],
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['fe80::1:0:0:1', 'fe800000000000000001000000000001'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('parses %s', (ip, hex) => {
    expect(Buffer.from(ipv6Bytes(ip)).toString('hex')).toBe(hex);
  });

  it.each(['2001:db8::10', '::', '::1', 'fe80::1:0:0:1', '1:2:3:4:5:6:7:8', '2001:db8:0:1::'])('round-trips %s', (ip) => {
    expect(formatIp(ipv6Bytes(ip))).toBe(ip);
  });

  it('rejects non-addresses', () => {
    expect(() => ipv4Bytes('256.1.1.1')).toThrow();
    expect(() => ipv6Bytes('2001:db8:::1')).toThrow();
    expect(() => ipv4Bytes('2001:db8::1')).toThrow();
  });

  it('picks the record type from the family', () => {
    expect(addressRecord('a.example', '192.0.2.1', 30).type).toBe(RRType.A);
    expect(addressRecord('a.example', '2001:db8::1', 30).type).toBe(RRType.AAAA);
    expect(formatIp(ipv4Bytes('192.0.2.1'))).toBe('192.0.2.1');
  });
});
