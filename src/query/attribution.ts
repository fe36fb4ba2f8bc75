// Which load balancer, pool and origin a record in a reply came from. Steering answers with
// records prebuilt once per (config, health generation) by prepareLb, and returns those very
// objects, so object identity is enough: a map from each prebuilt record to its origin is built
// on every state swap (metrics) or on first use (sourceOf), and a query costs one Map.get per
// answer record.
import type { AnswerSet, CandidateSet } from '../lb/answer-sets.js';
import type { PreparedLb, PreparedLbZone } from '../lb/prepare.js';
import type { LbOrigin } from '../lb/types.js';
import type { RR, RRset } from '../wire/types.js';

export interface RecordSource {
  readonly zone: string;
  /** Load balancer owner name (canonical). */
  readonly lb: string;
  readonly pool: string;
  readonly origin: string;
}

/** Every prebuilt load-balancer record of `lbZones`, mapped to `make(source)`. */
export function attributeRecords<T>(lbZones: ReadonlyMap<string, PreparedLbZone>, make: (source: RecordSource) => T): Map<RR, T> {
  const out = new Map<RR, T>();
  const memo = new Map<string, T>();
  const valueFor = (source: RecordSource): T => {
    const key = `${source.zone}\u0000${source.lb}\u0000${source.pool}\u0000${source.origin}`;
    let v = memo.get(key);
    if (v === undefined) {
      v = make(source);
      memo.set(key, v);
    }
    return v;
  };
  for (const zone of lbZones.values()) {
    for (const lb of zone.loadBalancers.values()) recordsOf(zone.origin, lb, (rr, source) => out.set(rr, valueFor(source)));
  }
  return out;
}

/**
 * Calls `add` for every prebuilt record of one prepared load balancer. A health change prepares
 * only some load balancers again (the others keep their records), so a caller can attribute just
 * the ones that changed.
 */
export function recordsOf(zone: string, lb: PreparedLb, add: (rr: RR, source: RecordSource) => void): void {
  for (const pool of lb.pools) {
    const emit = (rr: RR | undefined, origin: string | undefined): void => {
      if (rr !== undefined && origin !== undefined) add(rr, { zone, lb: lb.owner, pool: pool.name, origin });
    };
    // live holds the healthy origins, failOpen all enabled ones (see prepare.ts).
    addSet(pool.live, pool.health.upOrigins, emit);
    addSet(pool.failOpen, pool.health.enabledOrigins, emit);
  }
}

function addSet(set: AnswerSet, origins: readonly LbOrigin[], add: (rr: RR | undefined, origin: string | undefined) => void): void {
  for (const c of [set.a, set.aaaa, set.cname]) addCandidates(c, add);
  // The multi-record RRsets list their origins in the order buildAnswerSet was given them.
  addInOrder(
    set.allA,
    origins.filter((o) => o.kind === 'ipv4'),
    add,
  );
  addInOrder(
    set.allAAAA,
    origins.filter((o) => o.kind === 'ipv6'),
    add,
  );
  addInOrder(set.records, origins, add);
}

function addCandidates(c: CandidateSet, add: (rr: RR | undefined, origin: string | undefined) => void): void {
  for (let i = 0; i < c.count; i++) add(c.rrsets[i]?.[0], c.names[i]);
}

function addInOrder(
  rrset: RRset | null,
  origins: readonly LbOrigin[],
  add: (rr: RR | undefined, origin: string | undefined) => void,
): void {
  if (rrset === null) return;
  for (let i = 0; i < rrset.length; i++) add(rrset[i], origins[i]?.name);
}

/** Per prepared load balancer, its records' sources; built the first time a query asks. */
const sourcesByLb = new WeakMap<PreparedLb, Map<RR, RecordSource>>();

/** Where `rr`, a record steering answered with from `lb`, came from; undefined if not one of its records. */
export function sourceOf(zone: string, lb: PreparedLb, rr: RR): RecordSource | undefined {
  let sources = sourcesByLb.get(lb);
  if (sources === undefined) {
    const built = new Map<RR, RecordSource>();
    recordsOf(zone, lb, (record, source) => built.set(record, source));
    sourcesByLb.set(lb, built);
    sources = built;
  }
  return sources.get(rr);
}
