// Whole UDP replies keyed by the query message itself, as PowerDNS's packet cache does: a hit
// skips decoding, the zone lookup, steering and encoding, and costs a hash of the message, one
// comparison and a patched copy of the reply.
//
// Why a message can stand for its answer: the pipeline is a function of the message, the serving
// state (zones, load balancers, health, overrides, GeoIP/ASN databases: one frozen object per
// version), and — only for some answers — the resolver's address and the random source. So:
//  - the key is the message from its flags on (the ID is patched in), with RD and CD masked (they
//    are patched in too) and the question name lowercased (its spelling is patched in), so a
//    resolver's 0x20 case randomisation still hits; the ECS option is part of the message, so a
//    client subnet is part of the key exactly as far as the resolver sent it;
//  - every entry belongs to one serving state: a new state (a health change, a reload, an
//    override, a database swap) empties the cache before the next probe;
//  - an answer that read the resolver's address is kept with that address and served only to it;
//  - an answer whose steering drew once, for a weighted pick (a random pool or origin), is kept
//    per index drawn: a hit draws against the same weights, as steering would, and a miss hands
//    that same number to steering, so every answer keeps steering's odds exactly;
//  - what must not be kept is never stored: answers that drew more than once or otherwise (a
//    max_records window), replies carrying COOKIE or NSID options (they differ per client and
//    over time), DNSSEC-signed zones (key timing and signature validity move with the clock),
//    errors, and anything over TCP.
import type { ServingState } from '../config/state.js';
import type { ClientIp } from '../net/client-ip.js';
import type { Query, Reply, RRset } from '../wire/types.js';
import type { AnswerKind, QueryAnswer } from './answer.js';
import type { SteeringReads } from './dynamic-source.js';

/** Default bound on kept answers (about 1.6 KB each with what observers read; see docs/performance.md). */
export const DEFAULT_PACKET_CACHE_SIZE = 50_000;

/** One answer as a hit restores it into a QueryAnswer (everything the transports and observers read). */
interface PacketAnswer {
  readonly bytes: Buffer;
  readonly kind: AnswerKind;
  readonly query: Query;
  /** The query's type and the offset just past its name: read here, the query object stays cold. */
  readonly qtype: number;
  readonly end: number;
  readonly ecsFamily: number;
  readonly reply: Reply;
  readonly rcode: number;
  readonly answerSets: readonly RRset[];
  readonly zone: string | null;
  readonly wildcard: string | null;
  readonly cname: boolean;
  readonly truncated: boolean;
  readonly steerings: number;
  readonly lb: string | null;
  readonly lbAnswer: QueryAnswer['lbAnswer'];
  readonly ecsScope: number;
  readonly prepared: QueryAnswer['prepared'];
  readonly rule: string | null;
  readonly site: QueryAnswer['site'];
}

/** A question, and its answer — or, when steering drew one weighted pick, its answer per index drawn. */
export interface PacketEntry {
  readonly hash: number;
  /**
   * The message from byte 2 on, normalised (see the file comment), one character per byte: a
   * string is a single compact heap object, where a Uint8Array would cost a buffer of its own.
   */
  readonly key: string;
  /** Family byte then 16 address bytes, when the answer read the resolver's address; else null. */
  readonly resolver: Uint8Array | null;
  /** The pick's cumulative weights (a hit draws against them, as steering would), or null: no draw. */
  cumulative: Float64Array | null;
  count: number;
  /** Without a pick, [0] only; with one, the answer for each index drawn so far. */
  answers: (PacketAnswer | undefined)[];
  /** Another entry with the same hash (a collision, or the same message from another resolver). */
  next: PacketEntry | null;
}

/** Answer kinds worth keeping: what a lookup gives, and REFUSED (a zone we do not serve). */
const KEPT: ReadonlySet<AnswerKind> = new Set<AnswerKind>(['answer', 'nodata', 'nxdomain', 'referral', 'yxdomain', 'refused']);

