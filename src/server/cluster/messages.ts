// What a cluster's primary and its workers say to each other over the IPC channel (JSON).
import type { Override } from '../../overrides/types.js';
import type { QueryRecord } from '../../replay/record.js';
import type { HealthMessage } from './health-mirror.js';

export interface WireEndpoint {
  readonly address: string;
  readonly port: number;
}

/** Primary → worker. */
export type ToWorker =
  /** The primary's health table changed: the whole table (base null) or what changed since `base`. */
  | HealthMessage
  /** The operator overrides the primary serves now, whole (on every change, and after each 'hello'). */
  | { readonly t: 'overrides'; readonly overrides: readonly Override[] }
  /** Load what changed (everything with force) and hold it; answer with 'staged'. */
  | { readonly t: 'stage'; readonly seq: number; readonly force: boolean }
  /** Serve what was staged under seq (one synchronous swap). */
  | { readonly t: 'commit'; readonly seq: number }
  /** Forget what was staged under seq. */
  | { readonly t: 'abort'; readonly seq: number }
  /** Send back what the caller of startClusterWorker collects (metrics), as 'collected'. */
  | { readonly t: 'collect'; readonly seq: number };

/** Worker → primary. */
export type ToPrimary =
  /**
   * The worker runs and waits for its first health message before it opens any socket; the
   * primary answers with the overrides in force, then the whole health table.
   */
  | { readonly t: 'hello' }
  | { readonly t: 'listening'; readonly endpoints: readonly WireEndpoint[]; readonly fingerprint: string }
  | { readonly t: 'staged'; readonly seq: number; readonly fingerprint: string; readonly errors: number }
  | { readonly t: 'collected'; readonly seq: number; readonly data: unknown }
  /** Sampled recent queries for the primary's what-if memory; `dropped`: lost so far (buffer full). */
  | { readonly t: 'recent'; readonly records: readonly QueryRecord[]; readonly dropped: number };

const TO_WORKER = new Set(['health', 'overrides', 'stage', 'commit', 'abort', 'collect']);
const TO_PRIMARY = new Set(['hello', 'listening', 'staged', 'collected', 'recent']);

export function isToWorker(m: unknown): m is ToWorker {
  return typeof m === 'object' && m !== null && TO_WORKER.has((m as { t?: unknown }).t as string);
}

export function isToPrimary(m: unknown): m is ToPrimary {
  return typeof m === 'object' && m !== null && TO_PRIMARY.has((m as { t?: unknown }).t as string);
}

/** Environment variable that carries a worker's server options (JSON) from the primary. */
export const OPTIONS_ENV = 'STEERDNS_CLUSTER_OPTIONS';
