// Whole UDP replies keyed by the query message itself, as PowerDNS's packet cache does: a hit
// skips decoding, the zone lookup, steering and encoding, and costs a hash of the message, one
// comparison and a patched copy of the reply.
//
// Memory layout, for the hit path's sake: the keys and the replies live in one typed-array arena
// and the index is an open-addressing table of integers, so a hit reads a table slot, then one
// contiguous record (its key, then its reply) — a few cache lines, where a Map of objects costs a
// dozen scattered ones (on a busy server every one of them is a cache miss). What observers read
// of an answer (its kind, zone, load balancer...) is one object shared by every answer alike (the
// thousands of client subnets one pool answers share it), so it stays in the CPU's cache too.
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

/** Default bound on kept answers (about 1.3 KB each with what observers read; see docs/performance.md). */
export const DEFAULT_PACKET_CACHE_SIZE = 50_000;

/** Longest message kept as a key: a plain query is 30–80 bytes; a longer one is answered uncached. */
export const MAX_KEY_BYTES = 512;

/** The facts of an answer that observers read on every query: shared by every answer alike. */
interface PacketFacts {
  readonly kind: AnswerKind;
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
  readonly qtype: number;
  readonly ecsFamily: number;
  readonly rcode: number;
  readonly answerSets: readonly RRset[];
}

/** A weighted pick an entry's answers depend on: a hit draws against the same cumulative weights. */
interface Pick {
  readonly cumulative: Float64Array;
  readonly count: number;
}

/** Answer kinds worth keeping: what a lookup gives, and REFUSED (a zone we do not serve). */
const KEPT: ReadonlySet<AnswerKind> = new Set<AnswerKind>(['answer', 'nodata', 'nxdomain', 'referral', 'yxdomain', 'refused']);

const HEADER = 12;
const MAX_NAME = 255;

// An entry (one question, from any resolver or from one) in the arena, in 32-bit words:
const E_HASH = 0; //          its hash, as in the table
const E_LENGTH = 1; //        the message's length in bytes
const E_FAMILY = 2; //        0: any resolver; 4 or 6: only the resolver whose address follows
const E_ADDRESS = 3; //       4 words: that address
const E_PICK = 7; //          index in `picks`, or -1: no draw
const E_COUNT = 8; //         answer slots: the pick's count, or 1
const E_ANSWERS = 9; //       that many words: where each answer is, 0 while not kept yet
//                            then the normalised message, padded to whole words.
// An answer, wherever it was appended:
const A_LENGTH = 0; //        the reply's length in bytes
const A_FACTS = 1; //         index in `facts`
const A_OBJECTS = 2; //       index of its query and reply in `objects` (two slots each)
const A_END = 3; //           offset just past the question name
const A_BYTES = 4; //         the reply, padded to whole words

const FIRST_TABLE_SLOTS = 1024;
const FIRST_ARENA_WORDS = 16_384;
/** The arena's bound (128 MiB): past it the cache starts over, as when full. */
const MAX_ARENA_WORDS = 1 << 25;

export class PacketCache {
  /** Pairs (hash + 1, entry's word offset); 0 marks a free slot. Never more than half full. */
  private table = new Int32Array(0);
  private mask = 0;
  private entries = 0;
  private words = new Int32Array(0);
  private bytes = new Uint8Array(0);
  /** Words in use; 0 is never an entry or an answer (offset 0 means none). */
  private used = 1;
  private count = 0;
  private facts: PacketFacts[] = [];
  private readonly factsBySets = new Map<readonly RRset[], number[]>();
  private picks: Pick[] = [];
  private readonly pickIds = new Map<Float64Array, number>();
  private objects: (Query | Reply)[] = [];
  private readonly sections = new SectionInterner();
  private state: ServingState | null = null;
  // The message being looked up, normalised (see the file comment), in whole words.
  private readonly keyWords = new Int32Array(MAX_KEY_BYTES / 4);
  private readonly keyBytes = new Uint8Array(this.keyWords.buffer);
  // A word view of the last buffer a message came in (the batched path's receive ring).
  private packetBuffer: ArrayBufferLike | null = null;
  private packetWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Where the message last normalised starts in packetWords, or -1: it was normalised byte by byte. */
  private packetWordAt = -1;
  // The resolver's address as read last (readResolver): its family (4 or 6, 0: unreadable) and
  // 16 bytes, zero-padded, as four words to compare with an entry's.
  private resolverFamily = 0;
  private readonly resolverWords = new Int32Array(4);
  private readonly resolverBytes = new Uint8Array(this.resolverWords.buffer);
  private hits = 0;
  private misses = 0;

  /** `capacity`: most answers kept; when full the cache starts over empty (a flood of distinct questions cannot grow it). */
  constructor(readonly capacity: number = DEFAULT_PACKET_CACHE_SIZE) {}