const HEADER = 12;
const MAX_NAME = 255;

export class PacketCache {
  private readonly table = new Map<number, PacketEntry>();
  private count = 0;
  private state: ServingState | null = null;
  private readonly resolverScratch = new Uint8Array(17);
  private hits = 0;
  private misses = 0;
  private readonly sections = new SectionInterner();

  /** `capacity`: most answers kept; when full the cache starts over empty (a flood of distinct questions cannot grow it). */
  constructor(readonly capacity: number = DEFAULT_PACKET_CACHE_SIZE) {}

  /** The entry for `packet` from this client under `state`, or null. A new state empties the cache first. */
  find(packet: Uint8Array, client: ClientIp, state: ServingState): PacketEntry | null {
    if (this.capacity <= 0) return null;
    if (state !== this.state) {
      this.clear(state);
      return null;
    }
    const end = questionEnd(packet);
    if (end < 0) return null;
    let resolverRead = false;
    for (let e = this.table.get(hashMessage(packet, end)) ?? null; e !== null; e = e.next) {
      if (!sameMessage(packet, end, e.key)) continue;
      if (e.resolver !== null) {
        if (!resolverRead) {
          resolverRead = true;
          this.readResolver(client);
        }
        if (!sameBytes(this.resolverScratch, e.resolver)) continue;
      }
      return e;
    }
    return null;
  }

  /**
   * Fills `out` from the entry's answer at `index` (0 without a pick) and returns true; false
   * when that answer is not kept yet. `packet` gives the ID, RD/CD bits and spelling.
   */
  answer(entry: PacketEntry | null, index: number, packet: Uint8Array, out: QueryAnswer): boolean {
    if (this.capacity <= 0) return false;
    const a = entry?.answers[index];
    if (a === undefined) {
      this.misses++;
      return false;
    }
    this.hits++;
    out.kind = a.kind;
    out.restore(a.query, a.ecsFamily, a.reply, a.rcode, a.answerSets);
    out.qtype = a.qtype;
    out.zone = a.zone;
    out.wildcard = a.wildcard;
    out.cname = a.cname;
    out.truncated = a.truncated;
    out.steerings = a.steerings;
    out.lb = a.lb;
    out.lbAnswer = a.lbAnswer;
    out.ecsScope = a.ecsScope;
    out.prepared = a.prepared;
    out.rule = a.rule;
    out.site = a.site;
    out.source = 'packet-cache';
    out.setEchoed(a.bytes, packet, a.end);
    return true;
  }

