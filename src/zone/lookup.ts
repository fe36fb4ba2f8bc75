// Answering one question from one zone (RFC 1034 §4.3.2 with RFC 2308 negative answers, RFC 4592
// wildcards, RFC 6604 CNAME chains, RFC 6672 DNAME, RFC 8482 minimal ANY). Pure: the only outside
// input is the DynamicSource, which computes load-balanced data for the client at hand.
//
// Choices worth knowing:
//  - Any query at or below a zone cut is a referral, except DS exactly at the cut: DS belongs to
//    the parent side (RFC 4035 §3.1.4.1), so it is answered here with AA (the DS RRset, or NODATA).
//  - ANY gets one RRset (RFC 8482 §4.2), on every transport: at a load-balanced name the steered
//    A (else AAAA, else the binding's other types), otherwise the node's lowest-numbered type. A
//    CNAME at the name is that RRset; it is not followed.
//  - A CNAME chain (RFC 1034 §4.3.2 step 3.a, restarting at the target) ends as 'answer' with what
//    was collected when the next target is outside the zone, already visited (a loop) or the chain
//    holds MAX_CNAME_CHAIN links. A target at or below a cut of this zone ends it as a referral
//    that keeps the chain (step 3.b): the chain is ours and authoritative, the rest is the child's.
//  - A name below a DNAME owner is rewritten (RFC 6672 §3.2): the DNAME RRset and a CNAME
//    synthesised from it (owner the name asked, TTL the DNAME's) join the chain, and the lookup
//    restarts at the new name; each synthesis counts as one link. A rewrite longer than 255
//    octets is 'yxdomain' (RFC 6672 §2.2). The DNAME owner itself answers as any other name.
//  - Additional data (A/AAAA) is added for MX exchanges, SRV targets and NS targets (an NS
//    answer at the apex, or a referral), from exact in-zone names only (no wildcard synthesis).
import { RRType, type RR, type RRset } from '../wire/types.js';
import { isInZone, MAX_NAME_WIRE, parentName, readWireName, wildcardOf, wireLength } from './name.js';
import type { DynamicBinding, DynamicSource, LookupResult, Zone, ZoneNode } from './types.js';
import { factsOf } from './zone-facts.js';

export const MAX_CNAME_CHAIN = 12;

const EMPTY: readonly RRset[] = Object.freeze([]);
const ADDRESS_TYPES = [RRType.A, RRType.AAAA] as const;

/** Per-zone facts the lookup needs, computed once per Zone object (zones are immutable). */
interface ZoneIndex {
  /** Authority section of negative answers: the SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308 §5). */
  readonly negative: readonly RRset[];
  readonly hasWildcards: boolean;
  /** Every node at or below a zone cut → that cut. Empty when the zone delegates nothing. */
  readonly cutOf: ReadonlyMap<string, string>;
  readonly hasDnames: boolean;
}

const indexes = new WeakMap<Zone, ZoneIndex>();

function indexOf(zone: Zone): ZoneIndex {
  const known = indexes.get(zone);
  if (known !== undefined) return known;
  const soa = zone.soa;
  const ttl = soa.data.kind === 'soa' ? Math.min(soa.ttl, soa.data.minimum) : soa.ttl;
  const negativeSoa: RR = Object.freeze({ name: soa.name, type: soa.type, ttl, data: soa.data });
  // The builder records these facts; walking every name (a million in a big zone) would stall
  // the first query after a reload.
  const { hasWildcards, cutOf, hasDnames } = factsOf(zone);
  const ix: ZoneIndex = Object.freeze({
    negative: Object.freeze([Object.freeze([negativeSoa])]),
    hasWildcards,
    cutOf,
    hasDnames,
  });
  indexes.set(zone, ix);
  return ix;
}

/** The deepest existing ancestor of a name that does not exist itself (RFC 4592 §3.3.1). */
function closestEncloser(zone: Zone, name: string): string | null {
  let n = name;
  while (n !== '') {
    n = parentName(n);
    if (zone.nodes.has(n)) return n;
  }
  return null;
}

function withOwner(rrset: RRset, owner: string): RRset {
  if (rrset[0]!.name === owner) return rrset;
  return rrset.map((rr) => ({ name: owner, type: rr.type, ttl: rr.ttl, data: rr.data }));
}