  /**
   * The entry for `packet` from this client under `state` (its offset), or 0 for none. A new
   * state empties the cache first.
   */
  find(packet: Uint8Array, client: ClientIp, state: ServingState): number {
    if (this.capacity <= 0) return 0;
    if (state !== this.state) {
      this.clear(state);
      return 0;
    }
    if (this.entries === 0) return 0;
    const hash = this.normalise(packet);
    if (hash < 0) return 0;
    return this.lookup(hash, packet.length, client);
  }

  /** The cumulative weights of the pick the entry's answers depend on, or null: no draw. */
  pickOf(entry: number): Pick | null {
    const pick = this.words[entry + E_PICK]!;
    return pick < 0 ? null : this.picks[pick]!;
  }

  /**
   * Fills `out` from the entry's answer at `index` (0 without a pick) and returns true; false
   * when that answer is not kept yet. `packet` gives the ID, RD/CD bits and spelling.
   */
  answer(entry: number, index: number, packet: Uint8Array, out: QueryAnswer): boolean {
    if (this.capacity <= 0) return false;
    const words = this.words;
    const at = entry === 0 ? 0 : words[entry + E_ANSWERS + index]!;
    if (at === 0) {
      this.misses++;
      return false;
    }
    this.hits++;
    const f = this.facts[words[at + A_FACTS]!]!;
    const objects = words[at + A_OBJECTS]! * 2;
    out.kind = f.kind;
    out.restore(this.objects[objects] as Query, f.ecsFamily, this.objects[objects + 1] as Reply, f.rcode, f.answerSets);
    out.qtype = f.qtype;
    out.zone = f.zone;
    out.wildcard = f.wildcard;
    out.cname = f.cname;
    out.truncated = f.truncated;
    out.steerings = f.steerings;
    out.lb = f.lb;
    out.lbAnswer = f.lbAnswer;
    out.ecsScope = f.ecsScope;
    out.prepared = f.prepared;
    out.rule = f.rule;
    out.site = f.site;
    out.source = 'packet-cache';
    const wordAt = this.packetWordAt;
    out.setEchoed(
      this.bytes,
      words,
      (at + A_BYTES) * 4,
      words[at + A_LENGTH]!,
      packet,
      words[at + A_END]!,
      wordAt < 0 ? null : this.packetWords,
      wordAt,
    );
    return true;
  }

  /**
   * Keeps the answer just built for `packet` from `state`, if it may be kept. `found`: what
   * find() gave for this packet before it was answered; `reads`: what its steering read
   * (QueryDynamicSource); `signed`: its zone signs.
   */
  store(
    found: number,
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
    const hash = this.normalise(packet);
    if (hash < 0) return;
    if (readResolver && this.readResolver(client) === 0) return;
    const index = pick?.index ?? 0;
    const count = pick?.count ?? 1;
    if (index < 0 || index >= count) return;
    const length = packet.length;
    const keyWordCount = (length + 3) >> 2;
    const need = E_ANSWERS + count + keyWordCount + A_BYTES + ((bytes.length + 3) >> 2);
    let entry = found;
    if (this.count >= this.capacity || this.used + need > MAX_ARENA_WORDS) {
      this.clear(state);
      entry = 0;
    }
    this.reserve(need);
    const pickId = pick === null ? -1 : this.pickId(pick.cumulative, pick.count);
    if (entry !== 0) {
      // An entry every resolver shares cannot take an answer that read this one's address
      // (another index drawn, another path), nor one that depends on another pick: that answer
      // is built each time it is needed.
      if (readResolver && this.words[entry + E_FAMILY] === 0) return;
      if (this.words[entry + E_PICK] !== pickId || this.words[entry + E_ANSWERS + index] !== 0) return;
    } else {
      entry = this.appendEntry(hash, length, keyWordCount, readResolver, pickId, count);
    }
    const kept = ownQuery(query, bytes);
    const keptReply = ownReply(reply, kept, bytes, this.sections);
    const objects = this.objects.length / 2;
    this.objects.push(kept, keptReply);
    const answer = this.used;
    const words = this.words;
    words[answer + A_LENGTH] = bytes.length;
    words[answer + A_FACTS] = this.factsId(out, kept, keptReply);
    words[answer + A_OBJECTS] = objects;
    words[answer + A_END] = HEADER + kept.qnameWire.length;
    this.bytes.set(bytes, (answer + A_BYTES) * 4);
    this.used += A_BYTES + ((bytes.length + 3) >> 2);
    words[entry + E_ANSWERS + index] = answer;
    this.count++;
  }

