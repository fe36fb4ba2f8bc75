// Records → a validated, immutable Zone: RRsets grouped per name, zone-level rules checked
// (one SOA at the apex, apex NS, CNAME exclusivity, nothing but glue under a cut, load-balanced
// names not clashing with static data), empty non-terminals added as nodes.
import { steerError, type SteerError } from '../errors.js';
import { RRType, type RData, type RR, type RRset } from '../wire/types.js';
import { freezeMap, freezeSet } from './freeze.js';
import { absoluteText, isInZone, isWildcardName, parentName } from './name.js';
import { typeName } from './rrtype-names.js';
import type { DynamicBinding, Zone, ZoneNode } from './types.js';

/** A record to build from; `line`/`file` (as a ParsedRecord has them) locate its errors. */
export interface BuildRecord extends RR {
  readonly line?: number;
  readonly file?: string;
}

export interface BuildOptions {
  /** The zone file, for errors about the zone as a whole and for Zone.file. */
  readonly file: string;
  /** Load-balanced names (canonical, absolute) → what they answer dynamically. */
  readonly bindings?: ReadonlyMap<string, DynamicBinding>;
  /** Defaults to Date.now(). */
  readonly loadedAt?: number;
}

/** Warnings are problems the zone was still built despite (today: RRset TTL mismatches). */
export type BuildResult =
  | { readonly zone: Zone; readonly warnings: readonly SteerError[] }
  | { readonly errors: readonly SteerError[] };

/** Types that may sit beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5). */
const CNAME_COMPANIONS: ReadonlySet<number> = new Set([RRType.CNAME, RRType.RRSIG, RRType.NSEC]);
/** Types allowed at a zone cut: the delegation itself, its DS, and glue when a server is named by the cut. */
const AT_CUT: ReadonlySet<number> = new Set([RRType.NS, RRType.DS, RRType.A, RRType.AAAA, RRType.RRSIG, RRType.NSEC]);
/** Types allowed below a cut: glue only. */
const BELOW_CUT: ReadonlySet<number> = new Set([RRType.A, RRType.AAAA]);

interface PendingSet {
  readonly type: number;
  readonly records: BuildRecord[];
  readonly keys: Set<string>;
  /** Input position of the first record, to tell which of two conflicting RRsets came later. */
  readonly order: number;
  ttl: number;
  /** First record whose TTL differed from the RRset's first TTL. */
  mismatchAt: BuildRecord | null;
}

