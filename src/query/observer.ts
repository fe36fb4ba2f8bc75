import type { ClientIp } from '../net/client-ip.js';
import type { QueryAnswer } from './answer.js';

/**
 * Sees every message a transport handled; metrics and the query log implement it. The caller (the
 * transport, through ObservedAnswerer) hands over who asked and, for one query in N, how long
 * answering took. Implementations must be cheap, must not throw, and must not keep `answer`: the
 * pipeline refills it for the next query, nor `client` (the batched path reuses it): an observer
 * that prints or keeps the address asks for client.text(), only for the queries it samples.
 */
export interface QueryObserver {
  /** `seconds`: decode to encoded reply, or -1 when this query was not timed (timing is sampled). */
  observe(answer: QueryAnswer, client: ClientIp, seconds: number): void;
}
