// The server's memory of recent traffic for the what-if API and the status page: one query in
// `sampleEvery` kept in a fixed-size ring (the oldest is overwritten), as the facts a QueryRecord
// is made of when the ring is read. Installed
// with the HTTP listener; sampling keeps its cost on the query path to a counter decrement for
// most queries. A cluster's primary answers no query: it fills the ring with add() from the
// batches its workers send (recent-batcher.ts), so records of several workers interleave.
import type { ClientIp } from '../net/client-ip.js';
import type { QueryAnswer } from '../query/answer.js';
import type { QueryObserver } from '../query/observer.js';
import { formatSubnet, MAX_LOGGED_NAME } from '../query/query-log.js';
import { recordFrom } from '../query/query-recorder.js';
import type { PreparedLb } from '../lb/prepare.js';
import type { RRset } from '../wire/types.js';
import type { QueryRecord } from './record.js';

export interface RecentQueriesOptions {
  /** Keep one query in this many (default 16). */
  readonly sampleEvery?: number;
  /** Records held (default 50 000). */
  readonly capacity?: number;
  readonly now?: () => number;
}

// A sampled query's numbers (NUMBERS per slot) and references (REFS per slot).
const N_TRANSPORT = 0;
const N_QTYPE = 1;
const N_RCODE = 2;
const N_SCOPE = 3;
const N_SAMPLE = 4;
const N_ECS_FAMILY = 5;
const N_ECS_PREFIX = 6;
const NUMBERS = 7;
const R_CLIENT = 0;
const R_QNAME = 1;
const R_KIND = 2;
const R_ZONE = 3;
const R_LB = 4;
const R_PREPARED = 5;
const R_LB_ANSWER = 6;
const REFS = 7;

export class RecentQueries implements QueryObserver {
  readonly sampleEvery: number;
  readonly #size: number;
  /**
   * Slot i holds a QueryRecord (one a worker sent, or one made when slot i was read), or the
   * facts of a query sampled here, in columns: numbers in typed arrays, references to strings
   * and objects that already exist in an array. Sampling allocates next to nothing, so the ring
   * neither keeps the garbage collector busy nor grows the old generation (a QueryRecord is
   * made when the ring is read: the what-if API, a few times a minute at most).
   */
  readonly #records: (QueryRecord | undefined)[];
  readonly #ts: Float64Array;
  readonly #numbers: Int32Array;
  readonly #ecsBytes: Uint8Array;
  readonly #refs: unknown[];
  readonly #now: () => number;
  #next = 0;
  #countdown = 1;

  constructor(options: RecentQueriesOptions = {}) {
    this.sampleEvery = Math.max(1, Math.floor(options.sampleEvery ?? 16));
    const size = Math.max(1, options.capacity ?? 50_000);
    this.#size = size;
    this.#records = new Array(size);
    this.#ts = new Float64Array(size).fill(Number.NaN);
    this.#numbers = new Int32Array(size * NUMBERS);
    this.#ecsBytes = new Uint8Array(size * 16);
    this.#refs = new Array(size * REFS).fill(null);
    this.#now = options.now ?? Date.now;
  }

