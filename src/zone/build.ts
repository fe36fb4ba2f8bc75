// Records → a validated, immutable Zone: RRsets grouped per name, zone-level rules checked
// (one SOA at the apex, apex NS, CNAME exclusivity, nothing but glue under a cut, DS only at a
// cut, one DNAME per name and nothing below it, load-balanced names not clashing with static
// data), empty non-terminals added as nodes.
//
// Built for zones of millions of records: records arrive frozen from the parser and are served
// as they are (a copy is made only when an RRset's TTLs must be evened out), duplicates are
// looked for only inside their RRset, and the grouping map of draft nodes becomes the zone's
// node map, each draft finished in place.
import { steerError, type SteerError } from '../errors.js';
import { RRType, type RData, type RR, type RRset } from '../wire/types.js';
import { freezeSet } from './freeze.js';
import { absoluteText, firstDot, isInZone, isWildcardName, parentName } from './name.js';
import { NodeMap } from './node-map.js';
import type { RecordList } from './parser.js';
import { EMPTY_TABLE, rrsetTable, singleRRsetTable } from './rrset-table.js';
import { typeName } from './rrtype-names.js';
import type { DynamicBinding, Zone, ZoneNode } from './types.js';
import { recordZoneFacts } from './zone-facts.js';

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
export type BuildResult = { readonly zone: Zone; readonly warnings: readonly SteerError[] } | { readonly errors: readonly SteerError[] };

/** Types that may sit beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5). */
const CNAME_COMPANIONS: ReadonlySet<number> = new Set([RRType.CNAME, RRType.RRSIG, RRType.NSEC]);
/** Types allowed at a zone cut: the delegation itself, its DS, and glue when a server is named by the cut. */
const AT_CUT: ReadonlySet<number> = new Set([RRType.NS, RRType.DS, RRType.A, RRType.AAAA, RRType.RRSIG, RRType.NSEC]);
/** Types allowed below a cut: glue only. */
const BELOW_CUT: ReadonlySet<number> = new Set([RRType.A, RRType.AAAA]);
/** An RRset this big finds duplicates through a set of keys instead of comparing with each record. */
const KEYED_FROM = 16;

interface PendingSet {
  readonly type: number;
  readonly rrs: RR[];
  /** Input position of the first record, to tell which of two conflicting RRsets came later. */
  readonly order: number;
  /** Input position of the second distinct record, or -1. */
  second: number;
  ttl: number;
  /** Input position of the first record whose TTL differed from the RRset's first TTL, or -1. */
  mismatchAt: number;
  /** RDATA keys of every record, once the set is big enough to need them. */
  keys: Set<string> | null;
}

/** RFC 2181 §5: an RRset is a set, so identical RDATA collapses. */
function sameRData(a: RData, b: RData): boolean {
  switch (a.kind) {
    case 'raw': {
      if (b.kind !== 'raw' || a.bytes.length !== b.bytes.length) return false;
      for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
      return true;
    }
    case 'name':
      return b.kind === 'name' && a.name === b.name;
    case 'mx':
      return b.kind === 'mx' && a.preference === b.preference && a.exchange === b.exchange;
    case 'srv':
      return b.kind === 'srv' && a.priority === b.priority && a.weight === b.weight && a.port === b.port && a.target === b.target;
    case 'soa':
      return (
        b.kind === 'soa' &&
        a.mname === b.mname &&
        a.rname === b.rname &&
        a.serial === b.serial &&
        a.refresh === b.refresh &&
        a.retry === b.retry &&
        a.expire === b.expire &&
        a.minimum === b.minimum
      );
  }
}

