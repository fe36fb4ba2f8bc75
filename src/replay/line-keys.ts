// Entries by the memo key of a record line — query name, type, ECS subnet, resolver, transport —
// found from the line's bytes (a RecordScan) without making a string: a hash table whose
// entries keep a copy of the key's bytes to compare. Bounded: past `limit` entries it starts
// over, like the replay's other caches.
import type { RecordScan } from './record-scan.js';

interface KeyEntry<T> {
  readonly hash: number;
  /** qname, qtype, ecs, resolver bytes, one after the other. */
  readonly bytes: Uint8Array;
  readonly qnameLength: number;
  readonly qtypeLength: number;
  /** -1: no ECS. */
  readonly ecsLength: number;
  readonly resolverLength: number;
  readonly tcp: boolean;
  readonly value: T;
}

export class LineKeys<T> {
  readonly #limit: number;
  readonly #slots: Int32Array;
  readonly #mask: number;
  #entries: KeyEntry<T>[] = [];

  constructor(limit = 100_000) {
    this.#limit = limit;
    let size = 1024;
    while (size < limit * 2) size *= 2;
    this.#slots = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
  }

  get size(): number {
    return this.#entries.length;
  }

  get(scan: RecordScan, buf: Uint8Array): T | undefined {
    const slots = this.#slots;
    for (let i = scan.hash & this.#mask; ; i = (i + 1) & this.#mask) {
      const k = slots[i]!;
      if (k < 0) return undefined;
      const e = this.#entries[k]!;
      if (e.hash === scan.hash && sameKey(e, scan, buf)) return e.value;
    }
  }

  /** Adds the key of `scan` (not in the table) with `value`. */
  set(scan: RecordScan, buf: Uint8Array, value: T): void {
    if (this.#entries.length >= this.#limit) {
      this.#slots.fill(-1);
      this.#entries = [];
    }
    const ecsLength = scan.ecsStart < 0 ? -1 : scan.ecsEnd - scan.ecsStart;
    const qnameLength = scan.qnameEnd - scan.qnameStart;
    const qtypeLength = scan.qtypeEnd - scan.qtypeStart;
    const resolverLength = scan.resolverEnd - scan.resolverStart;
    const bytes = new Uint8Array(qnameLength + qtypeLength + Math.max(0, ecsLength) + resolverLength);
    let at = 0;
    bytes.set(buf.subarray(scan.qnameStart, scan.qnameEnd), at);
    at += qnameLength;
    bytes.set(buf.subarray(scan.qtypeStart, scan.qtypeEnd), at);
    at += qtypeLength;
    if (ecsLength > 0) bytes.set(buf.subarray(scan.ecsStart, scan.ecsEnd), at);
    at += Math.max(0, ecsLength);
    bytes.set(buf.subarray(scan.resolverStart, scan.resolverEnd), at);
    const slots = this.#slots;
    let i = scan.hash & this.#mask;
    while (slots[i]! >= 0) i = (i + 1) & this.#mask;
    slots[i] = this.#entries.length;
    this.#entries.push({ hash: scan.hash, bytes, qnameLength, qtypeLength, ecsLength, resolverLength, tcp: scan.tcp, value });
  }
}

function sameKey<T>(e: KeyEntry<T>, scan: RecordScan, buf: Uint8Array): boolean {
  if (e.tcp !== scan.tcp) return false;
  const ecsLength = scan.ecsStart < 0 ? -1 : scan.ecsEnd - scan.ecsStart;
  if (
    e.qnameLength !== scan.qnameEnd - scan.qnameStart ||
    e.qtypeLength !== scan.qtypeEnd - scan.qtypeStart ||
    e.ecsLength !== ecsLength ||
    e.resolverLength !== scan.resolverEnd - scan.resolverStart
  )
    return false;
  const bytes = e.bytes;
  let at = same(bytes, 0, buf, scan.qnameStart, scan.qnameEnd);
  if (at >= 0) at = same(bytes, at, buf, scan.qtypeStart, scan.qtypeEnd);
  if (at >= 0 && ecsLength > 0) at = same(bytes, at, buf, scan.ecsStart, scan.ecsEnd);
  if (at >= 0) at = same(bytes, at, buf, scan.resolverStart, scan.resolverEnd);
  return at >= 0;
}

/** Compares buf[s, e) with bytes from `at`: the position after it, or -1 when they differ. */
function same(bytes: Uint8Array, at: number, buf: Uint8Array, s: number, e: number): number {
  for (let i = s; i < e; i++, at++) if (bytes[at] !== buf[i]) return -1;
  return at;
}
