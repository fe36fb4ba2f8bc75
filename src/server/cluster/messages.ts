import type { HealthEntry } from './health-mirror.js';

/** Primary → worker. */
export type ToWorker =
  | { readonly t: 'health'; readonly generation: number; readonly entries: readonly HealthEntry[] }
  | { readonly t: 'reload'; readonly force: boolean };

/** Worker → primary. */
export type ToPrimary =
  | { readonly t: 'listening'; readonly endpoints: readonly { address: string; port: number }[] }
  | { readonly t: 'reloaded'; readonly errors: number };

export function isToWorker(m: unknown): m is ToWorker {
  return typeof m === 'object' && m !== null && ((m as ToWorker).t === 'health' || (m as ToWorker).t === 'reload');
}

export function isToPrimary(m: unknown): m is ToPrimary {
  return typeof m === 'object' && m !== null && ((m as ToPrimary).t === 'listening' || (m as ToPrimary).t === 'reloaded');
}
