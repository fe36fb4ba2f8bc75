// A built zone as two byte buffers and one string, so a zone parsed on a worker thread reaches
// the main thread without cloning millions of objects (the buffers are transferred, the string
// is one copy), and is rebuilt there a slice at a time between queries (ZoneUnpacker).
//
// structure: per node   u8 flags (1 = load-balanced), u16 RRset count
//            per RRset  u16 type, u32 record count
//            per record u32 TTL, u8 kind, then by kind:
//                       raw  u16 length (the bytes are next in `rdata`)
//                       name —                    mx  u16 preference
//                       srv  u16 priority, weight, port
//                       soa  u32 serial, refresh, retry, expire, minimum
// names:     every name the structure needs, in the order it needs them, each ended by "\n"
//            (canonical names escape every byte outside 0x21-0x7E, so "\n" never occurs in one):
//            a node's name, then its records' names (exchange, target, mname and rname), and
//            after the nodes the cuts, then the cutOf pairs (name, cut).
// rdata:     the bytes of raw records, back to back. Unpacked records are views into it.
import { RRType, type RData, type RR, type RRset } from '../wire/types.js';
import { freezeSet } from './freeze.js';
import { NodeMap } from './node-map.js';
import { EMPTY_TABLE, rrsetTable, singleRRsetTable } from './rrset-table.js';
import type { DynamicBinding, Zone, ZoneNode } from './types.js';
import { factsOf, recordZoneFacts } from './zone-facts.js';

export interface PackedZone {
  readonly origin: string;
  readonly file: string;
  readonly loadedAt: number;
  readonly recordCount: number;
  readonly nodeCount: number;
  readonly cutCount: number;
  readonly cutOfCount: number;
  readonly hasWildcards: boolean;
  readonly hasDnames: boolean;
  readonly names: string;
  readonly structure: ArrayBuffer;
  readonly rdata: ArrayBuffer;
}

const KIND_RAW = 0;
const KIND_NAME = 1;
const KIND_MX = 2;
const KIND_SRV = 3;
const KIND_SOA = 4;
const FLAG_DYNAMIC = 1;

class ByteWriter {
  buf: Uint8Array;
  length = 0;

  constructor(initial: number) {
    this.buf = new Uint8Array(Math.max(64, initial));
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.buf[this.length++] = v >>> 8;
    this.buf[this.length++] = v & 0xff;
  }

  u32(v: number): void {
    this.room(4);
    this.buf[this.length++] = v >>> 24;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** The written bytes in an ArrayBuffer of their own (transferable). */
  finish(): ArrayBuffer {
    return this.buf.slice(0, this.length).buffer;
  }
}

/** Packs a zone (any Zone; the builder's are the usual case). */
export function packZone(zone: Zone): PackedZone {
  const structure = new ByteWriter(zone.nodes.size * 24);
  const rdata = new ByteWriter(zone.recordCount * 8);
  const names: string[] = [];
  zone.nodes.forEach((node, name) => {
    names.push(name);
    structure.u8(node.dynamic === null ? 0 : FLAG_DYNAMIC);
    structure.u16(node.rrsets.size);
    node.rrsets.forEach((rrset, type) => {
      structure.u16(type);
      structure.u32(rrset.length);
      for (const rr of rrset) {
        structure.u32(rr.ttl);
        packRData(rr.data, structure, rdata, names);
      }
    });
  });
  for (const cut of zone.cuts) names.push(cut);
  const facts = factsOf(zone);
  for (const [name, cut] of facts.cutOf) names.push(name, cut);
  names.push('');
  return {
    origin: zone.origin,
    file: zone.file,
    loadedAt: zone.loadedAt,
    recordCount: zone.recordCount,
    nodeCount: zone.nodes.size,
    cutCount: zone.cuts.size,
    cutOfCount: facts.cutOf.size,
    hasWildcards: facts.hasWildcards,
    hasDnames: facts.hasDnames,
    names: names.join('\n'),
    structure: structure.finish(),
    rdata: rdata.finish(),
  };
}

function packRData(d: RData, out: ByteWriter, rdata: ByteWriter, names: string[]): void {
  switch (d.kind) {
    case 'raw':
      out.u8(KIND_RAW);
      out.u16(d.bytes.length);
      rdata.bytes(d.bytes);
      return;
    case 'name':
      out.u8(KIND_NAME);
      names.push(d.name);
      return;
    case 'mx':
      out.u8(KIND_MX);
      out.u16(d.preference);
      names.push(d.exchange);
      return;
    case 'srv':
      out.u8(KIND_SRV);
      out.u16(d.priority);
      out.u16(d.weight);
      out.u16(d.port);
      names.push(d.target);
      return;
    case 'soa':
      out.u8(KIND_SOA);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) out.u32(v);
      names.push(d.mname, d.rname);
      return;
  }
}

/**
 * Rebuilds a packed zone in steps, so the main thread can answer queries between them. The
 * zone is complete (and only then visible) once step() returns true.
 */
export class ZoneUnpacker {
  private readonly structure: Uint8Array;
  private readonly rdata: Uint8Array;
  private readonly nodes: NodeMap<ZoneNode>;
  private pos = 0;
  private rdataPos = 0;
  private namePos = 0;
  private done = 0;
  private result: Zone | null = null;

