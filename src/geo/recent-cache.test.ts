import { describe, expect, it } from 'vitest';
import { RecentCache } from './recent-cache.js';

describe('RecentCache', () => {
  it('returns what was stored and undefined for what was not', () => {
    const c = new RecentCache<string, number>(10);
    c.set('a', 1);
    expect(c.get('a')).toBe(1);
    expect(c.get('b')).toBeUndefined();
  });

  it('never holds more than its capacity', () => {
    const c = new RecentCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) c.set(i, i);
    expect(c.size).toBeLessThanOrEqual(100);
    expect(c.size).toBeGreaterThanOrEqual(50);
    expect(c.get(9_999)).toBe(9_999);
    expect(c.get(0)).toBeUndefined();
  });

  it('keeps an entry that is used while others stream past', () => {
    const c = new RecentCache<number, string>(20);
    c.set(-1, 'hot');
    for (let i = 0; i < 1_000; i++) {
      c.set(i, 'cold');
      expect(c.get(-1)).toBe('hot');
    }
    expect(c.get(0)).toBeUndefined();
  });

  it('empties on clear and refuses a capacity below 2', () => {
    const c = new RecentCache<string, number>(4);
    c.set('a', 1);
    c.clear();
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
    expect(() => new RecentCache(1)).toThrow();
    expect(() => new RecentCache(2.5)).toThrow();
  });
});
