// Health as it travels from a cluster's primary (which probes) to its workers (which answer):
// a plain list of entries, rebuilt into an immutable HealthSnapshot on arrival.
import type { HealthSnapshot, TargetHealth } from '../../health/types.js';
import type { HealthTable } from '../../health/table.js';

/** [key, up, known, since, reason] */
export type HealthEntry = readonly [string, boolean, boolean, number, string];

export function healthEntries(table: HealthTable): HealthEntry[] {
  return table.stats().map((s) => [s.key, s.up, s.known, s.since, s.reason] as const);
}

export function mirroredSnapshot(generation: number, entries: readonly HealthEntry[]): HealthSnapshot {
  const byKey = new Map<string, TargetHealth>();
  for (const [key, up, known, since, reason] of entries) {
    byKey.set(key, Object.freeze({ up, known, since, reason, lastResult: null }));
  }
  return Object.freeze({
    generation,
    get: (key: string) => byKey.get(key),
    isUp: (key: string) => byKey.get(key)?.up ?? true,
  });
}