/** Identity of RDATA as a string, for big RRsets. */
function rdataKey(d: RData): string {
  switch (d.kind) {
    case 'raw':
      return `r${Buffer.from(d.bytes).toString('latin1')}`;
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

/** True when `data` is already in the set; otherwise remembers it (the caller adds the record). */
function isDuplicate(set: PendingSet, data: RData): boolean {
  const keys = set.keys;
  if (keys !== null) {
    const key = rdataKey(data);
    if (keys.has(key)) return true;
    keys.add(key);
    return false;
  }
  const rrs = set.rrs;
  for (let i = 0; i < rrs.length; i++) if (sameRData(rrs[i]!.data, data)) return true;
  if (rrs.length + 1 >= KEYED_FROM) {
    const made = new Set<string>();
    for (const rr of rrs) made.add(rdataKey(rr.data));
    made.add(rdataKey(data));
    set.keys = made;
  }
  return false;
}

/** The served RRset: the records themselves, or copies with the set's (smallest) TTL. */
function finalRRset(set: PendingSet): RRset {
  const rrs =
    set.mismatchAt < 0
      ? set.rrs
      : set.rrs.map((rr) => (rr.ttl === set.ttl ? rr : Object.freeze({ name: rr.name, type: rr.type, ttl: set.ttl, data: rr.data })));
  return Object.freeze(rrs);
}

/**
 * A node while its zone is built: `rrsets` holds the pending RRsets until finishNode() puts the
 * served table there and freezes the node. Same shape as the finished ZoneNode.
 */
interface DraftNode {
  readonly name: string;
  rrsets: PendingSet[] | ReadonlyMap<number, RRset>;
  dynamic: DynamicBinding | null;
}

function pendingOf(node: DraftNode): PendingSet[] {
  return node.rrsets as PendingSet[];
}

/** Puts the served RRsets in place of the pending ones; returns how many records they hold. */
function finishNode(node: DraftNode, dynamic: DynamicBinding | null): number {
  const sets = pendingOf(node);
  let records = 0;
  if (sets.length === 1) {
    const set = sets[0]!;
    node.rrsets = singleRRsetTable(set.type, finalRRset(set));
    records = set.rrs.length;
  } else {
    sets.sort((a, b) => a.type - b.type);
    const types: number[] = [];
    const rrsets: RRset[] = [];
    for (const set of sets) {
      types.push(set.type);
      rrsets.push(finalRRset(set));
      records += set.rrs.length;
    }
    node.rrsets = rrsetTable(Object.freeze(types), Object.freeze(rrsets));
  }
  node.dynamic = dynamic;
  Object.freeze(node);
  return records;
}

function newDraft(name: string): DraftNode {
  return { name, rrsets: [], dynamic: null };
}

function emptyNode(name: string, dynamic: DynamicBinding | null): DraftNode {
  return Object.freeze({ name, rrsets: EMPTY_TABLE, dynamic });
}

/** Builds a zone from records (copied; the caller's objects are not kept). */
export function buildZone(origin: string, records: readonly BuildRecord[], opts: BuildOptions): BuildResult {
  const list: RecordList = { rrs: [], lines: [], files: [] };
  for (const r of records) {
    list.rrs.push(Object.freeze({ name: r.name, type: r.type, ttl: r.ttl, data: Object.freeze({ ...r.data }) }));
    list.lines.push(r.line ?? 0);
    list.files.push(r.file ?? opts.file);
  }
  return buildZoneFromList(origin, list, opts);
}

/**
 * Builds a zone from parsed records in columns (parseZone's output). The frozen records are
 * kept and served as they are; line 0 means "no line".
 */
export function buildZoneFromList(origin: string, list: RecordList, opts: BuildOptions): BuildResult {
  const errors: SteerError[] = [];
  const warnings: SteerError[] = [];
  const { rrs, lines, files } = list;
  const at = (i: number): { file: string; line?: number } => {
    const line = lines[i] ?? 0;
    return line === 0 ? { file: files[i] ?? opts.file } : { file: files[i] ?? opts.file, line };
  };
  const zoneText = absoluteText(origin);

  // Group into RRsets, collapsing duplicates. Files list an owner's records together, so the
  // previous record's node is tried before the map.
  const nodes = new NodeMap<DraftNode>(rrs.length);
  let hasWildcards = false;
  let lastName: string | null = null;
  let lastSets: PendingSet[] = [];
  for (let i = 0; i < rrs.length; i++) {
    const rr = rrs[i]!;
    let sets = lastSets;
    if (rr.name !== lastName) {
      if (!isInZone(rr.name, origin)) {
        errors.push(steerError('STEER_ZONE_OUT_OF_ZONE', [absoluteText(rr.name), zoneText], at(i)));
        continue;
      }
      sets = pendingOf(nodes.getOrAdd(rr.name, newDraft));
      if (!hasWildcards && isWildcardName(rr.name)) hasWildcards = true;
      lastName = rr.name;
      lastSets = sets;
    }
    let set: PendingSet | undefined;
    for (let k = 0; k < sets.length; k++) {
      if (sets[k]!.type === rr.type) {
        set = sets[k];
        break;
      }
    }
    if (set === undefined) {
      sets.push({ type: rr.type, rrs: [rr], order: i, second: -1, ttl: rr.ttl, mismatchAt: -1, keys: null });
      continue;
    }
    if (rr.ttl !== set.ttl) {
      if (set.mismatchAt < 0) set.mismatchAt = i;
      set.ttl = Math.min(set.ttl, rr.ttl);
    }
    if (isDuplicate(set, rr.data)) continue;
    if (set.second < 0) set.second = i;
    set.rrs.push(rr);
  }

  // One pass over the names for the per-name rules; each kind of error is kept apart so they
  // are reported in a stable order (SOA, cuts, occlusion, CNAME, load balancers).
  const soaErrors: SteerError[] = [];
  const cutErrors: SteerError[] = [];
  const cnameErrors: SteerError[] = [];
  const dnameErrors: SteerError[] = [];
  const cuts = new Set<string>();
  const dnames = new Set<string>();
  // (forEach: walking a NodeMap with for...of goes through a generator, slower per name.)
  nodes.forEach((node, name) => {
    const sets = pendingOf(node);
    let cname: PendingSet | undefined;
    for (const set of sets) {
      if (set.type === RRType.SOA && name !== origin) {
        soaErrors.push(steerError('STEER_ZONE_SOA_NOT_APEX', [absoluteText(name), zoneText], at(set.order)));
      } else if (set.type === RRType.NS && name !== origin) {
        if (isWildcardName(name)) cutErrors.push(steerError('STEER_ZONE_WILDCARD_NS', [absoluteText(name)], at(set.order)));
        else cuts.add(name);
      } else if (set.type === RRType.CNAME) {
        cname = set;
      } else if (set.type === RRType.DS && name === origin) {
        // The parent's data in the child's file: Knot and NSD load such zones, so do we.
        warnings.push(steerError('STEER_ZONE_DS_AT_APEX', [absoluteText(name)], at(set.order)));
      } else if (set.type === RRType.DS && !sets.some((s) => s.type === RRType.NS)) {
        // As Knot: a DS anywhere but beside the NS of a delegation is data no one would ask for.
        cutErrors.push(steerError('STEER_ZONE_DS_NOT_AT_CUT', [absoluteText(name)], at(set.order)));
      } else if (set.type === RRType.DNAME) {
        dnames.add(name);
        if (set.second >= 0) dnameErrors.push(steerError('STEER_ZONE_MULTIPLE_DNAME', [absoluteText(name)], at(set.second)));
      }
      if (set.mismatchAt >= 0) {
        warnings.push(steerError('STEER_ZONE_TTL_MISMATCH', [absoluteText(name), typeName(set.type), set.ttl], at(set.mismatchAt)));
      }
    }
    if (cname === undefined) return;
    if (cname.second >= 0) cnameErrors.push(steerError('STEER_ZONE_MULTIPLE_CNAME', [absoluteText(name)], at(cname.second)));
    for (const set of sets) {
      if (CNAME_COMPANIONS.has(set.type)) continue;
      const later = Math.max(set.order, cname.order);
      cnameErrors.push(steerError('STEER_ZONE_CNAME_CONFLICT', [absoluteText(name)], at(later)));
    }
  });
  errors.push(...soaErrors);

  // SOA: exactly one, at the apex.
  const apexNode = nodes.get(origin);
  const apex = apexNode === undefined ? undefined : pendingOf(apexNode);
  const apexSoa = apex?.find((s) => s.type === RRType.SOA);
  if (apexSoa === undefined) errors.push(steerError('STEER_ZONE_NO_SOA', [zoneText], { file: opts.file }));
  else if (apexSoa.second >= 0) errors.push(steerError('STEER_ZONE_MULTIPLE_SOA', [zoneText], at(apexSoa.second)));
  if (apex?.find((s) => s.type === RRType.NS) === undefined) errors.push(steerError('STEER_ZONE_NO_NS', [zoneText], { file: opts.file }));
  errors.push(...cutErrors);

  // What may live at and below zone cuts.
  /** The topmost cut at or above a name (a cut below a cut is itself an error). */
  const cutAbove = (name: string): string | null => {
    let top: string | null = null;
    for (let n = name; n !== origin && n !== ''; n = parentName(n)) if (cuts.has(n)) top = n;
    return top;
  };
  const cutOf = new Map<string, string>();
  if (cuts.size > 0) {
    nodes.forEach((node, name) => {
      const cut = cutAbove(name);
      if (cut === null) return;
      cutOf.set(name, cut);
      const allowed = cut === name ? AT_CUT : BELOW_CUT;
      for (const set of pendingOf(node)) {
        if (!allowed.has(set.type)) {
          errors.push(steerError('STEER_ZONE_OCCLUDED', [typeName(set.type), absoluteText(name), absoluteText(cut)], at(set.order)));
        }
      }
    });
  }
  errors.push(...cnameErrors);

  // Below a DNAME owner nothing exists (RFC 6672 §2.3): the lookup relies on it to find the
  // DNAME as the closest encloser of any name it redirects.
  /** The DNAME owner strictly above a name, or null. */
  const dnameAbove = (name: string): string | null => {
    for (let n = name; n !== origin && n !== ''; ) {
      n = parentName(n);
      if (dnames.has(n)) return n;
    }
    return null;
  };
  if (dnames.size > 0) {
    nodes.forEach((node, name) => {
      const owner = dnameAbove(name);
      if (owner === null) return;
      for (const set of pendingOf(node)) {
        dnameErrors.push(
          steerError('STEER_ZONE_BELOW_DNAME', [typeName(set.type), absoluteText(name), absoluteText(owner)], at(set.order)),
        );
      }
    });
  }
  errors.push(...dnameErrors);

  // Load-balanced names.
  const bindings = opts.bindings ?? new Map<string, DynamicBinding>();
  for (const [name, binding] of bindings) {
    const conflict = (why: string, order?: number): void => {
      errors.push(
        steerError(
          'STEER_ZONE_DYNAMIC_CONFLICT',
          [binding.lb, absoluteText(name), why],
          order === undefined ? { file: opts.file } : at(order),
        ),
      );
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
    const dname = dnames.size > 0 ? dnameAbove(name) : null;
    if (dname !== null) {
      conflict(`the name is below the DNAME at ${absoluteText(dname)}`);
      continue;
    }
    const node = nodes.get(name);
    for (const set of node === undefined ? [] : pendingOf(node)) {
      const t = typeName(set.type);
      if (binding.types.includes(set.type)) conflict(`static ${t} records at the name; the load balancer answers ${t}`, set.order);
      else if (set.type === RRType.CNAME) conflict('a static CNAME cannot share its name with a load balancer', set.order);
      else if (binding.types.includes(RRType.CNAME)) {
        conflict(`a load balancer that may answer with a CNAME cannot share its name with static ${t} records`, set.order);
      } else continue;
      break;
    }
  }

  if (errors.length > 0) return { errors };

  // Each draft becomes its served node in place.
  const hasBindings = bindings.size > 0;
  let recordCount = 0;
  nodes.forEach((node, name) => {
    recordCount += finishNode(node, hasBindings ? (bindings.get(name) ?? null) : null);
  });
  for (const [name, binding] of bindings) if (!nodes.has(name)) nodes.put(name, emptyNode(name, binding));

  // Empty non-terminals: every name between an owner and the apex exists (RFC 4592 §2.2.2).
  // Siblings share a parent, so the last parent found is compared first, without cutting the
  // name. The names are listed first: the map must not grow while it is walked.
  let knownParent = origin;
  const owners: string[] = [];
  nodes.forEach((_node, name) => {
    owners.push(name);
  });
  for (const name of owners) {
    if (name === origin) continue;
    const dot = firstDot(name);
    if (dot >= 0 && name.length - dot - 1 === knownParent.length && name.endsWith(knownParent)) continue;
    for (let n = name; n !== origin && n !== ''; ) {
      n = parentName(n);
      if (nodes.has(n)) {
        knownParent = n;
        break;
      }
      nodes.put(n, emptyNode(n, null));
      if (cuts.size > 0) {
        const cut = cutAbove(n);
        if (cut !== null) cutOf.set(n, cut);
      }
    }
  }

  const served = (nodes as NodeMap<ZoneNode>).seal();
  const soa = served.get(origin)!.rrsets.get(RRType.SOA)![0]!;
  const serial = soa.data.kind === 'soa' ? soa.data.serial : 0;
  const zone: Zone = Object.freeze({
    origin,
    soa,
    serial,
    nodes: served,
    cuts: freezeSet(cuts),
    file: opts.file,
    recordCount,
    loadedAt: opts.loadedAt ?? Date.now(),
  });
  recordZoneFacts(zone, { hasWildcards, cutOf, hasDnames: dnames.size > 0 });
  return { zone, warnings };
}
