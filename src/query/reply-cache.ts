// Encoded replies for answers that depend only on the question and the serving state — static
// data, no load balancer involved, no ECS to echo. A hit costs a copy and three patches (ID,
// RD/CD bits, the client's spelling of the name) instead of lookup and encoding.
import type { Reply, ReplyEdns, RRset } from '../wire/types.js';
import type { AnswerKind, QueryAnswer } from './answer.js';

/** The encoding, and what the QueryAnswer said about it (a hit fills the answer from these). */
interface Entry {
  readonly qtype: number;
  readonly shape: number;
  readonly bytes: Buffer;
  readonly kind: AnswerKind;
  readonly zone: string | null;
  readonly reply: Reply;
  readonly wildcard: string | null;
  readonly cname: boolean;
  readonly truncated: boolean;
  /** Signatures inside must be made again from this moment (ms); Infinity for unsigned replies. */
  readonly signedUntil: number;
}

/** Bounded: a flood of distinct names empties the cache instead of growing it. */
const MAX_ENTRIES = 20_000;

/**
 * Keyed by the name as decoded (the Map hashes that string once, no key is built per query), then
 * a short scan over type and "shape" (size limit and EDNS/DO/transport bits in one number).
 */
export class ReplyCache {
  private entries = new Map<string, Entry[]>();
  private count = 0;
  private generation = -1;

  /** Size limit, EDNS present, DO bit and transport as one number: what besides the question shapes a reply. */
  static shape(sizeLimit: number, dnssecOk: boolean, hasEdns: boolean, tcp: boolean): number {
    return sizeLimit * 8 + (hasEdns ? (dnssecOk ? 4 : 2) : 0) + (tcp ? 1 : 0);
  }

  /** Drops everything when the serving state changed since the entries were made. */
  sync(generation: number): void {
    if (generation !== this.generation) {
      this.entries.clear();
      this.count = 0;
      this.generation = generation;
    }
  }

  get(qname: string, qtype: number, shape: number): Entry | undefined {
    const list = this.entries.get(qname);
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.qtype === qtype && e.shape === shape) return e;
    }
    return undefined;
  }

  /** Keeps `answer` (built for a query without load balancer or ECS; its bytes a Buffer). */
  set(qname: string, qtype: number, shape: number, answer: QueryAnswer): void {
    if (this.count >= MAX_ENTRIES) {
      this.entries.clear();
      this.count = 0;
    }
    let list = this.entries.get(qname);
    if (list === undefined) {
      list = [];
      this.entries.set(qname, list);
    }
    this.count++;
    list.push({
      qtype,
      shape,
      bytes: answer.bytes!,
      kind: answer.kind,
      zone: answer.zone,
      reply: answer.reply!,
      wildcard: answer.wildcard,
      cname: answer.cname,
      truncated: answer.truncated,
      signedUntil: answer.signedUntil,
    });
  }

  get size(): number {
    return this.count;
  }
}

/** A copy of `cached` answering this query: its ID, its RD/CD bits, its letter case. */
export function patchReply(cached: Buffer, id: number, rd: boolean, cd: boolean, qnameWire: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(cached.length);
  cached.copy(out);
  out[0] = id >> 8;
  out[1] = id & 0xff;
  out[2] = rd ? out[2]! | 0x01 : out[2]! & 0xfe;
  out[3] = cd ? out[3]! | 0x10 : out[3]! & 0xef;
  out.set(qnameWire, 12);
  return out;
}

/**
 * Encoded load-balanced answers. Steering picks one of a few RRsets that were built when the
 * state was prepared (one per origin or origin set), so a plain answer — one RRset, nothing in
 * authority or additional — is fixed by that RRset object, the question, the size limit, the EDNS
 * flags and the ECS family/source/scope. Only the ID, RD/CD, the name's case and the ECS address
 * (the last bytes of the message: OPT is the last record and ECS its only option) differ per
 * query. Keyed by RRset identity through a WeakMap, so entries go with the state that made them.
 */
export class SteeredReplyCache {
  /** Per RRset, lists by ECS scope (a geo answer's scope is its GeoIP network's prefix: many). */
  private readonly byRRset = new WeakMap<RRset, (SteeredEntry[] | undefined)[]>();

  /** The cached reply for this question shape, or undefined. A short scan: no key is built. */
  get(rrset: RRset, qname: string, qtype: number, sizeLimit: number, edns: ReplyEdns | null): Buffer | undefined {
    const ecs = edns?.ecs ?? null;
    const entries = this.byRRset.get(rrset)?.[ecs === null ? 0 : ecs.scopePrefix];
    if (entries === undefined) return undefined;
    const shape = ednsShape(edns);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.qtype !== qtype || e.sizeLimit !== sizeLimit || e.shape !== shape || e.qname !== qname) continue;
      if (ecs !== null && (e.family !== ecs.family || e.source !== ecs.sourcePrefix)) continue;
      return e.bytes;
    }
    return undefined;
  }

  /** Keeps `bytes` only when its tail is the ECS address it echoes (see the class comment). */
  set(rrset: RRset, qname: string, qtype: number, sizeLimit: number, edns: ReplyEdns | null, bytes: Buffer): void {
    const ecs = edns?.ecs ?? null;
    if (ecs !== null && !endsWith(bytes, ecs.address)) return;
    let byScope = this.byRRset.get(rrset);
    if (byScope === undefined) {
      byScope = [];
      this.byRRset.set(rrset, byScope);
    }
    const scope = ecs === null ? 0 : ecs.scopePrefix;
    let entries = byScope[scope];
    if (entries === undefined) byScope[scope] = entries = [];
    // A handful of size limits and ECS shapes per scope in practice; bound it all the same.
    if (entries.length >= MAX_STEERED_PER_SCOPE) entries.length = 0;
    entries.push({
      qname,
      qtype,
      sizeLimit,
      shape: ednsShape(edns),
      family: ecs?.family ?? 0,
      source: ecs?.sourcePrefix ?? 0,
      bytes,
    });
  }
}

interface SteeredEntry {
  readonly qname: string;
  readonly qtype: number;
  readonly sizeLimit: number;
  /** 0 no EDNS, 1 EDNS, 2 EDNS with DO; +4 with ECS. */
  readonly shape: number;
  readonly family: number;
  readonly source: number;
  readonly bytes: Buffer;
}

function ednsShape(edns: ReplyEdns | null): number {
  if (edns === null) return 0;
  return (edns.dnssecOk ? 2 : 1) + (edns.ecs === null ? 0 : 4);
}

const MAX_STEERED_PER_SCOPE = 16;

function endsWith(bytes: Uint8Array, tail: Uint8Array): boolean {
  if (tail.length > bytes.length) return false;
  const at = bytes.length - tail.length;
  for (let i = 0; i < tail.length; i++) if (bytes[at + i] !== tail[i]) return false;
  return true;
}

/** patchReply, then this query's ECS address over the cached one. */
export function patchSteeredReply(
  cached: Buffer,
  id: number,
  rd: boolean,
  cd: boolean,
  qnameWire: Uint8Array,
  ecsAddress: Uint8Array | null,
): Buffer {
  const out = patchReply(cached, id, rd, cd, qnameWire);
  if (ecsAddress !== null && ecsAddress.length > 0) out.set(ecsAddress, out.length - ecsAddress.length);
  return out;
}
