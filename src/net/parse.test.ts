import { describe, expect, it } from 'vitest';
import { ipFamily, parseAddress, parseNetwork } from './parse.js';

const problem = (r: object): string => ('problem' in r ? (r as { problem: string }).problem : 'no problem');

describe('parseAddress', () => {
  it('gives family, bytes and canonical text', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ family: 4, bytes: Uint8Array.from([192, 0, 2, 1]), text: '192.0.2.1' });
    expect(parseAddress('2001:DB8:0::1')).toMatchObject({ family: 6, text: '2001:db8::1' });
    expect(parseAddress('::ffff:192.0.2.1')).toMatchObject({ family: 6, text: '::ffff:192.0.2.1' });
    expect(ipFamily('::1')).toBe(6);
    expect(ipFamily('example.com')).toBe(0);
  });

  it('explains the rejections that are rules rather than typos', () => {
    expect(problem(parseAddress('192.0.02.1'))).toMatch(/leading zeros.*octal.*write 192\.0\.2\.1/);
    expect(problem(parseAddress('::ffff:192.0.02.1'))).toMatch(/leading zeros/);
    expect(problem(parseAddress('fe80::1%eth0'))).toMatch(/zone ids/);
    expect(problem(parseAddress('192.0.2.0/24'))).toMatch(/network/);
    expect(problem(parseAddress('1.2.3'))).toMatch(/not an IPv4 or IPv6 address/);
  });
});

describe('parseNetwork', () => {
  it('reads CIDRs into canonical networks', () => {
    expect(parseNetwork('203.0.113.0/24')).toMatchObject({ family: 4, prefix: 24, cidr: '203.0.113.0/24' });
    expect(parseNetwork('2001:DB8:0::/32')).toMatchObject({ family: 6, prefix: 32, cidr: '2001:db8::/32' });
    expect(parseNetwork('0.0.0.0/0')).toMatchObject({ prefix: 0 });
    expect(parseNetwork('192.0.2.1', { hostAllowed: true })).toMatchObject({ family: 4, prefix: 32 });
  });

  it('rejects host bits, bad prefixes, mapped networks and missing prefixes', () => {
    expect(problem(parseNetwork('203.0.113.7/24'))).toMatch(/host bits set.*203\.0\.113\.0\/24/);
    expect(problem(parseNetwork('192.0.2.0/33'))).toMatch(/0-32/);
    expect(problem(parseNetwork('::/129'))).toMatch(/0-128/);
    expect(problem(parseNetwork('192.0.2.0/024'))).toMatch(/leading zeros/);
    expect(problem(parseNetwork('192.0.2.0/'))).toMatch(/prefix/);
    expect(problem(parseNetwork('::ffff:192.0.2.0/120'))).toMatch(/write 192\.0\.2\.0\/24/);
    expect(problem(parseNetwork('::ffff:0:0/96'))).toMatch(/write 0\.0\.0\.0\/0/);
    expect(problem(parseNetwork('192.0.2.1'))).toMatch(/not a CIDR/);
    expect(problem(parseNetwork('01.0.0.0/8'))).toMatch(/leading zeros/);
  });
});