/** State of one lookup: the zone, the client's dynamic source, and the ECS scope used so far. */
class Resolution {
  scope = 0;
  /** The wildcard owner the query name was answered from (first one, if a chain meets several). */
  wildcard: string | null = null;
  /** Set by select(): the RRset it returned is a CNAME standing in for the asked type. */
  viaCname = false;

  constructor(
    readonly zone: Zone,
    readonly ix: ZoneIndex,
    readonly source: DynamicSource | null,
  ) {}

  /** Dynamic data for (owner, type); undefined for "no data". Folds the answer's scope in. */
  resolve(owner: string, binding: DynamicBinding, type: number): RRset | undefined {
    const got = this.source!.resolve(owner, binding, type);
    if (got.scope > this.scope) this.scope = got.scope;
    const rrset = got.rrset;
    return rrset !== null && rrset.length > 0 ? rrset : undefined;
  }

  /** The RRset answering `qtype` at a node: the data itself, or a CNAME (viaCname), or undefined. */
  select(node: ZoneNode, owner: string, qtype: number): RRset | undefined {
    this.viaCname = false;
    const binding = node.dynamic;
    if (binding !== null && this.source !== null) {
      if (binding.types.includes(qtype)) {
        const rrset = this.resolve(owner, binding, qtype);
        if (rrset === undefined) return undefined;
        const type = rrset[0]!.type;
        if (type === qtype) return rrset;
        if (type !== RRType.CNAME) return undefined; // a source bug must not put A data under AAAA
        this.viaCname = true;
        return rrset;
      }
      // A binding that can answer CNAME may be a CNAME right now: then every type gets it.
      if (binding.types.includes(RRType.CNAME)) {
        const rrset = this.resolve(owner, binding, RRType.CNAME);
        if (rrset !== undefined && rrset[0]!.type === RRType.CNAME) {
          this.viaCname = true;
          return rrset;
        }
      }
    }
    const direct = node.rrsets.get(qtype);
    if (direct !== undefined) return direct;
    if (qtype !== RRType.CNAME) {
      const cname = node.rrsets.get(RRType.CNAME);
      if (cname !== undefined) {
        this.viaCname = true;
        return cname;
      }
    }
    return undefined;
  }

  /** RFC 8482: one RRset for ANY. */
  selectAny(node: ZoneNode, owner: string): RRset | undefined {
    const binding = node.dynamic;
    if (binding !== null && this.source !== null) {
      for (const t of ADDRESS_TYPES) {
        if (!binding.types.includes(t)) continue;
        const rrset = this.resolve(owner, binding, t);
        if (rrset !== undefined) return rrset;
      }
      for (const t of binding.types) {
        if (t === RRType.A || t === RRType.AAAA) continue;
        const rrset = this.resolve(owner, binding, t);
        if (rrset !== undefined) return rrset;
      }
    }
    // Nodes keep their RRsets in type order, so the first is the lowest type.
    for (const rrset of node.rrsets.values()) return rrset;
    return undefined;
  }

  /** A/AAAA for the in-zone targets named by MX, SRV or NS records (SVCB/HTTPS: serviceAdditional). */
  additionalFor(rrset: RRset, referral: boolean): readonly RRset[] {
    const type = rrset[0]!.type;
    if (type === RRType.SVCB || type === RRType.HTTPS) return this.serviceAdditional(rrset);
    let out: RRset[] | null = null;
    for (let i = 0; i < rrset.length; i++) {
      const target = targetOf(rrset[i]!);
      if (target === null || target === '') continue; // SRV "." means "no service"
      let repeated = false;
      for (let j = 0; j < i && !repeated; j++) repeated = targetOf(rrset[j]!) === target;
      if (repeated || !isInZone(target, this.zone.origin)) continue;
      // Below a cut the data is glue, not ours to serve except to make a referral usable.
      if (!referral && this.ix.cutOf.has(target)) continue;
      const node = this.zone.nodes.get(target);
      if (node === undefined) continue;
      out = this.addressesOf(target, node, out);
    }
    return out ?? EMPTY;
  }