  /** Answers kept, and probes answered / not answered since the start. */
  stats(): { readonly entries: number; readonly hits: number; readonly misses: number } {
    return { entries: this.count, hits: this.hits, misses: this.misses };
  }

  private clear(state: ServingState): void {
    this.table.fill(0);
    this.entries = 0;
    this.used = 1;
    this.count = 0;
    this.facts = [];
    this.factsBySets.clear();
    this.picks = [];
    this.pickIds.clear();
    this.objects = [];
    this.sections.clear();
    this.state = state;
  }

  /**
   * Writes `packet` normalised into keyWords (zeros after its end, to a whole word) and returns
   * its hash (30 bits), or -1 when it is not a plain one-question query or is too long to key.
   */
  private normalise(packet: Uint8Array): number {
    const n = packet.length;
    if (n > MAX_KEY_BYTES) return -1;
    const end = questionEnd(packet);
    if (end < 0) return -1;
    const wordCount = (n + 3) >> 2;
    this.packetWordAt = -1;
    if (!this.normaliseWords(packet, end, wordCount)) this.normaliseBytes(packet, end, wordCount);
    const w = this.keyWords;
    let h = mix(FNV_OFFSET, n);
    for (let k = 0; k < wordCount; k++) h = mix(h, w[k]!);
    return (h ^ (h >>> 30)) & 0x3fffffff;
  }

  private normaliseBytes(packet: Uint8Array, end: number, wordCount: number): void {
    const n = packet.length;
    const key = this.keyBytes;
    // The ID is patched in: not part of the key. RD and CD are masked (patched in too).
    key[0] = 0;
    key[1] = 0;
    key[2] = packet[2]! & 0xfe;
    key[3] = packet[3]! & 0xef;
    let i = 4;
    for (; i < HEADER; i++) key[i] = packet[i]!;
    for (; i < end; i++) key[i] = LOWER[packet[i]!]!;
    for (; i < n; i++) key[i] = packet[i]!;
    for (; i < wordCount * 4; i++) key[i] = 0;
  }

  /**
   * normaliseBytes four bytes at a time, when the message starts on a word boundary of its
   * buffer (the batched path's receive slots do) and the machine is little-endian (the masks
   * below name bytes by their place in a word); false when it cannot.
   */
  private normaliseWords(packet: Uint8Array, end: number, wordCount: number): boolean {
    const at = packet.byteOffset;
    if (!LITTLE_ENDIAN || (at & 3) !== 0) return false;
    if (packet.buffer !== this.packetBuffer) {
      this.packetBuffer = packet.buffer;
      this.packetWords = new Int32Array(packet.buffer, 0, packet.buffer.byteLength >> 2);
    }
    const from = at >> 2;
    const words = this.packetWords;
    if (from + wordCount > words.length) return false;
    this.packetWordAt = from;
    const key = this.keyWords;
    const n = packet.length;
    // Bytes 0-1 (the ID) cleared, RD (bit 0 of byte 2) and CD (bit 4 of byte 3) masked.
    key[0] = words[from]! & FLAGS_KEY_MASK;
    key[1] = words[from + 1]!;
    key[2] = words[from + 2]!;
    for (let k = 3; k < wordCount; k++) {
      let w = words[from + k]!;
      const first = k * 4;
      // The question name (bytes 12 to end) lowercased; after the message's end, zeros.
      if (first < end) w = lowercase(w, end - first >= 4 ? -1 : LOW_BYTES[end - first]!);
      if (n - first < 4) w &= LOW_BYTES[n - first]!;
      key[k] = w;
    }
    return true;
  }

