// `lb: snapshot`: the records a secondary gets for the load-balanced names of a zone. Each name
// is steered by the same code as a query, for a client the server cannot locate (no ECS, no
// GeoIP or ASN match): the default pools path. Random choices are pinned (the first candidate
// by weight order) so that an unchanged health state always gives the same snapshot, and only
// a health change can change what secondaries hold.
import type { ClientAddress } from '../geo/types.js';
import type { PreparedLbZone } from '../lb/prepare.js';
import { steer } from '../lb/steer.js';
import { RRType, type RR } from '../wire/types.js';
import type { Zone } from '../zone/types.js';

/** Nobody in particular: no subnet to hash or locate, so every policy takes its default path. */
const UNLOCATED: ClientAddress = Object.freeze({ ip: '0.0.0.0', family: 4, sourcePrefix: 0, fromEcs: false });
const pinned = (): number => 0;

/** The current default answer of every load-balanced name of `zone`, owner by owner, in zone order. */
export function lbSnapshot(zone: Zone, prepared: PreparedLbZone | undefined): RR[] {
  const out: RR[] = [];
  if (prepared === undefined) return out;
  for (const node of zone.nodes.values()) {
    const binding = node.dynamic;
    if (binding === null) continue;
    const byType = new Map<number, RR[]>();
    for (const qtype of binding.types) {
      const answer = steer(prepared, node.name, qtype, { client: UNLOCATED, geo: null, asn: null, random: pinned, trace: null });
      if (answer.rrset === null || answer.rrset.length === 0) continue;
      const type = answer.rrset[0]!.type;
      // A CNAME-capable name answers A and AAAA with its CNAME too: keep one copy of it.
      if (byType.has(type)) continue;
      byType.set(
        type,
        answer.rrset.map((rr) => (rr.ttl === answer.ttl ? rr : { ...rr, ttl: answer.ttl })),
      );
    }
    // A CNAME owns its name alone (RFC 1034 §3.6.2).
    const cname = byType.get(RRType.CNAME);
    if (cname !== undefined) out.push(...cname);
    else for (const rrs of byType.values()) out.push(...rrs);
  }
  return out;
}
