import { describe, expect, it } from 'vitest';
import { probersFor } from './rendezvous.js';

const keys = Array.from({ length: 3000 }, (_, i) => `m@192.0.2.${i % 250}:${8000 + i}`);

describe('probersFor', () => {
  it('does not depend on the order of the members', () => {
    for (const key of keys.slice(0, 50)) {
      expect(probersFor(key, ['a', 'b', 'c', 'd'], 2)).toEqual(probersFor(key, ['d', 'c', 'b', 'a'], 2));
    }
  });

  it('returns distinct members, at most as many as there are', () => {
    expect(probersFor('k', ['a'], 2)).toEqual(['a']);
    expect(probersFor('k', [], 2)).toEqual([]);
    const two = probersFor('k', ['a', 'b', 'c'], 2);
    expect(new Set(two).size).toBe(2);
  });

  it('spreads targets evenly over the members', () => {
    const members = ['n1', 'n2', 'n3', 'n4'];
    const load = new Map(members.map((m) => [m, 0]));
    for (const key of keys) for (const m of probersFor(key, members, 1)) load.set(m, load.get(m)! + 1);
    // Binomial(3000, 1/4): sd ≈ 24; 6 sd of room.
    for (const n of load.values()) expect(Math.abs(n - 750)).toBeLessThan(150);
  });

  it('moves only the targets of a member that leaves', () => {
    const before = ['n1', 'n2', 'n3', 'n4'];
    const after = ['n1', 'n2', 'n4'];
    let moved = 0;
    for (const key of keys) {
      const was = probersFor(key, before, 2);
      const now = probersFor(key, after, 2);
      if (!was.includes('n3')) expect(now).toEqual(was);
      else {
        moved++;
        // The survivor keeps its target; one new member takes n3's place.
        for (const m of was) if (m !== 'n3') expect(now).toContain(m);
      }
    }
    // Each member holds about half the targets with two probers out of four.
    expect(moved / keys.length).toBeGreaterThan(0.4);
    expect(moved / keys.length).toBeLessThan(0.6);
  });
});
