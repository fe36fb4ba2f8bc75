// The server's memory of recent traffic for the what-if API and the status page: one query in
// `sampleEvery` kept as a QueryRecord in a fixed-size ring (the oldest is overwritten). Installed
// with the HTTP listener; sampling keeps its cost on the query path to a counter decrement for
// most queries. A cluster's primary answers no query: it fills the ring with add() from the
// batches its workers send (recent-batcher.ts), so records of several workers interleave.
import type { ClientIp } from '../net/client-ip.js';
import type { QueryAnswer } from '../query/answer.js';
import type { QueryObserver } from '../query/observer.js';
import { recordOf } from '../query/query-recorder.js';
import type { QueryRecord } from './record.js';

export interface RecentQueriesOptions {
  /** Keep one query in this many (default 16). */
  readonly sampleEvery?: number;
  /** Records held (default 50 000). */
  readonly capacity?: number;
  readonly now?: () => number;
}

export class RecentQueries implements QueryObserver {
  readonly sampleEvery: number;
  readonly #ring: (QueryRecord | undefined)[];
  readonly #now: () => number;
  #next = 0;
  #countdown = 1;

  constructor(options: RecentQueriesOptions = {}) {
    this.sampleEvery = Math.max(1, Math.floor(options.sampleEvery ?? 16));
    this.#ring = new Array(Math.max(1, options.capacity ?? 50_000));
    this.#now = options.now ?? Date.now;
  }

  observe(answer: QueryAnswer, client: ClientIp): void {
    if (--this.#countdown > 0) return;
    this.#countdown = this.sampleEvery;
    const record = recordOf(answer, client.text(), this.#now(), this.sampleEvery, null);
    if (record === null) return;
    this.#ring[this.#next] = record;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** Records sampled elsewhere (a cluster worker), appended as they come. */
  add(records: readonly QueryRecord[]): void {
    for (const record of records) {
      this.#ring[this.#next] = record;
      this.#next = (this.#next + 1) % this.#ring.length;
    }
  }

  /** Records from `from` to `to` (epoch ms), oldest first. */
  between(from: number, to = Number.POSITIVE_INFINITY): QueryRecord[] {
    const out: QueryRecord[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const r = this.#ring[(this.#next + i) % n];
      if (r !== undefined && r.ts >= from && r.ts <= to) out.push(r);
    }
    // Batches of different workers overlap in time; a stable sort only when they do.
    for (let i = 1; i < out.length; i++) {
      if (out[i]!.ts < out[i - 1]!.ts) return out.sort((a, b) => a.ts - b.ts);
    }
    return out;
  }
}
