// Wraps QueryPipeline.answer of a running server to see what the QueryObserver cannot: who
// asked (for the query log), how long answering took (latency histogram) and whether the bytes
// sent were truncated (TC is set by the encoder, after the observer ran). The pipeline is
// synchronous, so a tap's begin() and end() bracket exactly one query, with the observer's
// calls for that query in between.
import type { QueryPipeline, Transport } from '../query/pipeline.js';

export interface AnswerTap {
  /** Before the pipeline runs. */
  begin?(clientIp: string, transport: Transport): void;
  /**
   * After it ran: the message sent (null = dropped) and the time answering took in seconds,
   * or -1 when this query was not timed (timing is sampled).
   */
  end?(out: Uint8Array | null, transport: Transport, seconds: number): void;
}

export interface TapOptions {
  /** Time one query in this many (default 1: every query). */
  readonly timeEvery?: number;
}

/** Installs the taps on `pipeline`; returns a function that removes them. */
export function tapPipeline(pipeline: QueryPipeline, taps: readonly AnswerTap[], options: TapOptions = {}): () => void {
  const original = pipeline.answer;
  const begins = taps.filter((t) => t.begin).map((t) => t.begin!.bind(t));
  const ends = taps.filter((t) => t.end).map((t) => t.end!.bind(t));
  const every = Math.max(1, Math.floor(options.timeEvery ?? 1));
  let countdown = 1;

  const answer = function (this: QueryPipeline, packet: Uint8Array, clientIp: string, transport: Transport): Uint8Array | null {
    for (let i = 0; i < begins.length; i++) begins[i]!(clientIp, transport);
    let out: Uint8Array | null;
    let seconds = -1;
    if (--countdown === 0) {
      countdown = every;
      // performance.now(): sub-microsecond resolution without allocating a BigInt per query.
      const start = performance.now();
      out = original.call(this, packet, clientIp, transport);
      seconds = (performance.now() - start) / 1000;
    } else {
      out = original.call(this, packet, clientIp, transport);
    }
    for (let i = 0; i < ends.length; i++) ends[i]!(out, transport, seconds);
    return out;
  };
  pipeline.answer = answer;
  return () => {
    if (pipeline.answer === answer) pipeline.answer = original;
  };
}

/** TC bit of an encoded DNS message (flags byte 2, bit 0x02). */
export function isTruncated(message: Uint8Array): boolean {
  return message.length > 2 && (message[2]! & 0x02) !== 0;
}
