// Recent traffic per pool for the status page: answer counts in fixed time buckets (10 s by
// default), a ring of the last N buckets per series. A hit costs a clock read, a compare and
// an increment; the ring moves forward lazily when a hit or a snapshot sees a newer bucket.

export interface TrafficOptions {
  readonly bucketMs?: number;
  /** Buckets kept (default 30: five minutes of 10 s buckets). */
  readonly buckets?: number;
  readonly now?: () => number;
}

export interface TrafficSnapshot {
  readonly bucketSeconds: number;
  /** Epoch ms at which each bucket starts, oldest first; the last one is still filling. */
  readonly bucketStarts: readonly number[];
  /** Counts per bucket for a series, aligned with bucketStarts (zeros for unknown keys). */
  counts(key: string): number[];
}

/** A snapshot as plain data, every series with its key (what a cluster worker sends its primary). */
export interface TrafficExport {
  readonly bucketStarts: readonly number[];
  readonly series: readonly (readonly [string, readonly number[]])[];
}

/**
 * `base` plus every export, bucket by bucket: buckets are matched by start time (every process
 * of a host cuts them at the same instants), those outside `base`'s window are left out.
 */
export function sumTraffic(base: TrafficSnapshot, others: readonly TrafficExport[]): TrafficSnapshot {
  const slot = new Map(base.bucketStarts.map((start, i) => [start, i]));
  const added = new Map<string, number[]>();
  for (const o of others) {
    for (const [key, counts] of o.series) {
      let sum = added.get(key);
      if (sum === undefined) {
        sum = base.bucketStarts.map(() => 0);
        added.set(key, sum);
      }
      for (let i = 0; i < o.bucketStarts.length; i++) {
        const j = slot.get(o.bucketStarts[i]!);
        if (j !== undefined) sum[j]! += counts[i] ?? 0;
      }
    }
  }
  return {
    bucketSeconds: base.bucketSeconds,
    bucketStarts: base.bucketStarts,
    counts: (key) => {
      const own = base.counts(key);
      const more = added.get(key);
      return more === undefined ? own : own.map((n, i) => n + more[i]!);
    },
  };
}

export class TrafficRing {
  readonly bucketMs: number;
  readonly size: number;
  readonly #now: () => number;
  readonly #series = new Map<string, Uint32Array>();
  /** Absolute bucket number (time / bucketMs) of the newest bucket. */
  #bucket: number;
  readonly #firstBucket: number;

  constructor(options: TrafficOptions = {}) {
    this.bucketMs = options.bucketMs ?? 10_000;
    this.size = Math.max(1, options.buckets ?? 30);
    this.#now = options.now ?? Date.now;
    this.#bucket = Math.floor(this.#now() / this.bucketMs);
    this.#firstBucket = this.#bucket;
  }

  /** The counts array of one series (created on first use); pass it to hit(). */
  series(key: string): Uint32Array {
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new Uint32Array(this.size);
      this.#series.set(key, s);
    }
    return s;
  }

  /** Drops every series whose key is not in `keys` (load balancers or pools that went away). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#series.keys()) if (!keys.has(key)) this.#series.delete(key);
  }

  hit(series: Uint32Array): void {
    const b = Math.floor(this.#now() / this.bucketMs);
    if (b !== this.#bucket) this.#advance(b);
    series[b % this.size]!++;
  }

  snapshot(): TrafficSnapshot {
    const b = Math.floor(this.#now() / this.bucketMs);
    if (b !== this.#bucket) this.#advance(b);
    const first = Math.max(this.#firstBucket, b - this.size + 1);
    const bucketStarts: number[] = [];
    for (let k = first; k <= b; k++) bucketStarts.push(k * this.bucketMs);
    const copies = new Map<string, number[]>();
    for (const [key, s] of this.#series) {
      const counts: number[] = [];
      for (let k = first; k <= b; k++) counts.push(s[k % this.size]!);
      copies.set(key, counts);
    }
    return {
      bucketSeconds: this.bucketMs / 1000,
      bucketStarts,
      counts: (key) => copies.get(key) ?? bucketStarts.map(() => 0),
    };
  }

  export(): TrafficExport {
    const snap = this.snapshot();
    return { bucketStarts: snap.bucketStarts, series: [...this.#series.keys()].map((key) => [key, snap.counts(key)] as const) };
  }

  #advance(b: number): void {
    if (b < this.#bucket || b - this.#bucket >= this.size) {
      // The clock went back, or everything kept is older than the ring: start empty.
      for (const s of this.#series.values()) s.fill(0);
    } else {
      for (let k = this.#bucket + 1; k <= b; k++) for (const s of this.#series.values()) s[k % this.size] = 0;
    }
    this.#bucket = b;
  }
}