  observe(answer: QueryAnswer, client: ClientIp): void {
    if (--this.#countdown > 0) return;
    this.#countdown = this.sampleEvery;
    const reply = answer.reply;
    const question = reply?.question ?? null;
    if (reply === null || question === null || question.qname.length > MAX_LOGGED_NAME) return;
    const slot = this.#next;
    this.#next = (slot + 1) % this.#size;
    this.#records[slot] = undefined;
    this.#ts[slot] = this.#now();
    const n = this.#numbers;
    const at = slot * NUMBERS;
    n[at + N_TRANSPORT] = answer.transport === 'tcp' ? 1 : 0;
    n[at + N_QTYPE] = answer.qtype;
    n[at + N_RCODE] = reply.rcode;
    n[at + N_SCOPE] = reply.edns?.ecs?.scopePrefix ?? 0;
    n[at + N_SAMPLE] = this.sampleEvery;
    // The ECS address may be a view of a receive buffer the socket reuses: its bytes are copied.
    const ecs = answer.query?.edns?.ecs ?? null;
    n[at + N_ECS_FAMILY] = ecs === null ? 0 : ecs.family;
    n[at + N_ECS_PREFIX] = ecs === null ? 0 : ecs.sourcePrefix;
    if (ecs !== null) {
      const bytes = this.#ecsBytes;
      const to = slot * 16;
      const length = Math.min(16, ecs.address.length);
      for (let i = 0; i < 16; i++) bytes[to + i] = i < length ? ecs.address[i]! : 0;
    }
    const r = this.#refs;
    const ref = slot * REFS;
    r[ref + R_CLIENT] = client.text();
    r[ref + R_QNAME] = question.qname;
    r[ref + R_KIND] = answer.kind;
    r[ref + R_ZONE] = answer.zone;
    r[ref + R_LB] = answer.lb;
    r[ref + R_PREPARED] = answer.prepared;
    r[ref + R_LB_ANSWER] = answer.lbAnswer;
  }

  /** Records sampled elsewhere (a cluster worker), appended as they come. */
  add(records: readonly QueryRecord[]): void {
    for (const record of records) {
      const slot = this.#next;
      this.#records[slot] = record;
      this.#ts[slot] = record.ts;
      this.#clearRefs(slot);
      this.#next = (slot + 1) % this.#size;
    }
  }

  /** The record in `slot`, made from its columns on first read; undefined for an empty slot. */
  #record(slot: number): QueryRecord | undefined {
    const kept = this.#records[slot];
    if (kept !== undefined || Number.isNaN(this.#ts[slot]!)) return kept;
    const n = this.#numbers;
    const at = slot * NUMBERS;
    const r = this.#refs;
    const ref = slot * REFS;
    const ecsFamily = n[at + N_ECS_FAMILY]!;
    const record = recordFrom(
      {
        ts: this.#ts[slot]!,
        transport: n[at + N_TRANSPORT] === 1 ? 'tcp' : 'udp',
        client: r[ref + R_CLIENT] as string,
        ecs:
          ecsFamily === 0
            ? null
            : formatSubnet({
                family: ecsFamily as 1 | 2,
                sourcePrefix: n[at + N_ECS_PREFIX]!,
                scopePrefix: 0,
                address: this.#ecsBytes.subarray(slot * 16, slot * 16 + 16),
              }),
        qname: r[ref + R_QNAME] as string,
        qtype: n[at + N_QTYPE]!,
        rcode: n[at + N_RCODE]!,
        kind: r[ref + R_KIND] as string,
        zone: r[ref + R_ZONE] as string | null,
        lb: r[ref + R_LB] as string | null,
        prepared: r[ref + R_PREPARED] as PreparedLb | null,
        lbAnswer: r[ref + R_LB_ANSWER] as RRset | null,
        scope: n[at + N_SCOPE]!,
        sample: n[at + N_SAMPLE]!,
      },
      null,
    );
    this.#records[slot] = record;
    this.#clearRefs(slot);
    return record;
  }

  /** Drops a slot's references once its record exists (they would keep old load balancers alive). */
  #clearRefs(slot: number): void {
    this.#refs.fill(null, slot * REFS, slot * REFS + REFS);
  }

  /** Records from `from` to `to` (epoch ms), oldest first. */
  between(from: number, to = Number.POSITIVE_INFINITY): QueryRecord[] {
    const out: QueryRecord[] = [];
    const n = this.#size;
    for (let i = 0; i < n; i++) {
      const slot = (this.#next + i) % n;
      const ts = this.#ts[slot]!;
      if (!(ts >= from && ts <= to)) continue;
      const r = this.#record(slot);
      if (r !== undefined && r.ts >= from && r.ts <= to) out.push(r);
    }
    // Batches of different workers overlap in time; a stable sort only when they do.
    for (let i = 1; i < out.length; i++) {
      if (out[i]!.ts < out[i - 1]!.ts) return out.sort((a, b) => a.ts - b.ts);
    }
    return out;
  }
}
