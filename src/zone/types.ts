import type { RR, RRset } from '../wire/types.js';

/**
 * A name whose A/AAAA/CNAME (or MX/SRV) answers are computed per query by a load balancer.
 * The zone only knows that the name exists and which types are dynamic; what to answer comes
 * from a DynamicSource at lookup time.
 */
export interface DynamicBinding {
  /** Load balancer name (owner, relative form as written in the LB file) — opaque to the zone. */
  readonly lb: string;
  /** Query types this binding answers; a CNAME-capable binding lists CNAME too. */
  readonly types: readonly number[];
}

export interface ZoneNode {
  readonly name: string;
  /** Static RRsets by type. */
  readonly rrsets: ReadonlyMap<number, RRset>;
  readonly dynamic: DynamicBinding | null;
}

export interface Zone {
  /** Origin, lowercase, no trailing dot. */
  readonly origin: string;
  readonly soa: RR;
  readonly serial: number;
  /** Every owner name and every empty non-terminal between an owner and the origin. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /** Names that hold NS RRsets below the apex (zone cuts). */
  readonly cuts: ReadonlySet<string>;
  readonly file: string;
  readonly recordCount: number;
  readonly loadedAt: number;
}

/** What a load balancer returned for one (name, type) at one moment, for one client. */
export interface DynamicAnswer {
  /** null → the name exists but has no data for this type right now (fail-closed → NODATA). */
  readonly rrset: RRset | null;
  /** ECS scope prefix this decision depended on (0 = not location dependent). */
  readonly scope: number;
}

/** Supplied by the query pipeline; binds the client and the current health to the lookup. */
export interface DynamicSource {
  resolve(owner: string, binding: DynamicBinding, qtype: number): DynamicAnswer;
}

/**
 * The typed outcome of a lookup (CoreDNS Result / Knot answer states). The rcode and AA bit
 * follow from `kind` in exactly one place (the pipeline's assemble step).
 *  - answer:   NOERROR, AA; `answer` may start with a CNAME chain.
 *  - nodata:   NOERROR, AA, SOA in authority; `answer` may hold a CNAME chain that ended in NODATA.
 *  - nxdomain: NXDOMAIN, AA, SOA in authority; `answer` may hold a CNAME chain (RFC 6604).
 *  - referral: NOERROR, NS in authority, glue in additional; AA=0, unless `answer` holds the
 *              CNAME/DNAME chain that led into the delegation (that part is ours: AA=1).
 *  - yxdomain: YXDOMAIN, AA; `answer` ends with the DNAME whose rewrite would exceed 255 octets
 *              (RFC 6672 §2.2).
 * `wildcard` names the wildcard owner the answer was synthesised from (RFC 4592), or null.
 */
export type LookupResult = { readonly wildcard: string | null } & (
  | {
      readonly kind: 'answer';
      readonly answer: readonly RRset[];
      readonly additional: readonly RRset[];
      readonly scope: number;
    }
  | { readonly kind: 'nodata'; readonly answer: readonly RRset[]; readonly authority: readonly RRset[]; readonly scope: number }
  | { readonly kind: 'nxdomain'; readonly answer: readonly RRset[]; readonly authority: readonly RRset[]; readonly scope: number }
  | {
      readonly kind: 'referral';
      readonly answer: readonly RRset[];
      readonly authority: readonly RRset[];
      readonly additional: readonly RRset[];
      readonly scope: number;
    }
  | { readonly kind: 'yxdomain'; readonly answer: readonly RRset[]; readonly scope: number }
);

/** A problem found while reading a zone file; every error names file and line. */
export interface ZoneFileError {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly message: string;
}
