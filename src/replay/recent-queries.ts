// The server's memory of recent traffic for the what-if API and the status page: one query in
// `sampleEvery` kept as a QueryRecord in a fixed-size ring (the oldest is overwritten). Installed
// with the HTTP listener in a one-process server; sampling keeps its cost on the query path to a
// counter decrement for most queries.
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

  observe(answer: QueryAnswer, client: string): void {
    if (--this.#countdown > 0) return;
    this.#countdown = this.sampleEvery;
    const record = recordOf(answer, client, this.#now(), this.sampleEvery, null);
    if (record === null) return;
    this.#ring[this.#next] = record;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** Records from `from` to `to` (epoch ms), oldest first. */
  between(from: number, to = Number.POSITIVE_INFINITY): QueryRecord[] {
    const out: QueryRecord[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const r = this.#ring[(this.#next + i) % n];
      if (r !== undefined && r.ts >= from && r.ts <= to) out.push(r);
    }
    return out;
  }
}
