import { describe, expect, it } from 'vitest';
import { TrafficRing } from './traffic.js';

describe('TrafficRing', () => {
  it('counts hits per bucket and moves forward with the clock', () => {
    let now = 1_000_000;
    const ring = new TrafficRing({ bucketMs: 10_000, buckets: 3, now: () => now });
    const a = ring.series('a');
    const b = ring.series('b');
    ring.hit(a);
    ring.hit(a);
    ring.hit(b);
    let s = ring.snapshot();
    expect(s.bucketSeconds).toBe(10);
    expect(s.bucketStarts).toEqual([1_000_000]);
    expect(s.counts('a')).toEqual([2]);
    expect(s.counts('b')).toEqual([1]);
    expect(s.counts('unknown')).toEqual([0]);

    now += 10_000;
    ring.hit(b);
    now += 10_000;
    ring.hit(a);
    s = ring.snapshot();
    expect(s.bucketStarts).toEqual([1_000_000, 1_010_000, 1_020_000]);
    expect(s.counts('a')).toEqual([2, 0, 1]);
    expect(s.counts('b')).toEqual([1, 1, 0]);

    // One more bucket: the oldest falls out and its slot starts from zero.
    now += 10_000;
    ring.hit(b);
    s = ring.snapshot();
    expect(s.bucketStarts).toEqual([1_010_000, 1_020_000, 1_030_000]);
    expect(s.counts('a')).toEqual([0, 1, 0]);
    expect(s.counts('b')).toEqual([1, 0, 1]);
  });

  it('forgets everything after a gap longer than the ring, and after the clock goes back', () => {
    let now = 50_000;
    const ring = new TrafficRing({ bucketMs: 1000, buckets: 4, now: () => now });
    const a = ring.series('a');
    ring.hit(a);
    now += 60_000;
    expect(ring.snapshot().counts('a')).toEqual([0, 0, 0, 0]);
    ring.hit(a);
    now -= 5000;
    ring.hit(a);
    expect(
      ring
        .snapshot()
        .counts('a')
        .reduce((x, y) => x + y, 0),
    ).toBe(1);
  });

  it('keeps the same series array per key, and drops series not retained', () => {
    const ring = new TrafficRing({ now: () => 0 });
    const a = ring.series('a');
    expect(ring.series('a')).toBe(a);
    ring.hit(a);
    ring.series('b');
    ring.retain(new Set(['b']));
    expect(ring.series('a')).not.toBe(a);
    expect(ring.snapshot().counts('a')).toEqual([0]);
  });
});
