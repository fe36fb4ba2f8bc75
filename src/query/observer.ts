import type { Query, Reply } from '../wire/types.js';
import type { Transport } from './pipeline.js';

/**
 * Hooks the query path calls after each decision; metrics and the query log implement it.
 * Implementations must be cheap and must not throw.
 */
export interface QueryObserver {
  dropped(reason: string, transport: Transport): void;
  answered(zone: string | null, reply: Reply, transport: Transport, qtype: number, query?: Query): void;
}
