// The records a pool can answer for one load balancer, built ahead of time with the load
// balancer's owner name and TTL, so a query only picks an index and returns a prebuilt,
// frozen RRset.
import { RRType, type RR, type RRset } from '../wire/types.js';
import type { LbOrigin, LoadBalancer } from './types.js';
import { cumulativeOf } from './weighted.js';

/** Weighted candidates of one kind (A: IPv4 + hostnames, AAAA: IPv6 + hostnames, CNAME: hostnames). */
export interface CandidateSet {
  readonly count: number;
  readonly names: readonly string[];
  /** One single-record RRset per candidate (A, AAAA or CNAME). */
  readonly rrsets: readonly RRset[];
  readonly weights: Float64Array;
  readonly cumulative: Float64Array;
  /** Rendezvous seeds, from the origin names (stable across reloads). */
  readonly seeds: Uint32Array;
}

export interface AnswerSet {
  readonly a: CandidateSet;
  readonly aaaa: CandidateSet;
  readonly cname: CandidateSet;
  /** Every IPv4 / IPv6 origin's record in config order ('all' steering); null when none. */
  readonly allA: RRset | null;
  readonly allAAAA: RRset | null;
  /** MX / SRV load balancers: every target's record; null when none. */
  readonly records: RRset | null;
  /** Origin names in this set, for the trace. */
  readonly originNames: readonly string[];
}

export const EMPTY_SET: CandidateSet = Object.freeze({
  count: 0,
  names: Object.freeze([]),
  rrsets: Object.freeze([]),
  weights: new Float64Array(0),
  cumulative: new Float64Array(0),
  seeds: new Uint32Array(0),
});

/** The answers a list of origins (already filtered by health or not) gives for `lb`. */
export function buildAnswerSet(lb: LoadBalancer, origins: readonly LbOrigin[]): AnswerSet {
  const owner = lb.owner;
  const ttl = lb.ttl;
  const v4: LbOrigin[] = [];
  const v6: LbOrigin[] = [];
  const hosts: LbOrigin[] = [];
  for (const o of origins) (o.kind === 'ipv4' ? v4 : o.kind === 'ipv6' ? v6 : hosts).push(o);

  const record = (o: LbOrigin): RR => {
    if (lb.recordType === 'MX') {
      return { name: owner, type: RRType.MX, ttl, data: { kind: 'mx', preference: o.priority ?? 0, exchange: o.address } };
    }
    if (lb.recordType === 'SRV') {
      return {
        name: owner,
        type: RRType.SRV,
        ttl,
        data: { kind: 'srv', priority: o.priority ?? 0, weight: o.weight, port: o.port ?? 0, target: o.address },
      };
    }
    // The RDATA was made once per config build (build.ts) and is shared.
    return { name: owner, type: o.kind === 'ipv4' ? RRType.A : o.kind === 'ipv6' ? RRType.AAAA : RRType.CNAME, ttl, data: o.data };
  };
  const frozenRecords = (list: readonly LbOrigin[]): RRset | null =>
    list.length === 0 ? null : Object.freeze(list.map((o) => Object.freeze(record(o))));

  if (lb.recordType !== 'address') {
    return {
      a: EMPTY_SET,
      aaaa: EMPTY_SET,
      cname: EMPTY_SET,
      allA: null,
      allAAAA: null,
      records: frozenRecords(origins),
      originNames: origins.map((o) => o.name),
    };
  }
  const hostSet = candidateSet(hosts, record);
  return {
    a: v4.length === 0 ? hostSet : candidateSet([...v4, ...hosts], record),
    aaaa: v6.length === 0 ? hostSet : candidateSet([...v6, ...hosts], record),
    cname: hostSet,
    allA: frozenRecords(v4),
    allAAAA: frozenRecords(v6),
    records: null,
    originNames: origins.map((o) => o.name),
  };
}

function candidateSet(list: readonly LbOrigin[], record: (o: LbOrigin) => RR): CandidateSet {
  if (list.length === 0) return EMPTY_SET;
  const weights = list.map((o) => o.weight);
  return {
    count: list.length,
    names: list.map((o) => o.name),
    rrsets: list.map((o) => Object.freeze([Object.freeze(record(o))])),
    weights: Float64Array.from(weights),
    cumulative: cumulativeOf(weights),
    seeds: Uint32Array.from(list, (o) => o.seed),
  };
}
