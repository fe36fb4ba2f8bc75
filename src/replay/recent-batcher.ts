// A cluster worker's side of the recent-traffic memory: it samples queries exactly as
// RecentQueries does (one in `sampleEvery`, the same record) but, instead of keeping them, hands
// them in batches to `send` (the IPC channel to the primary, which keeps the ring). A batch
// leaves every `flushMs` or once `batchSize` records wait, whichever comes first, and only one is
// in flight at a time: while the primary is slow to read, records wait in a bounded buffer and
// the oldest are dropped (counted) rather than piling up in the channel.
import type { ClientIp } from '../net/client-ip.js';
import type { QueryAnswer } from '../query/answer.js';
import type { QueryObserver } from '../query/observer.js';
import { recordOf } from '../query/query-recorder.js';
import type { QueryRecord } from './record.js';

/** Sends one batch; calls `done` once it has left (or failed); false when it cannot be sent. */
export type BatchSender = (records: QueryRecord[], done: () => void) => boolean;

export interface RecentBatcherOptions {
  /** Keep one query in this many (default 16, as RecentQueries). */
  readonly sampleEvery?: number;
  /** Records per batch at most, and the count that sends one early (default 256). */
  readonly batchSize?: number;
  /** Records waiting at most; beyond, the oldest are dropped (default 8192). */
  readonly capacity?: number;
  /** Longest wait of a record before its batch leaves (default 250 ms). */
  readonly flushMs?: number;
  readonly now?: () => number;
}

export class RecentBatcher implements QueryObserver {
  readonly sampleEvery: number;
  readonly #batchSize: number;
  readonly #capacity: number;
  readonly #flushMs: number;
  readonly #now: () => number;
  #countdown = 1;
  /** Waiting records are #buf[#start..]. */
  #buf: QueryRecord[] = [];
  #start = 0;
  #dropped = 0;
  #send: BatchSender | null = null;
  #inFlight = false;
  #soon = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: RecentBatcherOptions = {}) {
    this.sampleEvery = Math.max(1, Math.floor(options.sampleEvery ?? 16));
    this.#batchSize = Math.max(1, Math.floor(options.batchSize ?? 256));
    this.#capacity = Math.max(this.#batchSize, Math.floor(options.capacity ?? 8192));
    this.#flushMs = Math.max(1, options.flushMs ?? 250);
    this.#now = options.now ?? Date.now;
  }

  /** Records dropped so far because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Records waiting to be sent. */
  get pending(): number {
    return this.#buf.length - this.#start;
  }

  observe(answer: QueryAnswer, client: ClientIp): void {
    if (--this.#countdown > 0) return;
    this.#countdown = this.sampleEvery;
    const record = recordOf(answer, client.text(), this.#now(), this.sampleEvery, null);
    if (record === null) return;
    if (this.pending >= this.#capacity) {
      this.#start++;
      this.#dropped++;
      if (this.#start >= this.#capacity) {
        this.#buf = this.#buf.slice(this.#start);
        this.#start = 0;
      }
    }
    this.#buf.push(record);
    // A full batch leaves on the next turn, off the query path.
    if (this.pending >= this.#batchSize && !this.#soon && this.#send !== null) {
      this.#soon = true;
      setImmediate(() => {
        this.#soon = false;
        this.flush();
      });
    }
  }

  /** Starts sending through `send`; the timer does not keep the process alive. */
  start(send: BatchSender): void {
    this.#send = send;
    this.#timer ??= setInterval(() => this.flush(), this.#flushMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#send = null;
  }

  /** Sends one batch of what waits, unless one is still in flight. */
  flush(): void {
    if (this.#send === null || this.#inFlight || this.pending === 0) return;
    const batch = this.#buf.slice(this.#start, this.#start + this.#batchSize);
    this.#start += batch.length;
    if (this.#start >= this.#buf.length) {
      this.#buf = [];
      this.#start = 0;
    } else if (this.#start >= this.#capacity) {
      this.#buf = this.#buf.slice(this.#start);
      this.#start = 0;
    }
    this.#inFlight = true;
    const sent = this.#send(batch, () => {
      this.#inFlight = false;
      if (this.pending >= this.#batchSize) this.flush();
    });
    // Not sent (the channel is closed): these records are lost, like any the primary never reads.
    if (!sent) this.#inFlight = false;
  }
}
