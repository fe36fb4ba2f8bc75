import { describe, expect, it } from 'vitest';
import { bearerMatcher, checkToken, isLoopbackHost, parseHttpAddress, tokenMatcher } from './auth.js';

describe('parseHttpAddress', () => {
  it('reads ADDR:PORT, [v6]:PORT and off', () => {
    expect(parseHttpAddress('127.0.0.1:9153')).toEqual({ host: '127.0.0.1', port: 9153 });
    expect(parseHttpAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHttpAddress('off')).toBeNull();
    for (const bad of ['9153', 'localhost:9153', '127.0.0.1', '127.0.0.1:70000', '::1:9153', '']) {
      expect(() => parseHttpAddress(bad), bad).toThrow(/--http/);
    }
  });
});

describe('isLoopbackHost', () => {
  it('accepts 127/8 and ::1 only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.1', '10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '128.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('tokens', () => {
  it('rejects tokens that are short or not visible ASCII', () => {
    expect(() => checkToken('0123456789abcdef')).not.toThrow();
    expect(() => checkToken('0123456789abcde')).toThrow(/16 characters/);
    expect(() => checkToken('0123456789 abcdef')).toThrow(/visible ASCII/);
    expect(() => checkToken('0123456789abcdéf')).toThrow(/visible ASCII/);
  });

  it('matches "Bearer <token>" exactly, scheme case-insensitively', () => {
    const ok = bearerMatcher('0123456789abcdef');
    expect(ok('Bearer 0123456789abcdef')).toBe(true);
    expect(ok('bearer 0123456789abcdef')).toBe(true);
    expect(ok(undefined)).toBe(false);
    expect(ok('0123456789abcdef')).toBe(false);
    expect(ok('Bearer 0123456789abcde')).toBe(false);
    expect(ok('Bearer 0123456789abcdefX')).toBe(false);
    expect(ok('Basic 0123456789abcdef')).toBe(false);
    expect(ok('Bearer 0123456789abcdef extra')).toBe(false);
    const q = tokenMatcher('0123456789abcdef');
    expect(q('0123456789abcdef')).toBe(true);
    expect(q(null)).toBe(false);
    expect(q('')).toBe(false);
  });
});
