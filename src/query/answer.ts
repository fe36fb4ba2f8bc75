// What answering one message did, as a value: the reply and the decisions behind it. The
// pipeline fills it; the transports send its bytes, RRL classifies it, and the observers
// (metrics, traffic, the query log) read it. Nothing downstream re-parses the encoded reply.
import type { DynamicSite, PreparedLb } from '../lb/prepare.js';
import type { Query, Reply, RRset } from '../wire/types.js';
import { sourceOf } from './attribution.js';
import type { Transport } from './transport.js';

/**
 * answer, nodata, nxdomain, referral, yxdomain (a DNAME rewrite too long): from the zone lookup. refused: no zone of ours, or a class
 * we do not serve. formerr, notimp, badvers: the message or its opcode/EDNS version (or a malformed cookie); badcookie: a server cookie we did not make, over UDP. servfail:
 * answering failed. dropped: no reply at all (too short, or a response).
 */
export type AnswerKind =
  | 'answer'
  | 'nodata'
  | 'nxdomain'
  | 'referral'
  | 'yxdomain'
  | 'refused'
  | 'formerr'
  | 'notimp'
  | 'badvers'
  | 'badcookie'
  | 'servfail'
  | 'dropped';

/** Where the bytes came from: built for this query, or a cached encoding patched for it. */
export type AnswerSource = 'built' | 'packet-cache' | 'reply-cache' | 'steered-cache';

const NO_ORIGINS: readonly string[] = Object.freeze([]);

/**
 * One query's answer. A pipeline reuses one instance for every query it answers (it is
 * synchronous), so the hot path allocates nothing for it: read it before the next query is
 * answered, copy what must outlive that.
 */
export class QueryAnswer {
  transport: Transport = 'udp';
  kind: AnswerKind = 'dropped';
  /** Why the message was dropped (kind "dropped"); null otherwise. */
  dropReason: string | null = null;
  /** The decoded query; null when the message was dropped or not a well-formed query. */
  query: Query | null = null;
  /** The question's type (0 when there was no question). */
  qtype = 0;
  /** The reply: sections, rcode, flags, EDNS. null only when dropped. */
  reply: Reply | null = null;
  /** Origin of the zone that answered; null when no zone did. */
  zone: string | null = null;
  /** Owner of the wildcard the answer was synthesised from ("*.example.com"), or null. */
  wildcard: string | null = null;
  /** The answer followed at least one CNAME. */
  cname = false;
  /** TC is set: the reply did not fit the size limit. */
  truncated = false;
  /** Load-balancer decisions taken (a CNAME chain can cross several); 0: static data only. */
  steerings = 0;
  /** Owner of the last load balancer that steered, or null. */
  lb: string | null = null;
  /** The RRset that load balancer answered with (one of its prebuilt sets), or null. */
  lbAnswer: RRset | null = null;
  /** ECS scope prefix of the reply (0: not location dependent, or no ECS). */
  ecsScope = 0;
  /** The query carried a valid server cookie of ours (RFC 7873 §5.2.5): RRL lets it through. */
  cookieValid = false;
  source: AnswerSource = 'built';
  /** The reply carries DNSSEC signatures that must be made again from this moment (ms); Infinity: none. */
  signedUntil = Number.POSITIVE_INFINITY;
  /** The message to send; null when dropped. */
  bytes: Buffer | null = null;
  /** The load balancer itself (the rule variant when a rule matched), for pool/origins (resolved only when someone asks). */
  prepared: PreparedLb | null = null;
  /** The rule(s) of the last load balancer that matched ("a+b" with continue), or null. */
  rule: string | null = null;
  /** Fleet mode, dynamic steering: the site whose RTTs chose the pool, or null. */
  site: DynamicSite | null = null;

  /** Clears every field for the next message. */
  reset(transport: Transport): void {
    this.transport = transport;
    this.kind = 'dropped';
    this.dropReason = null;
    this.query = null;
    this.qtype = 0;
    this.reply = null;
    this.zone = null;
    this.wildcard = null;
    this.cname = false;
    this.truncated = false;
    this.steerings = 0;
    this.lb = null;
    this.lbAnswer = null;
    this.ecsScope = 0;
    this.cookieValid = false;
    this.source = 'built';
    this.signedUntil = Number.POSITIVE_INFINITY;
    this.bytes = null;
    this.prepared = null;
    this.rule = null;
    this.site = null;
  }

  /** The pool the load balancer chose, or null (no steering, or it answered nothing). */
  get pool(): string | null {
    const first = this.lbAnswer?.[0];
    if (first === undefined || this.prepared === null || this.zone === null) return null;
    return sourceOf(this.zone, this.prepared, first)?.pool ?? null;
  }

  /** The origins whose records the load balancer answered with (computed on each call). */
  get origins(): readonly string[] {
    const rrset = this.lbAnswer;
    const lb = this.prepared;
    const zone = this.zone;
    if (rrset === null || lb === null || zone === null) return NO_ORIGINS;
    const out: string[] = [];
    for (const rr of rrset) {
      const origin = sourceOf(zone, lb, rr)?.origin;
      if (origin !== undefined) out.push(origin);
    }
    return out;
  }
}
