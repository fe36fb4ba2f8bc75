// Canonical wire form of records (RFC 4034 §6): owner and RDATA names uncompressed and in lower
// case (steerdns keeps names lowercase already), RRs of an RRset sorted by their RDATA bytes. This
// is what a signature covers, and what keys the signature cache by content.
import { nameToWire } from '../wire/name.js';
import type { RData, RR, RRset } from '../wire/types.js';

const u16 = (v: number): Uint8Array => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
const u32 = (v: number): Uint8Array => Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

/** Uncompressed RDATA bytes. */
export function rdataBytes(data: RData): Uint8Array {
  switch (data.kind) {
    case 'raw':
      return data.bytes;
    case 'name':
      return nameToWire(data.name);
    case 'mx':
      return Buffer.concat([u16(data.preference), nameToWire(data.exchange)]);
    case 'srv':
      return Buffer.concat([u16(data.priority), u16(data.weight), u16(data.port), nameToWire(data.target)]);
    case 'soa':
      return Buffer.concat([
        nameToWire(data.mname),
        nameToWire(data.rname),
        u32(data.serial),
        u32(data.refresh),
        u32(data.retry),
        u32(data.expire),
        u32(data.minimum),
      ]);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The RDATA of each record, in canonical order, without duplicates (RFC 4034 §6.3). */
export function canonicalRdatas(rrset: RRset): Uint8Array[] {
  const all = rrset.map((rr) => rdataBytes(rr.data)).sort(compareBytes);
  return all.filter((b, i) => i === 0 || compareBytes(all[i - 1]!, b) !== 0);
}

/**
 * The RRset part of the signed data (RFC 4034 §3.1.8.1): every RR as owner | type | class |
 * original TTL | RDLENGTH | RDATA. `owner` is the name signed (the wildcard for a synthesised answer).
 */
export function canonicalRRsetBytes(rrset: RRset, owner: string, ttl: number): Buffer {
  const first: RR = rrset[0]!;
  const head = Buffer.concat([nameToWire(owner), u16(first.type), u16(1), u32(ttl)]);
  const parts: Uint8Array[] = [];
  for (const rdata of canonicalRdatas(rrset)) parts.push(head, u16(rdata.length), rdata);
  return Buffer.concat(parts);
}

/** Canonical ordering of names (RFC 4034 §6.1), on canonical presentation strings via their wire form. */
export function compareNames(a: string, b: string): number {
  const la = labelsOf(nameToWire(a));
  const lb = labelsOf(nameToWire(b));
  for (let i = 1; i <= Math.min(la.length, lb.length); i++) {
    const c = compareBytes(la[la.length - i]!, lb[lb.length - i]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

function labelsOf(wire: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; wire[at] !== 0; at += wire[at]! + 1) out.push(wire.subarray(at + 1, at + 1 + wire[at]!));
  return out;
}
