// Query builder for tests and tools (dig-like clients, health checks of our own server). Not on
// the hot path. It writes exactly what it is told, so tests can also craft invalid queries
// (bad ECS, odd flags); byte-level damage is done on the result.
import { nameToWire } from './name.js';
import { RRClass, RRType } from './types.js';

export interface QueryEdnsOptions {
  udpSize?: number;
  version?: number;
  dnssecOk?: boolean;
  /** Written as given, without validation (family, prefixes and address may be anything). */
  ecs?: { family: number; sourcePrefix: number; scopePrefix?: number; address: Uint8Array } | null;
  /** Extra raw options, written after ECS. */
  options?: readonly { code: number; data: Uint8Array }[];
}

export interface QueryOptions {
  id?: number;
  /** Presentation name; letter case is kept, so "WwW.Example.COM" makes a 0x20-style query. */
  qname: string;
  qtype?: number;
  qclass?: number;
  opcode?: number;
  rd?: boolean;
  cd?: boolean;
  /** Set QR (makes a "response", which the server must drop). */
  qr?: boolean;
  /** Question name bytes to use instead of nameToWire(qname). */
  qnameWire?: Uint8Array;
  /** OPT record; omitted when null/undefined. */
  edns?: QueryEdnsOptions | null;
}

/** Builds a query message (one question, optionally an OPT record in the additional section). */
export function encodeQuery(q: QueryOptions): Buffer {
  const qnameWire = q.qnameWire ?? nameToWire(q.qname);
  const parts: number[] = [];
  const u16 = (v: number): void => {
    parts.push((v >>> 8) & 0xff, v & 0xff);
  };
  const bytes = (b: Uint8Array): void => {
    for (const x of b) parts.push(x);
  };
  u16(q.id ?? 0x1234);
  parts.push((q.qr ? 0x80 : 0) | (((q.opcode ?? 0) & 0x0f) << 3) | (q.rd ? 0x01 : 0));
  parts.push(q.cd ? 0x10 : 0);
  u16(1);
  u16(0);
  u16(0);
  u16(q.edns ? 1 : 0);
  bytes(qnameWire);
  u16(q.qtype ?? RRType.A);
  u16(q.qclass ?? RRClass.IN);
  const edns = q.edns;
  if (edns) {
    const options: number[] = [];
    const option = (code: number, data: number[]): void => {
      options.push(code >>> 8, code & 0xff, data.length >>> 8, data.length & 0xff, ...data);
    };
    if (edns.ecs) {
      const e = edns.ecs;
      option(8, [e.family >>> 8, e.family & 0xff, e.sourcePrefix, e.scopePrefix ?? 0, ...e.address]);
    }
    for (const o of edns.options ?? []) option(o.code, [...o.data]);
    parts.push(0);
    u16(RRType.OPT);
    u16(edns.udpSize ?? 1232);
    parts.push(0, edns.version ?? 0, edns.dnssecOk ? 0x80 : 0, 0);
    u16(options.length);
    parts.push(...options);
  }
  return Buffer.from(parts);
}
