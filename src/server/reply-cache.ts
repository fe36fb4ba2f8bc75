// Encoded replies for answers that depend only on the question and the serving state — static
// data, no load balancer involved, no ECS to echo. A hit costs a copy and three patches (ID,
// RD/CD bits, the client's spelling of the name) instead of lookup and encoding.
import type { Reply } from '../wire/types.js';

interface Entry {
  readonly bytes: Buffer;
  readonly zone: string | null;
  readonly reply: Reply;
}

/** Bounded: a flood of distinct names empties the cache instead of growing it. */
const MAX_ENTRIES = 20_000;

export class ReplyCache {
  private entries = new Map<string, Entry>();
  private generation = -1;

  /** The cache key, or null when this query's reply must not come from the cache. */
  static key(qname: string, qtype: number, sizeLimit: number, dnssecOk: boolean, hasEdns: boolean, tcp: boolean): string {
    return `${qname}\u0000${qtype}\u0000${sizeLimit}${hasEdns ? (dnssecOk ? 'D' : 'E') : 'N'}${tcp ? 'T' : 'U'}`;
  }

  /** Drops everything when the serving state changed since the entries were made. */
  sync(generation: number): void {
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  set(key: string, bytes: Buffer, zone: string | null, reply: Reply): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, { bytes, zone, reply });
  }

  get size(): number {
    return this.entries.size;
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