  constructor(
    private readonly packed: PackedZone,
    /** Load-balanced names → bindings; every node packed as load-balanced must be here. */
    private readonly bindings: ReadonlyMap<string, DynamicBinding>,
  ) {
    this.structure = new Uint8Array(packed.structure);
    this.rdata = new Uint8Array(packed.rdata);
    this.nodes = new NodeMap<ZoneNode>(packed.nodeCount);
  }

  /**
   * Unpacks nodes until `deadline` (a performance.now() time) has passed, checked every 256
   * nodes; Infinity finishes in one go. True when the zone is complete.
   */
  step(deadline: number): boolean {
    if (this.result !== null) return true;
    const total = this.packed.nodeCount;
    while (this.done < total) {
      const end = Math.min(total, this.done + 256);
      for (; this.done < end; this.done++) this.node();
      if (this.done < total && performance.now() >= deadline) return false;
    }
    this.result = this.finish();
    return true;
  }

  /** The unpacked zone; only after step() returned true. */
  zone(): Zone {
    if (this.result === null) throw new Error('zone is not unpacked yet');
    return this.result;
  }

  private u8(): number {
    return this.structure[this.pos++]!;
  }

  private u16(): number {
    const s = this.structure;
    const v = (s[this.pos]! << 8) | s[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  private u32(): number {
    const s = this.structure;
    const p = this.pos;
    this.pos += 4;
    return ((s[p]! << 24) | (s[p + 1]! << 16) | (s[p + 2]! << 8) | s[p + 3]!) >>> 0;
  }

  private name(): string {
    const names = this.packed.names;
    const end = names.indexOf('\n', this.namePos);
    if (end < 0) throw new Error('packed zone: names run out');
    const name = names.slice(this.namePos, end);
    this.namePos = end + 1;
    return name;
  }

  private node(): void {
    const name = this.name();
    const flags = this.u8();
    const setCount = this.u16();
    let dynamic: DynamicBinding | null = null;
    if ((flags & FLAG_DYNAMIC) !== 0) {
      dynamic = this.bindings.get(name) ?? null;
      if (dynamic === null) throw new Error(`packed zone: no load balancer for ${name}`);
    }
    let rrsets: ReadonlyMap<number, RRset>;
    if (setCount === 0) {
      rrsets = EMPTY_TABLE;
    } else if (setCount === 1) {
      const type = this.u16();
      rrsets = singleRRsetTable(type, this.rrset(name, type));
    } else {
      const types: number[] = [];
      const sets: RRset[] = [];
      for (let i = 0; i < setCount; i++) {
        const type = this.u16();
        types.push(type);
        sets.push(this.rrset(name, type));
      }
      rrsets = rrsetTable(Object.freeze(types), Object.freeze(sets));
    }
    this.nodes.put(name, Object.freeze({ name, rrsets, dynamic }));
  }

  private rrset(name: string, type: number): RRset {
    const count = this.u32();
    const rrs: RR[] = [];
    for (let i = 0; i < count; i++) {
      const ttl = this.u32();
      rrs.push(Object.freeze({ name, type, ttl, data: Object.freeze(this.rdataOf()) }));
    }
    return Object.freeze(rrs);
  }

  private rdataOf(): RData {
    switch (this.u8()) {
      case KIND_RAW: {
        const len = this.u16();
        const bytes = this.rdata.subarray(this.rdataPos, this.rdataPos + len);
        this.rdataPos += len;
        return { kind: 'raw', bytes };
      }
      case KIND_NAME:
        return { kind: 'name', name: this.name() };
      case KIND_MX: {
        const preference = this.u16();
        return { kind: 'mx', preference, exchange: this.name() };
      }
      case KIND_SRV: {
        const priority = this.u16();
        const weight = this.u16();
        const port = this.u16();
        return { kind: 'srv', priority, weight, port, target: this.name() };
      }
      case KIND_SOA: {
        const serial = this.u32();
        const refresh = this.u32();
        const retry = this.u32();
        const expire = this.u32();
        const minimum = this.u32();
        const mname = this.name();
        return { kind: 'soa', mname, rname: this.name(), serial, refresh, retry, expire, minimum };
      }
      default:
        throw new Error('packed zone: unknown record kind');
    }
  }

  private finish(): Zone {
    const p = this.packed;
    const cuts = new Set<string>();
    for (let i = 0; i < p.cutCount; i++) cuts.add(this.name());
    const cutOf = new Map<string, string>();
    for (let i = 0; i < p.cutOfCount; i++) {
      const name = this.name();
      cutOf.set(name, this.name());
    }
    const nodes = this.nodes.seal();
    const soa = nodes.get(p.origin)?.rrsets.get(RRType.SOA)?.[0];
    if (soa === undefined) throw new Error('packed zone: no SOA at the apex');
    const zone: Zone = Object.freeze({
      origin: p.origin,
      soa,
      serial: soa.data.kind === 'soa' ? soa.data.serial : 0,
      nodes,
      cuts: freezeSet(cuts),
      file: p.file,
      recordCount: p.recordCount,
      loadedAt: p.loadedAt,
    });
    recordZoneFacts(zone, { hasWildcards: p.hasWildcards, cutOf, hasDnames: p.hasDnames });
    return zone;
  }
}

/** Unpacks a whole zone at once. */
export function unpackZone(packed: PackedZone, bindings: ReadonlyMap<string, DynamicBinding>): Zone {
  const u = new ZoneUnpacker(packed, bindings);
  u.step(Infinity);
  return u.zone();
}
