// A DO=1 reply from a signed zone: the assembled reply with an RRSIG after every authoritative
// RRset and the proofs a validator needs, built from the typed lookup result:
//  - answers (static, load-balanced, CNAME chains, DNAME): each RRset signed; a wildcard
//    expansion is signed as the wildcard (RRSIG labels field one short of the owner, RFC 4035
//    §5.3.2) with an NSEC covering the next-closer name beside it;
//  - NXDOMAIN and NODATA: compact denial (RFC 9824): NOERROR, the SOA and one NSEC at the name
//    (the last name of a CNAME chain) whose next name is its immediate successor; NXDOMAIN's
//    bitmap is RRSIG NSEC NXNAME, NODATA's lists the types the name has;
//  - referrals: the delegation NS and glue unsigned, the DS signed or an NSEC at the cut showing
//    NS without DS (an insecure delegation).
// DNAME-synthesised CNAMEs stay unsigned (validators synthesise them from the signed DNAME).
import { isInZone, parentName } from '../zone/name.js';
import { RRType, type Query, type Reply, type RRset } from '../wire/types.js';
import type { LookupResult, Zone, ZoneNode } from '../zone/types.js';
import { nameToWire } from '../wire/name.js';
import { coveringPair, immediateSuccessor, nsecRecord, RRTYPE_NSEC, RRTYPE_NXNAME, RRTYPE_RRSIG } from './nsec.js';
import type { Signer } from './signer.js';
import { type KeyView, RRTYPE_CDNSKEY, RRTYPE_CDS, RRTYPE_DNSKEY, type ZoneSigning } from './zone-signing.js';

const EMPTY: readonly RRset[] = Object.freeze([]);

/**
 * The lookup result with the apex key RRsets a signed zone publishes (DNSKEY, CDS, CDNSKEY)
 * answered from the keys, whatever DO says; other results are returned as they are.
 */
export function withApexKeys(
  result: LookupResult,
  zone: Zone,
  qname: string,
  qtype: number,
  signing: ZoneSigning,
  now: number,
): LookupResult {
  if (qname !== zone.origin || result.kind !== 'nodata' || result.answer.length !== 0) return result;
  if (qtype !== RRTYPE_DNSKEY && qtype !== RRTYPE_CDS && qtype !== RRTYPE_CDNSKEY) return result;
  const rrset = apexKeyRRset(signing.view(now), qtype);
  if (rrset === null || rrset.length === 0) return result;
  return { kind: 'answer', answer: [rrset], additional: EMPTY, scope: result.scope, wildcard: null };
}

function apexKeyRRset(view: KeyView, type: number): RRset | null {
  return type === RRTYPE_DNSKEY ? view.dnskey : type === RRTYPE_CDS ? view.cds : type === RRTYPE_CDNSKEY ? view.cdnskey : null;
}

export function signReply(
  reply: Reply,
  result: LookupResult,
  query: Query,
  zone: Zone,
  signing: ZoneSigning,
  signer: Signer,
  now: number,
): Reply {
  const s = new ReplySigning(zone, signing.view(now), signer, now);
  const answer: RRset[] = [];
  const authority: RRset[] = [];
  for (const rrset of reply.answer) s.add(answer, rrset, authority);
  let rcode = reply.rcode;
  let additional = reply.additional;
  switch (result.kind) {
    case 'answer':
    case 'yxdomain':
      if (reply.additional.length > 0) {
        const signed: RRset[] = [];
        for (const rrset of reply.additional) s.add(signed, rrset, null);
        additional = signed;
      }
      break;
    case 'nodata':
    case 'nxdomain': {
      for (const rrset of reply.authority) s.add(authority, rrset, null);
      const name = finalName(query.qname, result.answer);
      const nsec = result.kind === 'nxdomain' ? s.nxdomainProof(name) : s.nodataProof(name, query.qtype);
      s.add(authority, [nsec], null);
      if (rcode === 3) rcode = 0; // RFC 9824 §3: NXDOMAIN is answered as NOERROR, the NSEC says the rest
      break;
    }
    case 'referral': {
      const ns = reply.authority[0]!;
      authority.push(ns);
      const cut = ns[0]!.name;
      const ds = zone.nodes.get(cut)?.rrsets.get(RRType.DS);
      if (ds !== undefined) s.add(authority, ds, null);
      else s.add(authority, [nsecRecord(cut, immediateSuccessor(cut), [RRType.NS, RRTYPE_RRSIG, RRTYPE_NSEC], s.negativeTtl)], null);
      for (let i = 1; i < reply.authority.length; i++) authority.push(reply.authority[i]!);
      break;
    }
  }
  return {
    id: reply.id,
    opcode: reply.opcode,
    rcode,
    aa: reply.aa,
    rd: reply.rd,
    cd: reply.cd,
    question: reply.question,
    answer,
    authority,
    additional,
    edns: reply.edns,
  };
}