  /** The entry holding keyWords (just normalised, `length` bytes) for this client, or 0. */
  private lookup(hash: number, length: number, client: ClientIp): number {
    const table = this.table;
    const words = this.words;
    const key = this.keyWords;
    const wordCount = (length + 3) >> 2;
    const tag = hash + 1;
    let resolverRead = false;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const t = table[slot * 2]!;
      if (t === 0) return 0;
      if (t !== tag) continue;
      const entry = table[slot * 2 + 1]!;
      if (words[entry + E_LENGTH] !== length) continue;
      const start = entry + E_ANSWERS + words[entry + E_COUNT]!;
      let k = 0;
      while (k < wordCount && words[start + k] === key[k]) k++;
      if (k < wordCount) continue;
      const family = words[entry + E_FAMILY]!;
      if (family !== 0) {
        if (!resolverRead) {
          resolverRead = true;
          this.readResolver(client);
        }
        const r = this.resolverWords;
        if (
          family !== this.resolverFamily ||
          words[entry + E_ADDRESS] !== r[0] ||
          words[entry + E_ADDRESS + 1] !== r[1] ||
          words[entry + E_ADDRESS + 2] !== r[2] ||
          words[entry + E_ADDRESS + 3] !== r[3]
        )
          continue;
      }
      return entry;
    }
  }

  private appendEntry(hash: number, length: number, keyWordCount: number, readResolver: boolean, pickId: number, count: number): number {
    if ((this.entries + 1) * 2 > this.mask + 1) this.growTable();
    const words = this.words;
    const entry = this.used;
    words[entry + E_HASH] = hash;
    words[entry + E_LENGTH] = length;
    words[entry + E_FAMILY] = readResolver ? this.resolverFamily : 0;
    for (let k = 0; k < 4; k++) words[entry + E_ADDRESS + k] = readResolver ? this.resolverWords[k]! : 0;
    words[entry + E_PICK] = pickId;
    words[entry + E_COUNT] = count;
    for (let k = 0; k < count; k++) words[entry + E_ANSWERS + k] = 0;
    const start = entry + E_ANSWERS + count;
    for (let k = 0; k < keyWordCount; k++) words[start + k] = this.keyWords[k]!;
    this.used = start + keyWordCount;
    this.place(hash, entry);
    this.entries++;
    return entry;
  }

  private place(hash: number, entry: number): void {
    const table = this.table;
    let slot = hash & this.mask;
    while (table[slot * 2] !== 0) slot = (slot + 1) & this.mask;
    table[slot * 2] = hash + 1;
    table[slot * 2 + 1] = entry;
  }

  private growTable(): void {
    const old = this.table;
    const slots = Math.max(FIRST_TABLE_SLOTS, (this.mask + 1) * 2);
    this.table = new Int32Array(slots * 2);
    this.mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.place(old[i]! - 1, old[i + 1]!);
  }

  /** Room for `need` more words in the arena. */
  private reserve(need: number): void {
    if (this.used + need <= this.words.length) return;
    let size = Math.max(FIRST_ARENA_WORDS, this.words.length);
    while (size < this.used + need) size *= 2;
    const words = new Int32Array(size);
    words.set(this.words.subarray(0, this.used));
    this.words = words;
    this.bytes = new Uint8Array(words.buffer);
  }

  private pickId(cumulative: Float64Array, count: number): number {
    let id = this.pickIds.get(cumulative);
    if (id === undefined) {
      id = this.picks.length;
      this.picks.push({ cumulative, count });
      this.pickIds.set(cumulative, id);
    }
    return id;
  }

  /** The index of the shared facts object equal to this answer's (made when there is none). */
  private factsId(out: QueryAnswer, query: Query, reply: Reply): number {
    const f: PacketFacts = {
      kind: out.kind,
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
      qtype: query.qtype,
      ecsFamily: out.ecsFamily,
      rcode: reply.rcode,
      answerSets: reply.answer,
    };
    let alike = this.factsBySets.get(f.answerSets);
    if (alike === undefined) {
      alike = [];
      this.factsBySets.set(f.answerSets, alike);
    }
    for (const id of alike) if (sameFacts(this.facts[id]!, f)) return id;
    const id = this.facts.length;
    this.facts.push(f);
    alike.push(id);
    return id;
  }

  private readResolver(client: ClientIp): number {
    this.resolverWords.fill(0);
    this.resolverFamily = client.into(this.resolverBytes);
    return this.resolverFamily;
  }
}

function sameFacts(a: PacketFacts, b: PacketFacts): boolean {
  for (const k of Object.keys(a) as (keyof PacketFacts)[]) if (a[k] !== b[k]) return false;
  return true;
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

// Label lengths are at most 63, below 'A', so lowercasing the name's bytes changes letters only.
const LOWER = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Little-endian word masks: LOW_BYTES[i] keeps the first i bytes (0 < i < 4). */
const LOW_BYTES = [0, 0xff, 0xffff, 0xffffff];
/** Keeps bytes 2-3 of the first word but RD and CD: 0xfe in byte 2, 0xef in byte 3. */
const FLAGS_KEY_MASK = 0xeffe0000 | 0;

/**
 * `w` with its bytes 'A'-'Z' lowercased, among the bytes `mask` selects (0xff each), in four
 * byte-wide comparisons done at once: bit 7 of each byte of `upper` says "from 0x41 to 0x5a".
 */
function lowercase(w: number, mask: number): number {
  const low7 = w & 0x7f7f7f7f;
  const fromA = (low7 + 0x3f3f3f3f) | 0; // bit 7 set where the byte is at least 0x41
  const pastZ = (low7 + 0x25252525) | 0; // bit 7 set where the byte is at least 0x5b
  const upper = fromA & ~pastZ & ~w & 0x80808080 & mask;
  return w | (upper >>> 2);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number, w: number): number {
  const x = Math.imul(h ^ w, FNV_PRIME);
  return x ^ (x >>> 15);
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
