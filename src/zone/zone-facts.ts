// Facts about a zone that lookups need and the builder learns anyway. Recorded when the zone is
// built, so the first query after a reload does not walk every name of a big zone to find them.
import { RRType } from '../wire/types.js';
import { isWildcardName, parentName } from './name.js';
import type { Zone } from './types.js';

export interface ZoneFacts {
  /** Some owner name is a wildcard ("*" leftmost). */
  readonly hasWildcards: boolean;
  /** Every node at or below a zone cut → the topmost such cut. Empty when nothing is delegated. */
  readonly cutOf: ReadonlyMap<string, string>;
  /** Some name holds a DNAME (RFC 6672), so a missing name may be redirected by its encloser. */
  readonly hasDnames: boolean;
}

const facts = new WeakMap<Zone, ZoneFacts>();

export function recordZoneFacts(zone: Zone, f: ZoneFacts): void {
  facts.set(zone, f);
}

/** Facts recorded for a zone by its builder; undefined for zones made some other way. */
export function zoneFacts(zone: Zone): ZoneFacts | undefined {
  return facts.get(zone);
}

/** The facts of any zone: recorded ones, else found by walking every name (hand-made zones). */
export function factsOf(zone: Zone): ZoneFacts {
  const known = facts.get(zone);
  if (known !== undefined) return known;
  let hasWildcards = false;
  let hasDnames = false;
  const cutOf = new Map<string, string>();
  for (const name of zone.nodes.keys()) {
    if (isWildcardName(name)) hasWildcards = true;
    if (zone.nodes.get(name)!.rrsets.has(RRType.DNAME)) hasDnames = true;
    if (zone.cuts.size === 0) continue;
    // The topmost cut wins: everything below it is delegated.
    for (let n = name; n !== zone.origin && n !== ''; n = parentName(n)) if (zone.cuts.has(n)) cutOf.set(name, n);
  }
  return { hasWildcards, cutOf, hasDnames };
}