/** Identity of RDATA, so duplicate records (RFC 2181 §5: an RRset is a set) collapse. */
function rdataKey(d: RData): string {
  switch (d.kind) {
    case 'raw':
      return `r${Buffer.from(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength).toString('hex')}`;
    case 'name':
      return `n${d.name}`;
    case 'mx':
      return `m${d.preference} ${d.exchange}`;
    case 'srv':
      return `s${d.priority} ${d.weight} ${d.port} ${d.target}`;
    case 'soa':
      return `o${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
  }
}

function frozenRecord(name: string, type: number, ttl: number, data: RData): RR {
  return Object.freeze({ name, type, ttl, data: Object.freeze({ ...data }) });
}

export function buildZone(origin: string, records: readonly BuildRecord[], opts: BuildOptions): BuildResult {
  const errors: SteerError[] = [];
  const warnings: SteerError[] = [];
  const at = (r: BuildRecord | undefined): { file: string; line?: number } =>
    r?.line === undefined ? { file: r?.file ?? opts.file } : { file: r.file ?? opts.file, line: r.line };
  const zoneText = absoluteText(origin);

  // Group into RRsets, collapsing duplicates.
  const names = new Map<string, Map<number, PendingSet>>();
  records.forEach((r, index) => {
    if (!isInZone(r.name, origin)) {
      errors.push(steerError('STEER_ZONE_OUT_OF_ZONE', [absoluteText(r.name), zoneText], at(r)));
      return;
    }
    let byType = names.get(r.name);
    if (byType === undefined) names.set(r.name, (byType = new Map()));
    let set = byType.get(r.type);
    if (set === undefined) {
      set = { type: r.type, records: [], keys: new Set(), order: index, ttl: r.ttl, mismatchAt: null };
      byType.set(r.type, set);
    }
    if (r.ttl !== set.ttl) {
      set.mismatchAt ??= r;
      set.ttl = Math.min(set.ttl, r.ttl);
    }
    const key = rdataKey(r.data);
    if (set.keys.has(key)) return;
    set.keys.add(key);
    set.records.push(r);
  });

  // SOA: exactly one, at the apex.
  const apex = names.get(origin);
  for (const [name, byType] of names) {
    const soa = byType.get(RRType.SOA);
    if (soa !== undefined && name !== origin) {
      errors.push(steerError('STEER_ZONE_SOA_NOT_APEX', [absoluteText(name), zoneText], at(soa.records[0])));
    }
  }
  const apexSoa = apex?.get(RRType.SOA);
  if (apexSoa === undefined) errors.push(steerError('STEER_ZONE_NO_SOA', [zoneText], { file: opts.file }));
  else if (apexSoa.records.length > 1) errors.push(steerError('STEER_ZONE_MULTIPLE_SOA', [zoneText], at(apexSoa.records[1])));
  if (apex?.get(RRType.NS) === undefined) errors.push(steerError('STEER_ZONE_NO_NS', [zoneText], { file: opts.file }));

  // Zone cuts, and what may live at and below them.
  const cuts = new Set<string>();
  for (const [name, byType] of names) {
    const ns = byType.get(RRType.NS);
    if (name === origin || ns === undefined) continue;
    if (isWildcardName(name)) errors.push(steerError('STEER_ZONE_WILDCARD_NS', [absoluteText(name)], at(ns.records[0])));
    else cuts.add(name);
  }
  /** The topmost cut at or above a name (a cut below a cut is itself an error). */
  const cutAbove = (name: string): string | null => {
    let top: string | null = null;
    for (let n = name; n !== origin && n !== ''; n = parentName(n)) if (cuts.has(n)) top = n;
    return top;
  };
  if (cuts.size > 0) {
    for (const [name, byType] of names) {
      const cut = cutAbove(name);
      if (cut === null) continue;
      const allowed = cut === name ? AT_CUT : BELOW_CUT;
      for (const set of byType.values()) {
        if (!allowed.has(set.type)) {
          errors.push(steerError('STEER_ZONE_OCCLUDED', [typeName(set.type), absoluteText(name), absoluteText(cut)], at(set.records[0])));
        }
      }
    }
  }

  // CNAME and other data.
  for (const [name, byType] of names) {
    const cname = byType.get(RRType.CNAME);
    if (cname === undefined) continue;
    if (cname.records.length > 1) errors.push(steerError('STEER_ZONE_MULTIPLE_CNAME', [absoluteText(name)], at(cname.records[1])));
    for (const set of byType.values()) {
      if (CNAME_COMPANIONS.has(set.type)) continue;
      const later = set.order > cname.order ? set.records[0] : cname.records[0];
      errors.push(steerError('STEER_ZONE_CNAME_CONFLICT', [absoluteText(name)], at(later)));
    }
  }

  // Load-balanced names.
  const bindings = opts.bindings ?? new Map<string, DynamicBinding>();
  for (const [name, binding] of bindings) {
    const conflict = (why: string, r?: BuildRecord): void => {
      errors.push(steerError('STEER_ZONE_DYNAMIC_CONFLICT', [binding.lb, absoluteText(name), why], r ? at(r) : { file: opts.file }));
    };
    if (!isInZone(name, origin)) {
      errors.push(steerError('STEER_ZONE_OUT_OF_ZONE', [absoluteText(name), zoneText], { file: opts.file }));
      continue;
    }
    const cut = cuts.size > 0 ? cutAbove(name) : null;
    if (cut !== null) {
      conflict(`the name is at or below the delegation at ${absoluteText(cut)}`);
      continue;
    }
    for (const set of names.get(name)?.values() ?? []) {
      const t = typeName(set.type);
      if (binding.types.includes(set.type)) conflict(`static ${t} records at the name; the load balancer answers ${t}`, set.records[0]);
      else if (set.type === RRType.CNAME) conflict('a static CNAME cannot share its name with a load balancer', set.records[0]);
      else if (binding.types.includes(RRType.CNAME)) {
        conflict(`a load balancer that may answer with a CNAME cannot share its name with static ${t} records`, set.records[0]);
      } else continue;
      break;
    }
  }

  if (errors.length > 0) return { errors };

  // RRset TTLs: RFC 2181 §5.2 says treat the set as if all had the smallest TTL.
  for (const [name, byType] of names) {
    for (const set of byType.values()) {
      if (set.mismatchAt !== null) {
        warnings.push(steerError('STEER_ZONE_TTL_MISMATCH', [absoluteText(name), typeName(set.type), set.ttl], at(set.mismatchAt)));
      }
    }
  }

  const nodes = new Map<string, ZoneNode>();
  let recordCount = 0;
  for (const [name, byType] of names) {
    const rrsets = new Map<number, RRset>();
    for (const set of [...byType.values()].sort((a, b) => a.type - b.type)) {
      rrsets.set(set.type, Object.freeze(set.records.map((r) => frozenRecord(name, set.type, set.ttl, r.data))));
      recordCount += set.records.length;
    }
    nodes.set(name, Object.freeze({ name, rrsets: freezeMap(rrsets), dynamic: bindings.get(name) ?? null }));
  }
  for (const [name, binding] of bindings) {
    if (!nodes.has(name)) nodes.set(name, Object.freeze({ name, rrsets: freezeMap(new Map()), dynamic: binding }));
  }
  // Empty non-terminals: every name between an owner and the apex exists (RFC 4592 §2.2.2).
  for (const name of [...nodes.keys()]) {
    for (let n = name; n !== origin && n !== ''; ) {
      n = parentName(n);
      if (nodes.has(n)) break;
      nodes.set(n, Object.freeze({ name: n, rrsets: freezeMap(new Map()), dynamic: null }));
    }
  }

  const soa = nodes.get(origin)!.rrsets.get(RRType.SOA)![0]!;
  const serial = soa.data.kind === 'soa' ? soa.data.serial : 0;
  const zone: Zone = Object.freeze({
    origin,
    soa,
    serial,
    nodes: freezeMap(nodes),
    cuts: freezeSet(cuts),
    file: opts.file,
    recordCount,
    loadedAt: opts.loadedAt ?? Date.now(),
  });
  return { zone, warnings };
}