/** The name a negative answer is about: the query name, or the target of the chain's last CNAME. */
function finalName(qname: string, chain: readonly RRset[]): string {
  let name = qname;
  for (const rrset of chain) {
    const rr = rrset[0]!;
    if (rr.type === RRType.CNAME && rr.name === name && rr.data.kind === 'name') name = rr.data.name;
  }
  return name;
}

class ReplySigning {
  readonly negativeTtl: number;

  constructor(
    private readonly zone: Zone,
    private readonly view: KeyView,
    private readonly signer: Signer,
    private readonly now: number,
  ) {
    const soa = zone.soa;
    this.negativeTtl = soa.data.kind === 'soa' ? Math.min(soa.ttl, soa.data.minimum) : soa.ttl;
  }

  /** Appends `rrset` and its signatures to `section`; a wildcard expansion's proof goes to `proofs`. */
  add(section: RRset[], rrset: RRset, proofs: RRset[] | null): void {
    section.push(rrset);
    const owner = rrset[0]!.name;
    const type = rrset[0]!.type;
    if (type === RRTYPE_RRSIG || !isInZone(owner, this.zone.origin)) return;
    let wildcard: string | null = null;
    // NSECs are made here for the names they are about, never synthesised from a wildcard.
    if (type !== RRTYPE_NSEC && !this.zone.nodes.has(owner)) {
      const encloser = closestEncloser(this.zone, owner);
      if (encloser === null) return;
      // A CNAME made from a DNAME is not signed: the validator makes it again from the DNAME.
      if (type === RRType.CNAME && this.zone.nodes.get(encloser)?.rrsets.has(RRType.DNAME)) return;
      wildcard = encloser === '' ? '*' : `*.${encloser}`;
      if (proofs !== null) this.wildcardProof(proofs, owner, encloser);
    }
    const isKeyRRset = owner === this.zone.origin && (type === RRTYPE_DNSKEY || type === RRTYPE_CDS || type === RRTYPE_CDNSKEY);
    const keys = isKeyRRset ? this.view.keyKeys : this.view.dataKeys;
    section.push(this.signer.sign(rrset, keys, this.view, this.zone.origin, this.now, wildcard));
  }

  /** The NSEC that covers the next-closer name of a wildcard expansion (RFC 4035 §3.1.3.3). */
  private wildcardProof(proofs: RRset[], owner: string, encloser: string): void {
    // The next-closer name: the label of `owner` right below the encloser.
    const wire = nameToWire(owner);
    const labels: Uint8Array[] = [];
    for (let at = 0; wire[at] !== 0; at += wire[at]! + 1) labels.push(wire.subarray(at + 1, at + 1 + wire[at]!));
    const depth = encloser === '' ? 0 : countLabels(encloser);
    const label = labels[labels.length - depth - 1];
    if (label === undefined) return;
    const pair = coveringPair(label, encloser);
    if (pair === null) return;
    const nsec = nsecRecord(pair.owner, pair.next, [RRTYPE_RRSIG, RRTYPE_NSEC], this.negativeTtl);
    this.add(proofs, [nsec], null);
  }

  nxdomainProof(name: string) {
    return nsecRecord(name, immediateSuccessor(name), [RRTYPE_RRSIG, RRTYPE_NSEC, RRTYPE_NXNAME], this.negativeTtl);
  }

  /** NSEC at `name` listing the types it has (never `qtype`, which is being denied). */
  nodataProof(name: string, qtype: number) {
    const types = new Set<number>([RRTYPE_RRSIG, RRTYPE_NSEC]);
    const zone = this.zone;
    const cut = name !== zone.origin && zone.cuts.has(name);
    let node: ZoneNode | undefined = zone.nodes.get(name);
    if (node === undefined) {
      const encloser = closestEncloser(zone, name);
      if (encloser !== null) node = zone.nodes.get(encloser === '' ? '*' : `*.${encloser}`);
    }
    if (cut) {
      // At a delegation only NS and DS are the parent's (RFC 4035 §2.3).
      types.add(RRType.NS);
      if (node?.rrsets.has(RRType.DS)) types.add(RRType.DS);
    } else if (node !== undefined) {
      for (const t of node.rrsets.keys()) types.add(t);
      // A load balancer's types exist at the name, but a CNAME it may give is never claimed:
      // a CNAME bit would contradict the NODATA.
      for (const t of node.dynamic?.types ?? []) if (t !== RRType.CNAME) types.add(t);
      if (name === zone.origin) {
        types.add(RRTYPE_DNSKEY);
        if (this.view.cds !== null) types.add(RRTYPE_CDS).add(RRTYPE_CDNSKEY);
      }
    }
    types.delete(qtype);
    return nsecRecord(name, immediateSuccessor(name), types, this.negativeTtl);
  }
}

function countLabels(name: string): number {
  const wire = nameToWire(name);
  let n = 0;
  for (let at = 0; wire[at] !== 0; at += wire[at]! + 1) n++;
  return n;
}

function closestEncloser(zone: Zone, name: string): string | null {
  let n = name;
  while (n !== '' && n !== zone.origin) {
    n = parentName(n);
    if (zone.nodes.has(n)) return n;
  }
  return null;
}
