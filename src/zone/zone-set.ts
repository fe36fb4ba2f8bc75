// The zones being served, found by longest suffix match on whole labels: walk up the labels of
// the query name and take the first origin that matches (CoreDNS does the same); DS at a served
// apex is the one exception, answered by the parent zone when that is served too.
import { steerError } from '../errors.js';
import { RRType } from '../wire/types.js';
import { absoluteText, parentName } from './name.js';
import type { Zone } from './types.js';

export class ZoneSet {
  readonly zones: readonly Zone[];
  readonly generation: number;
  private readonly byOrigin: ReadonlyMap<string, Zone>;

  /** Throws STEER_ZONE_DUPLICATE_ORIGIN when two zones share an origin. */
  constructor(zones: readonly Zone[], generation = 0) {
    const byOrigin = new Map<string, Zone>();
    for (const zone of zones) {
      if (byOrigin.has(zone.origin)) throw steerError('STEER_ZONE_DUPLICATE_ORIGIN', [absoluteText(zone.origin)], { file: zone.file });
      byOrigin.set(zone.origin, zone);
    }
    this.byOrigin = byOrigin;
    this.zones = Object.freeze([...zones]);
    this.generation = generation;
    Object.freeze(this);
  }

  /**
   * The zone with the longest origin that qname is at or below; null when none is. A DS query
   * for the apex of a zone whose parent is served too goes to the parent: DS lives on the parent
   * side of the cut (RFC 4034 §5, RFC 4035 §3.1.4.1).
   */
  find(qname: string, qtype = 0): Zone | null {
    if (this.byOrigin.size === 0) return null;
    for (let name = qname; ; name = parentName(name)) {
      const zone = this.byOrigin.get(name);
      if (zone !== undefined) {
        if (qtype !== RRType.DS || name !== qname || name === '') return zone;
        return this.find(parentName(name)) ?? zone;
      }
      if (name === '') return null;
    }
  }

  /** The zone with exactly this origin. */
  get(origin: string): Zone | null {
    return this.byOrigin.get(origin) ?? null;
  }
}
