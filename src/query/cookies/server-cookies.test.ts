import { describe, expect, it } from 'vitest';
import { clientIpOf } from '../../net/client-ip.js';
import { CookieVerdict, ServerCookies, usable, worn } from './server-cookies.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const text = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function cookies(current: string, now: number, previous: string | null = null): ServerCookies {
  return new ServerCookies({ current: hex(current), previous: previous === null ? null : hex(previous) }, () => now);
}

// The examples of RFC 9018 Appendix A.
const SECRET_A = 'e5e973e5a6b2a43f48e7dc849e37bfcf';
const OLD_SECRET_A4 = 'dd3bdf9344b678b185a6f5cb60fca715';
const NEW_SECRET_A4 = '445536bcd2513298075a5d379663c962';
const A4_CLIENT = '2001:db8:220:1:59de:d0f4:8769:82b8';

describe('RFC 9018 server cookies', () => {
  it('A.1: a first contact gets a fresh version 1 cookie', () => {
    const c = cookies(SECRET_A, 1559731985);
    const query = hex('2464c4abcf10c957');
    const verdict = c.verdict(query, clientIpOf('198.51.100.100'));
    expect(verdict).toBe(CookieVerdict.CLIENT_ONLY);
    expect(text(c.replyCookie(query, clientIpOf('198.51.100.100'), verdict))).toBe('2464c4abcf10c957010000005cf79f111f8130c3eee29480');
  });

  it('A.2: forty minutes later the cookie is still valid, and renewed because it is worn', () => {
    const c = cookies(SECRET_A, 1559734385);
    const query = hex('2464c4abcf10c957010000005cf79f111f8130c3eee29480');
    const verdict = c.verdict(query, clientIpOf('198.51.100.100'));
    expect(verdict).toBe(CookieVerdict.VALID);
    expect(text(c.replyCookie(query, clientIpOf('198.51.100.100'), verdict))).toBe('2464c4abcf10c957010000005cf7a871d4a564a1442aca77');
  });

  it('A.3: reserved bytes another server set are part of the hash; the fresh cookie has them cleared', () => {
    const query = hex('fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5');
    // Issued at 0x5cf78f71 (1559727985): valid within its hour, and not from another address.
    const c = cookies(SECRET_A, 1559727985 + 100);
    expect(c.verdict(query, clientIpOf('203.0.113.203'))).toBe(CookieVerdict.VALID);
    expect(c.verdict(query, clientIpOf('203.0.113.204'))).toBe(CookieVerdict.INVALID);
    expect(text(c.make(query.subarray(0, 8), clientIpOf('203.0.113.203'), 1559734700))).toBe(
      'fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e',
    );
  });

  it('A.4: an IPv6 client’s cookie under the previous secret stays valid through a rotation', () => {
    const query = hex('22681ab97d52c298010000005cf7c57926556bd0934c72f8');
    const now = 0x5cf7c579 + 60;
    expect(cookies(NEW_SECRET_A4, now).verdict(query, clientIpOf(A4_CLIENT))).toBe(CookieVerdict.INVALID);
    const rotated = cookies(NEW_SECRET_A4, now, OLD_SECRET_A4);
    const verdict = rotated.verdict(query, clientIpOf(A4_CLIENT));
    expect(verdict).toBe(CookieVerdict.VALID);
    // The reply carries a cookie of the new secret, which the next query presents.
    const reply = rotated.replyCookie(query, clientIpOf(A4_CLIENT), verdict);
    expect(text(reply)).not.toBe(text(query));
    expect(cookies(NEW_SECRET_A4, now).verdict(reply, clientIpOf(A4_CLIENT))).toBe(CookieVerdict.VALID);
  });

  it('echoes a fresh valid cookie unchanged and refuses one whose hour is up', () => {
    const c = cookies(SECRET_A, 1559731985 + 600);
    const fresh = c.make(hex('0102030405060708'), clientIpOf('192.0.2.1'), 1559731985);
    expect(c.verdict(fresh, clientIpOf('192.0.2.1'))).toBe(CookieVerdict.VALID);
    expect(text(c.replyCookie(fresh, clientIpOf('192.0.2.1'), CookieVerdict.VALID))).toBe(text(fresh));
    expect(cookies(SECRET_A, 1559731985 + 3601).verdict(fresh, clientIpOf('192.0.2.1'))).toBe(CookieVerdict.INVALID);
  });

  it('takes an IPv4-mapped client address as the IPv4 address', () => {
    const c = cookies(SECRET_A, 1559731985);
    const made = c.make(hex('0102030405060708'), clientIpOf('::ffff:192.0.2.1'), 1559731985);
    expect(c.verdict(made, clientIpOf('192.0.2.1'))).toBe(CookieVerdict.VALID);
  });

  it('sorts lengths as RFC 7873 §5.2 does: 8 alone, 16 to 40, anything else malformed', () => {
    const c = cookies(SECRET_A, 1559731985);
    const verdicts = [0, 7, 8, 9, 15, 16, 24, 40, 41].map((n) => c.verdict(new Uint8Array(n), clientIpOf('192.0.2.1')));
    const { MALFORMED: M, CLIENT_ONLY: C, INVALID: I } = CookieVerdict;
    expect(verdicts).toEqual([M, M, C, M, M, I, I, I, M]);
  });

  it('keeps the RFC 9018 window across the 2106 wrap of the timestamp', () => {
    expect(usable(4294964696, 1000)).toBe(true);
    expect(worn(4294964696, 1000)).toBe(true);
    expect(usable(1000 + 301, 1000)).toBe(false);
    expect(usable(1000 + 300, 1000)).toBe(true);
    expect(usable(5000 - 3601, 5000)).toBe(false);
  });
});