  /** `out` (made on first use) with the A and AAAA RRsets of `name`, static or load-balanced. */
  private addressesOf(name: string, node: ZoneNode, out: RRset[] | null): RRset[] | null {
    for (const t of ADDRESS_TYPES) {
      const binding = node.dynamic;
      let addresses: RRset | undefined;
      if (binding !== null && this.source !== null && binding.types.includes(t)) {
        addresses = this.resolve(name, binding, t);
        if (addresses !== undefined && addresses[0]!.type !== t) addresses = undefined;
      } else {
        addresses = node.rrsets.get(t);
      }
      if (addresses === undefined) continue;
      if (out === null) out = [];
      out.push(addresses);
    }
    return out;
  }

  /**
   * RFC 9460 §4.1, for in-zone names only: an AliasMode record brings the SVCB/HTTPS RRset of its
   * target (followed while the chain stays in the zone, loops and long chains cut off), and a
   * ServiceMode record the A/AAAA of its TargetName, or of its owner when the target is ".".
   */
  private serviceAdditional(rrset: RRset): readonly RRset[] {
    const type = rrset[0]!.type;
    let out: RRset[] | null = null;
    const followed = new Set<string>([rrset[0]!.name]);
    const addressed = new Set<string>();
    const queue: RRset[] = [rrset];
    for (let q = 0; q < queue.length && q <= MAX_CNAME_CHAIN; q++) {
      for (const rr of queue[q]!) {
        const service = serviceTarget(rr);
        if (service === null) continue;
        const target = service.name;
        if (!isInZone(target, this.zone.origin) || this.ix.cutOf.has(target)) continue;
        const node = this.zone.nodes.get(target);
        if (node === undefined) continue;
        if (service.alias) {
          if (followed.has(target)) continue;
          followed.add(target);
          const next = node.rrsets.get(type);
          if (next === undefined) continue;
          if (out === null) out = [];
          out.push(next);
          queue.push(next);
        } else if (!addressed.has(target)) {
          addressed.add(target);
          out = this.addressesOf(target, node, out);
        }
      }
    }
    return out ?? EMPTY;
  }

  answer(answer: readonly RRset[], additional: readonly RRset[]): LookupResult {
    return { kind: 'answer', answer, additional, scope: this.scope, wildcard: this.wildcard };
  }

  negative(kind: 'nodata' | 'nxdomain', chain: readonly RRset[] | null): LookupResult {
    return { kind, answer: chain ?? EMPTY, authority: this.ix.negative, scope: this.scope, wildcard: this.wildcard };
  }

  /**
   * The name is at or below a cut: the child's NS in authority, glue in additional. A chain that
   * led here stays in the answer (RFC 1034 §4.3.2 step 3.b after restarting at its target).
   */
  atCut(cut: string, chain: readonly RRset[] | null): LookupResult {
    const ns = this.zone.nodes.get(cut)!.rrsets.get(RRType.NS)!;
    return {
      kind: 'referral',
      answer: chain ?? EMPTY,
      authority: [ns],
      additional: this.additionalFor(ns, true),
      scope: this.scope,
      wildcard: this.wildcard,
    };
  }

  /** A DNAME rewrite would make a name longer than 255 octets (RFC 6672 §2.2). */
  yxdomain(chain: readonly RRset[]): LookupResult {
    return { kind: 'yxdomain', answer: chain, scope: this.scope, wildcard: this.wildcard };
  }
}

/** `name` with its suffix `owner` replaced by `target` (RFC 6672 §2.2). */
function substitute(name: string, owner: string, target: string): string {
  const prefix = owner === '' ? name : name.slice(0, name.length - owner.length - 1);
  return target === '' ? prefix : `${prefix}.${target}`;
}

/** The chain so far with one more RRset; the chain is made on first use (most answers have none). */
function extend(chain: RRset[] | null, rrset: RRset): RRset[] {
  if (chain === null) return [rrset];
  chain.push(rrset);
  return chain;
}

/** True when `name` already owns a CNAME of the chain: following it again would loop. */
function visited(chain: readonly RRset[], name: string): boolean {
  for (const link of chain) if (link[0]!.type === RRType.CNAME && link[0]!.name === name) return true;
  return false;
}

function targetOf(rr: RR): string | null {
  const d = rr.data;
  switch (d.kind) {
    case 'mx':
      return d.exchange;
    case 'srv':
      return d.target;
    case 'name':
      return rr.type === RRType.NS ? d.name : null;
    default:
      return null;
  }
}

function wantsAdditional(rrset: RRset): boolean {
  const t = rrset[0]!.type;
  return t === RRType.MX || t === RRType.SRV || t === RRType.NS || t === RRType.SVCB || t === RRType.HTTPS;
}

