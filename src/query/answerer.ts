// What a transport calls to answer a message: the pipeline, and when something observes the
// queries, the observer right after it with the client's address and (sampled) timing.
import type { ClientIp } from '../net/client-ip.js';
import type { QueryAnswer } from './answer.js';
import type { QueryObserver } from './observer.js';
import type { Transport } from './transport.js';

export interface Answerer {
  /** Answers one message; the result is valid until the next call (see QueryAnswer). */
  answer(packet: Uint8Array, client: ClientIp, transport: Transport): QueryAnswer;
}

export interface ObserveOptions {
  /** Time one query in this many (default 1: every query). */
  readonly timeEvery?: number;
}

/** `pipeline` itself when nothing observes (the query path pays nothing), else an ObservedAnswerer. */
export function observedAnswerer(pipeline: Answerer, observer: QueryObserver | null, options: ObserveOptions = {}): Answerer {
  return observer === null ? pipeline : new ObservedAnswerer(pipeline, observer, options.timeEvery ?? 1);
}

export class ObservedAnswerer implements Answerer {
  private readonly every: number;
  private countdown = 1;

  constructor(
    private readonly pipeline: Answerer,
    private readonly observer: QueryObserver,
    timeEvery: number,
  ) {
    this.every = Math.max(1, Math.floor(timeEvery));
  }

  answer(packet: Uint8Array, client: ClientIp, transport: Transport): QueryAnswer {
    let answer: QueryAnswer;
    let seconds = -1;
    if (--this.countdown === 0) {
      this.countdown = this.every;
      // performance.now(): sub-microsecond resolution without allocating a BigInt per query.
      const start = performance.now();
      answer = this.pipeline.answer(packet, client, transport);
      seconds = (performance.now() - start) / 1000;
    } else {
      answer = this.pipeline.answer(packet, client, transport);
    }
    this.observer.observe(answer, client, seconds);
    return answer;
  }
}
