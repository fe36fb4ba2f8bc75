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
const NO_SETS: readonly RRset[] = Object.freeze([]);
/**
 * Of a reply's first word (little-endian), the bits a kept reply takes from the query: the ID
 * (bytes 0-1), RD (bit 0 of byte 2) and CD (bit 4 of byte 3).
 */
const ECHO_MASK = 0x1001ffff;

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
  #query: Query | null = null;
  /** The query's ECS family (1 IPv4, 2 IPv6), 0 without ECS: set with `query`. */
  ecsFamily = 0;
  /** The question's type (0 when there was no question). */
  qtype = 0;
  #reply: Reply | null = null;
  /** The reply's rcode (0 when dropped): set with `reply`. */
  rcode = 0;
  /** The reply's answer section (empty when dropped): set with `reply`. */
  answerSets: readonly RRset[] = NO_SETS;
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
  #bytes: Buffer | null = null;
  /**
   * Set when the reply is one kept for another query of the same question (the packet cache):
   * its bytes are #kept[#keptAt, #keptAt + #keptLength), shared and never modified here, and
   * #echo is this query's message, whose ID, RD/CD bits and spelling of the name the reply must
   * echo. It is patched only in a copy: writeTo's target, or the Buffer `bytes` makes on first
   * read (the batched transport never needs one).
   */
  #kept: Uint8Array | null = null;
  #keptAt = 0;
  #keptLength = 0;
  #keptWords: Int32Array | null = null;
  #echo: Uint8Array | null = null;
  #echoEnd = 0;
  #echoWords: Int32Array<ArrayBufferLike> | null = null;
  #echoWordAt = 0;
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
    this.#query = null;
    this.ecsFamily = 0;
    this.qtype = 0;
    this.#reply = null;
    this.rcode = 0;
    this.answerSets = NO_SETS;
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
    this.#bytes = null;
    this.#kept = null;
    this.#echo = null;
    this.prepared = null;
    this.rule = null;
    this.site = null;
  }

  // `query` and `reply` come with the few facts of theirs that observers read on every query
  // (metrics): those are copied here, so a reply from the packet cache, whose objects are cold in
  // memory, is counted without touching them.

  /** The decoded query; null when the message was dropped or not a well-formed query. */
  get query(): Query | null {
    return this.#query;
  }

  set query(query: Query | null) {
    this.#query = query;
    this.ecsFamily = query?.edns?.ecs?.family ?? 0;
  }

  /** The reply: sections, rcode, flags, EDNS. null only when dropped. */
  get reply(): Reply | null {
    return this.#reply;
  }

  set reply(reply: Reply | null) {
    this.#reply = reply;
    this.rcode = reply === null ? 0 : reply.rcode;
    this.answerSets = reply === null ? NO_SETS : reply.answer;
  }

  /** Sets `query` and `reply` with their facts as they were read when kept (the packet cache). */
  restore(query: Query, ecsFamily: number, reply: Reply, rcode: number, answerSets: readonly RRset[]): void {
    this.#query = query;
    this.ecsFamily = ecsFamily;
    this.#reply = reply;
    this.rcode = rcode;
    this.answerSets = answerSets;
  }

  /** The message to send; null when dropped. */
  get bytes(): Buffer | null {
    if (this.#kept !== null) {
      const out = Buffer.allocUnsafe(this.#keptLength);
      this.#writeKept(out, 0, null);
      this.#bytes = out;
      this.#kept = null;
      this.#echo = null;
    }
    return this.#bytes;
  }

  set bytes(bytes: Buffer | null) {
    this.#bytes = bytes;
    this.#kept = null;
    this.#echo = null;
  }

  /** Length of the message to send; 0 when dropped. */
  get byteLength(): number {
    if (this.#kept !== null) return this.#keptLength;
    return this.#bytes === null ? 0 : this.#bytes.length;
  }

  /**
   * The reply is kept[at, at + length) (shared: not to be modified; `keptWords`, when given, a
   * word view of the same buffer) with this query's ID, RD and CD bits and question name:
   * `packet` is the query, `end` the offset just past its name; `packetWords`, when given, a
   * little-endian word view of the packet's buffer in which the packet starts at word
   * `packetWordAt`.
   */
  setEchoed(
    kept: Uint8Array,
    keptWords: Int32Array<ArrayBufferLike> | null,
    at: number,
    length: number,
    packet: Uint8Array,
    end: number,
    packetWords: Int32Array<ArrayBufferLike> | null = null,
    packetWordAt = 0,
  ): void {
    this.#bytes = null;
    this.#kept = kept;
    this.#keptWords = keptWords;
    this.#keptAt = at;
    this.#keptLength = length;
    this.#echo = packet;
    this.#echoEnd = end;
    this.#echoWords = packetWords;
    this.#echoWordAt = packetWordAt;
  }

  /**
   * Writes the message to send at target[offset] (the caller checked there is room) and returns
   * its length; 0 when dropped. `targetWords`, when given, is a word view of the same memory as
   * `target` from its first byte (the batched path's output ring): a kept reply is then copied
   * four bytes at a time.
   */
  writeTo(target: Uint8Array, offset: number, targetWords: Int32Array<ArrayBufferLike> | null = null): number {
    if (this.#kept !== null) {
      this.#writeKept(target, offset, targetWords);
      return this.#keptLength;
    }
    const bytes = this.#bytes;
    if (bytes === null) return 0;
    target.set(bytes, offset);
    return bytes.length;
  }

  #writeKept(target: Uint8Array, at: number, targetWords: Int32Array<ArrayBufferLike> | null): void {
    const packet = this.#echo!;
    const from = this.#keptAt;
    const n = this.#keptLength;
    const end = this.#echoEnd;
    const keptWords = this.#keptWords;
    const words = (n + 3) >> 2;
    if (keptWords !== null && targetWords !== null && ((from | at) & 3) === 0 && at + words * 4 <= target.length) {
      // The last word's spare bytes land inside the target's room and are not sent.
      const d = at >> 2;
      for (let i = 0, k = from >> 2; i < words; i++) targetWords[d + i] = keptWords[k + i]!;
      const echoWords = this.#echoWords;
      if (echoWords !== null) {
        // The ID, RD and CD from the query's first word; its name's whole words, then the rest.
        const p = this.#echoWordAt;
        targetWords[d] = (targetWords[d]! & ~ECHO_MASK) | (echoWords[p]! & ECHO_MASK);
        const whole = end >> 2;
        for (let i = 3; i < whole; i++) targetWords[d + i] = echoWords[p + i]!;
        for (let i = whole * 4; i < end; i++) target[at + i] = packet[i]!;
        return;
      }
    } else {
      target.set(this.#kept!.subarray(from, from + n), at);
    }
    target[at] = packet[0]!;
    target[at + 1] = packet[1]!;
    target[at + 2] = (target[at + 2]! & 0xfe) | (packet[2]! & 0x01);
    target[at + 3] = (target[at + 3]! & 0xef) | (packet[3]! & 0x10);
    // The question section starts at 12 in both; the answers' owners point there.
    for (let i = 12; i < end; i++) target[at + i] = packet[i]!;
  }

  /** The pool the load balancer chose, or null (no steering, or it answered nothing). */
  get pool(): string | null {
    return poolOf(this.zone, this.prepared, this.lbAnswer);
  }

  /** The origins whose records the load balancer answered with (computed on each call). */
  get origins(): readonly string[] {
    return originsOf(this.zone, this.prepared, this.lbAnswer);
  }
}

/** The pool `lb` (of `zone`) answered `rrset` from, or null. */
export function poolOf(zone: string | null, lb: PreparedLb | null, rrset: RRset | null): string | null {
  const first = rrset?.[0];
  if (first === undefined || lb === null || zone === null) return null;
  return sourceOf(zone, lb, first)?.pool ?? null;
}

/** The origins whose records `rrset` holds (computed on each call). */
export function originsOf(zone: string | null, lb: PreparedLb | null, rrset: RRset | null): readonly string[] {
  if (rrset === null || lb === null || zone === null) return NO_ORIGINS;
  const out: string[] = [];
  for (const rr of rrset) {
    const origin = sourceOf(zone, lb, rr)?.origin;
    if (origin !== undefined) out.push(origin);
  }
  return out;
}
