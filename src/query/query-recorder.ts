// The replayable query log (--query-log-file): one QueryRecord (src/replay/record.ts) per sampled
// query, as a JSON line, to a size-rotated file. Installed only when asked for, so the query
// path pays nothing otherwise. Messages without a question (dropped, unparsable) are not
// written: there is nothing to replay.
import type { ClientIp } from '../net/client-ip.js';
import { rcodeToString, typeToString } from '../wire/format.js';
import { RECORD_VERSION, type QueryRecord, type Truncation, truncateAddress, truncateSubnet } from '../replay/record.js';
import type { PreparedLb } from '../lb/prepare.js';
import type { RRset } from '../wire/types.js';
import { originsOf, poolOf, type QueryAnswer } from './answer.js';
import type { Transport } from './transport.js';
import type { QueryObserver } from './observer.js';
import { formatSubnet, MAX_LOGGED_NAME } from './query-log.js';

/** Where records go: a RotatingFile, or anything else that takes lines (tests, the HTTP ring). */
export interface LineSink {
  writeLine(line: string): void;
}

export interface QueryRecorderOptions {
  /** Record one query in this many (default 1). */
  readonly sampleEvery?: number;
  /** Cut client addresses and ECS subnets to these prefixes; null keeps them whole. */
  readonly truncate?: Truncation | null;
  readonly now?: () => number;
}

export class QueryRecorder implements QueryObserver {
  readonly #sink: LineSink;
  readonly #every: number;
  readonly #truncate: Truncation | null;
  readonly #now: () => number;
  #countdown = 1;

  constructor(sink: LineSink, options: QueryRecorderOptions = {}) {
    this.#sink = sink;
    this.#every = Math.max(1, Math.floor(options.sampleEvery ?? 1));
    this.#truncate = options.truncate ?? null;
    this.#now = options.now ?? Date.now;
  }

  observe(answer: QueryAnswer, client: ClientIp): void {
    if (--this.#countdown > 0) return;
    this.#countdown = this.#every;
    const record = recordOf(answer, client.text(), this.#now(), this.#every, this.#truncate);
    if (record !== null) this.#sink.writeLine(JSON.stringify(record));
  }
}

/** The record of one answered query; null when it had no question to replay. */
export function recordOf(answer: QueryAnswer, client: string, ts: number, sample: number, truncate: Truncation | null): QueryRecord | null {
  const reply = answer.reply;
  const question = reply?.question ?? null;
  if (reply === null || question === null || question.qname.length > MAX_LOGGED_NAME) return null;
  const ecs = answer.query?.edns?.ecs ?? null;
  return recordFrom(
    {
      ts,
      transport: answer.transport,
      client,
      ecs: ecs === null ? null : formatSubnet(ecs),
      qname: question.qname,
      qtype: answer.qtype,
      rcode: reply.rcode,
      kind: answer.kind,
      zone: answer.zone,
      lb: answer.lb,
      prepared: answer.prepared,
      lbAnswer: answer.lbAnswer,
      scope: reply.edns?.ecs?.scopePrefix ?? 0,
      sample,
    },
    truncate,
  );
}

/** What a QueryRecord is made from: numbers, and references to what does not change (strings, the prepared load balancer). */
export interface RecordFacts {
  readonly ts: number;
  readonly transport: Transport;
  readonly client: string;
  /** "ADDR/SOURCE-PREFIX" (formatSubnet), or null. */
  readonly ecs: string | null;
  readonly qname: string;
  readonly qtype: number;
  readonly rcode: number;
  readonly kind: string;
  readonly zone: string | null;
  readonly lb: string | null;
  readonly prepared: PreparedLb | null;
  readonly lbAnswer: RRset | null;
  readonly scope: number;
  readonly sample: number;
}

/** The one place a QueryRecord is assembled (recordOf now, the what-if ring when it is read). */
export function recordFrom(f: RecordFacts, truncate: Truncation | null): QueryRecord {
  const steered = f.lb !== null;
  return {
    v: RECORD_VERSION,
    ts: f.ts,
    transport: f.transport,
    resolver: truncateAddress(f.client, truncate),
    ecs: f.ecs === null ? null : truncateSubnet(f.ecs, truncate),
    qname: f.qname,
    qtype: typeToString(f.qtype),
    rcode: rcodeToString(f.rcode),
    kind: f.kind,
    zone: f.zone,
    lb: f.lb,
    pool: steered ? poolOf(f.zone, f.prepared, f.lbAnswer) : null,
    origins: steered ? originsOf(f.zone, f.prepared, f.lbAnswer) : [],
    scope: f.scope,
    sample: f.sample,
  };
}
