// Facts about a zone that lookups need and the builder learns anyway. Recorded when the zone is
// built, so the first query after a reload does not walk every name of a big zone to find them.
import type { Zone } from './types.js';

export interface ZoneFacts {
  /** Some owner name is a wildcard ("*" leftmost). */
  readonly hasWildcards: boolean;
  /** Every node at or below a zone cut → the topmost such cut. Empty when nothing is delegated. */
  readonly cutOf: ReadonlyMap<string, string>;
}

const facts = new WeakMap<Zone, ZoneFacts>();

export function recordZoneFacts(zone: Zone, f: ZoneFacts): void {
  facts.set(zone, f);
}

/** Facts recorded for a zone by its builder; undefined for zones made some other way. */
export function zoneFacts(zone: Zone): ZoneFacts | undefined {
  return facts.get(zone);
}
