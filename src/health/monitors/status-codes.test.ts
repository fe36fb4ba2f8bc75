import { describe, expect, it } from 'vitest';
import { isValidExpectedCodes, statusMatcher } from './status-codes.js';

describe('statusMatcher', () => {
  it('matches exact codes', () => {
    const m = statusMatcher('200');
    expect([m.matches(200), m.matches(201), m.matches(500)]).toEqual([true, false, false]);
    expect(m.text).toBe('200');
  });

  it('matches classes and lists', () => {
    const m = statusMatcher('2xx, 404');
    expect([200, 204, 299, 404, 301, 500].map((s) => m.matches(s))).toEqual([true, true, true, true, false, false]);
    expect(m.text).toBe('2xx,404');
    expect(statusMatcher('200,301').matches(301)).toBe(true);
    expect(statusMatcher('3XX').matches(302)).toBe(true);
  });

  it('falls back to 200 when nothing usable is given', () => {
    const m = statusMatcher('');
    expect(m.text).toBe('200');
    expect(m.matches(200)).toBe(true);
    expect(m.matches(204)).toBe(false);
  });

  it('validates specs for the config loader', () => {
    expect(isValidExpectedCodes('200')).toBe(true);
    expect(isValidExpectedCodes('2xx,404')).toBe(true);
    expect(isValidExpectedCodes('')).toBe(false);
    expect(isValidExpectedCodes('600')).toBe(false);
    expect(isValidExpectedCodes('2x')).toBe(false);
    expect(isValidExpectedCodes('200,,301')).toBe(false);
  });
});