  /**
   * Keeps the answer just built for `packet` from `state`, if it may be kept. `found`: what
   * find() gave for this packet before it was answered; `reads`: what its steering read
   * (QueryDynamicSource); `signed`: its zone signs.
   */
  store(
    found: PacketEntry | null,
    packet: Uint8Array,
    client: ClientIp,
    state: ServingState,
    out: QueryAnswer,
    reads: SteeringReads,
    signed: boolean,
  ): void {
    if (this.capacity <= 0 || signed || state !== this.state) return;
    const { resolver: readResolver, draws, pick } = reads;
    // No draw, or one for a weighted pick: one answer per index. Anything else is not kept.
    if (draws > 1 || (draws === 1 && pick === null)) return;
    const bytes = out.bytes;
    const query = out.query;
    const reply = out.reply;
    if (bytes === null || query === null || reply === null || out.cookieValid || !KEPT.has(out.kind)) return;
    const end = questionEnd(packet);
    if (end < 0) return;
    if (readResolver && this.readResolver(client) === 0) return;
    let entry = found;
    if (this.count >= this.capacity) {
      this.clear(state);
      entry = null;
    }
    // An entry every resolver shares cannot take an answer that read this one's address (another
    // index drawn, another path): that answer is built each time it is drawn.
    if (entry !== null && entry.resolver === null && readResolver) return;
    if (entry === null) {
      const hash = hashMessage(packet, end);
      entry = {
        hash,
        key: normalised(packet, end),
        resolver: readResolver ? this.resolverScratch.slice() : null,
        cumulative: null,
        count: 0,
        answers: [],
        next: this.table.get(hash) ?? null,
      };
      this.table.set(hash, entry);
    }
    const cumulative = pick?.cumulative ?? null;
    if (entry.cumulative !== cumulative) {
      entry.cumulative = cumulative;
      entry.count = pick?.count ?? 0;
      entry.answers = [];
    }
    const index = pick?.index ?? 0;
    if (entry.answers[index] !== undefined) return;
    // The message's bytes may be a view of a receive ring the socket reuses: what the entry keeps
    // of the query (its name, its ECS address) is copied out of it.
    const kept = ownQuery(query, bytes);
    const keptReply = ownReply(reply, kept, bytes, this.sections);
    entry.answers[index] = {
      bytes,
      kind: out.kind,
      query: kept,
      qtype: kept.qtype,
      end: HEADER + kept.qnameWire.length,
      ecsFamily: out.ecsFamily,
      reply: keptReply,
      rcode: keptReply.rcode,
      answerSets: keptReply.answer,
      zone: out.zone,
      wildcard: out.wildcard,
      cname: out.cname,
      truncated: out.truncated,
      steerings: out.steerings,
      lb: out.lb,
      lbAnswer: out.lbAnswer,
      ecsScope: out.ecsScope,
      prepared: out.prepared,
      rule: out.rule,
      site: out.site,
    };
    this.count++;
  }

  /** Answers kept, and probes answered / not answered since the start. */
  stats(): { readonly entries: number; readonly hits: number; readonly misses: number } {
    return { entries: this.count, hits: this.hits, misses: this.misses };
  }

  private clear(state: ServingState): void {
    this.table.clear();
    this.sections.clear();
    this.count = 0;
    this.state = state;
  }

  private readResolver(client: ClientIp): number {
    const s = this.resolverScratch;
    s.fill(0);
    const family = client.into(s.subarray(1));
    s[0] = family;
    return family;
  }
}

/** Offset just past the question name, or -1 when the message is not a plain one-question query. */
export function questionEnd(packet: Uint8Array): number {
  const n = packet.length;
  // QR=0, opcode QUERY, one question.
  if (n < HEADER + 5 || (packet[2]! & 0xf8) !== 0 || packet[4] !== 0 || packet[5] !== 1) return -1;
  let at = HEADER;
  for (;;) {
    const len = packet[at];
    if (len === undefined || len > 63) return -1; // past the end, or a compression pointer
    at += len + 1;
    if (at - HEADER > MAX_NAME || at > n) return -1;
    if (len === 0) return at;
  }
}

// The key's normalisation, done in three plain loops (V8 keeps them tight): the flags with RD and
// CD masked, the header's counts as they are, the question name through a lowercasing table
// (label lengths are at most 63, below 'A', so only letters change), the rest as it is.
const LOWER = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Hash of the parts that tell questions apart — the length, the name (lowercased), type and
 * class, and the last 8 bytes (where an ECS address and the OPT flags sit) — 4 bytes per step,
 * cut to 30 bits (a small integer Map key, no heap number). Equal hashes are told apart by
 * comparing whole messages, so what it skips costs at most a longer chain.
 */