/**
 * Where an SVCB/HTTPS record points: its TargetName, or for "." in ServiceMode its owner
 * (RFC 9460 §2.5.2); null for "." in AliasMode (no service) or unreadable data.
 */
function serviceTarget(rr: RR): { readonly name: string; readonly alias: boolean } | null {
  const d = rr.data;
  if (d.kind !== 'raw' || d.bytes.length < 3) return null;
  const alias = d.bytes[0] === 0 && d.bytes[1] === 0;
  const read = readWireName(d.bytes, 2);
  if (typeof read === 'string') return null;
  if (read.name !== '') return { name: read.name, alias };
  return alias ? null : { name: rr.name, alias };
}

/**
 * Answers (qname, qtype) from `zone`; qname must be at or below zone.origin (canonical form).
 * `source` computes load-balanced data; null answers dynamic names from static data only.
 */
export function lookup(zone: Zone, qname: string, qtype: number, source: DynamicSource | null): LookupResult {
  const ix = indexOf(zone);
  const r = new Resolution(zone, ix, source);
  let chain: RRset[] | null = null;
  let links = 0;
  let name = qname;
  for (;;) {
    let node = zone.nodes.get(name);
    if (node !== undefined) {
      const cut = ix.cutOf.size === 0 ? undefined : ix.cutOf.get(name);
      // DS at the cut itself is the parent's data, answered like any other (RFC 4035 §3.1.4.1).
      if (cut !== undefined && (cut !== name || qtype !== RRType.DS)) return r.atCut(cut, chain);
    } else {
      const encloser = closestEncloser(zone, name);
      if (encloser === null) return r.negative('nxdomain', chain);
      // Whatever is below a cut is delegated, whether it exists here or not.
      const cut = ix.cutOf.size === 0 ? undefined : ix.cutOf.get(encloser);
      if (cut !== undefined) return r.atCut(cut, chain);
      // Nothing exists below a DNAME owner (the builder checks), so its owner is the encloser.
      const dname = ix.hasDnames ? zone.nodes.get(encloser)!.rrsets.get(RRType.DNAME) : undefined;
      const rr = dname?.[0];
      if (rr !== undefined && rr.data.kind === 'name') {
        const next = substitute(name, encloser, rr.data.name);
        chain = extend(chain, dname!);
        if (wireLength(next) > MAX_NAME_WIRE) return r.yxdomain(chain);
        chain.push([{ name, type: RRType.CNAME, ttl: rr.ttl, data: { kind: 'name', name: next } }]);
        // Like a CNAME asked for by type: the synthesised one is the answer, not followed.
        if (qtype === RRType.CNAME || !isInZone(next, zone.origin) || ++links >= MAX_CNAME_CHAIN || visited(chain, next)) {
          return r.answer(chain, EMPTY);
        }
        name = next;
        continue;
      }
      const wildcard = ix.hasWildcards ? wildcardOf(encloser) : '';
      node = ix.hasWildcards ? zone.nodes.get(wildcard) : undefined;
      if (node === undefined) return r.negative('nxdomain', chain);
      r.wildcard ??= wildcard;
    }

    if (qtype === RRType.ANY) {
      const one = r.selectAny(node, name);
      if (one === undefined) return r.negative('nodata', chain);
      const rrset = withOwner(one, name);
      const answer = extend(chain, rrset);
      return r.answer(answer, wantsAdditional(rrset) ? r.additionalFor(rrset, false) : EMPTY);
    }

    const found = r.select(node, name, qtype);
    if (found === undefined) return r.negative('nodata', chain);
    // Wildcard answers take the query name as owner (RFC 4592 §2.1.1).
    const rrset = withOwner(found, name);
    if (!r.viaCname) {
      const answer = extend(chain, rrset);
      return r.answer(answer, wantsAdditional(rrset) ? r.additionalFor(rrset, false) : EMPTY);
    }

    chain = extend(chain, rrset);
    const data = rrset[0]!.data;
    if (data.kind !== 'name') return r.answer(chain, EMPTY);
    const target = data.name;
    if (!isInZone(target, zone.origin) || ++links >= MAX_CNAME_CHAIN || visited(chain, target)) return r.answer(chain, EMPTY);
    name = target;
  }
}