function hashMessage(p: Uint8Array, end: number): number {
  const n = p.length;
  let h = mix(FNV_OFFSET, n);
  let i = HEADER;
  for (; i + 4 <= end; i += 4) h = mix(h, LOWER[p[i]!]! | (LOWER[p[i + 1]!]! << 8) | (LOWER[p[i + 2]!]! << 16) | (LOWER[p[i + 3]!]! << 24));
  let w = 0;
  for (; i < end; i++) w = (w << 8) | LOWER[p[i]!]!;
  h = mix(h, w);
  if (end + 4 <= n) h = mix(h, word(p, end));
  const tail = Math.max(end + 4, n - 8);
  if (tail + 4 <= n) h = mix(h, word(p, tail));
  if (tail + 8 <= n) h = mix(h, word(p, tail + 4));
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

function word(p: Uint8Array, i: number): number {
  return p[i]! | (p[i + 1]! << 8) | (p[i + 2]! << 16) | (p[i + 3]! << 24);
}

function mix(h: number, w: number): number {
  const x = Math.imul(h ^ w, FNV_PRIME);
  return x ^ (x >>> 15);
}

function normalised(packet: Uint8Array, end: number): string {
  // A copy: the message may be a Buffer, whose slice() would be a view of it.
  const key = new Uint8Array(packet.subarray(2));
  key[0] = packet[2]! & 0xfe;
  key[1] = packet[3]! & 0xef;
  for (let i = HEADER; i < end; i++) key[i - 2] = LOWER[packet[i]!]!;
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
}

function sameMessage(packet: Uint8Array, end: number, key: string): boolean {
  const n = packet.length;
  if (n - 2 !== key.length) return false;
  if ((packet[2]! & 0xfe) !== key.charCodeAt(0) || (packet[3]! & 0xef) !== key.charCodeAt(1)) return false;
  for (let i = 4; i < HEADER; i++) if (packet[i] !== key.charCodeAt(i - 2)) return false;
  for (let i = HEADER; i < end; i++) if (LOWER[packet[i]!] !== key.charCodeAt(i - 2)) return false;
  for (let i = end; i < n; i++) if (packet[i] !== key.charCodeAt(i - 2)) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function ownQuery(query: Query, reply: Uint8Array): Query {
  const edns = query.edns;
  const qnameWire = echoed(reply, HEADER, query.qnameWire);
  if (edns === null) return { ...query, qnameWire };
  const ecs = edns.ecs;
  return {
    ...query,
    qnameWire,
    edns: {
      ...edns,
      ecs: ecs === null ? null : { ...ecs, address: echoedTail(reply, ecs.address) },
      cookie: edns.cookie == null ? null : copyOf(edns.cookie),
    },
  };
}

function ownReply(reply: Reply, query: Query, bytes: Uint8Array, sections: SectionInterner): Reply {
  const edns = reply.edns;
  const ecs = edns?.ecs ?? null;
  return {
    ...reply,
    answer: sections.intern(reply.answer),
    question: reply.question === null ? null : query,
    edns: edns === null ? null : { ...edns, ecs: ecs === null ? null : { ...ecs, address: echoedTail(bytes, ecs.address) } },
  };
}

/**
 * `value` as a view of the kept reply where the reply holds the same bytes at `at` (the question
 * name at 12), else a copy: a view costs no buffer of its own, and the reply is kept anyway.
 */
function echoed(reply: Uint8Array, at: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  if (at + n > reply.length) return copyOf(value);
  for (let i = 0; i < n; i++) if (reply[at + i] !== value[i]) return copyOf(value);
  return reply.subarray(at, at + n);
}

/** The ECS address as a view of the reply's last bytes (its ECS echo ends the message), else a copy. */
function echoedTail(reply: Uint8Array, address: Uint8Array): Uint8Array {
  return echoed(reply, reply.length - address.length, address);
}

/** A copy that owns its memory (a Buffer's slice() would be a view of the same bytes). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * One shared array per answer section of a single RRset: thousands of kept answers that hold the
 * same load balancer's records (one per client subnet) share its section, so reading it on a hit
 * (metrics' attribution) touches memory that is already in the CPU's cache.
 */
class SectionInterner {
  private readonly single = new Map<RRset, readonly RRset[]>();

  intern(section: readonly RRset[]): readonly RRset[] {
    if (section.length !== 1) return section;
    const rrset = section[0]!;
    let shared = this.single.get(rrset);
    if (shared === undefined) {
      shared = Object.freeze([rrset]);
      this.single.set(rrset, shared);
    }
    return shared;
  }

  clear(): void {
    this.single.clear();
  }
}
