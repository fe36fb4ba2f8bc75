// Reading a transfer request, or any query that carries TSIG: the question, the client's SOA
// serial (IXFR, RFC 1995 §3) and the TSIG record with where it starts (RFC 8945 §4.2). This is
// off the hot path (transfers and signed queries only), so it favours clarity over speed.
import { readName } from '../wire/name.js';
import { RRType } from '../wire/types.js';

export const TSIG_TYPE = 250;

export interface TsigRecord {
  /** Key name, canonical. */
  readonly keyName: string;
  /** Algorithm name, canonical ("hmac-sha256"). */
  readonly algorithm: string;
  /** Seconds since the epoch (48 bits). */
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly other: Buffer;
}

export interface SignedRequest {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly cd: boolean;
  readonly qname: string;
  /** The question name as the client spelled it. */
  readonly qnameWire: Uint8Array;
  readonly qtype: number;
  readonly qclass: number;
  /** IXFR: the serial of the SOA in the authority section; null when absent. */
  readonly clientSerial: number | null;
  /** The request carries an OPT record. */
  readonly edns: boolean;
  readonly tsig: TsigRecord | null;
  /** The message without its TSIG record (ARCOUNT lowered): what the MAC covers, and what the pipeline answers. */
  readonly unsigned: Uint8Array;
}

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

function u32(buf: Uint8Array, at: number): number {
  return u16(buf, at) * 65536 + u16(buf, at + 2);
}

/**
 * Parses the whole message; null when it is not a well-formed query with one question (the
 * pipeline then gives its usual FORMERR). A TSIG record anywhere but last is malformed too.
 */
export function readSignedRequest(buf: Uint8Array): SignedRequest | null {
  try {
    return parse(buf);
  } catch {
    return null;
  }
}

function parse(buf: Uint8Array): SignedRequest | null {
  if (buf.length < 12 || (buf[2]! & 0x80) !== 0 || u16(buf, 4) !== 1) return null;
  const q = readName(buf, 12);
  if (q.end + 4 > buf.length) return null;
  const qtype = u16(buf, q.end);
  const qclass = u16(buf, q.end + 2);
  let pos = q.end + 4;
  let clientSerial: number | null = null;
  let edns = false;
  let tsig: TsigRecord | null = null;
  let tsigStart = -1;
  const counts = [u16(buf, 6), u16(buf, 8), u16(buf, 10)];
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const start = pos;
      const owner = readName(buf, pos);
      const fixed = owner.end;
      if (fixed + 10 > buf.length) return null;
      const type = u16(buf, fixed);
      const rdStart = fixed + 10;
      const rdEnd = rdStart + u16(buf, fixed + 8);
      if (rdEnd > buf.length) return null;
      if (tsig !== null) return null; // TSIG must be the last record
      if (section === 1 && type === RRType.SOA && clientSerial === null) {
        const mname = readName(buf, rdStart, rdEnd);
        const rname = readName(buf, mname.end, rdEnd);
        if (rname.end + 20 > rdEnd) return null;
        clientSerial = u32(buf, rname.end);
      } else if (section === 2 && type === RRType.OPT) {
        edns = true;
      } else if (section === 2 && type === TSIG_TYPE) {
        tsig = readTsig(buf, owner.name, rdStart, rdEnd);
        tsigStart = start;
      }
      pos = rdEnd;
    }
  }
  if (pos !== buf.length) return null;
  let unsigned: Uint8Array = buf;
  if (tsig !== null) {
    const copy = Buffer.from(buf.subarray(0, tsigStart));
    copy.writeUInt16BE(counts[2]! - 1, 10);
    unsigned = copy;
  }
  return {
    id: u16(buf, 0),
    opcode: (buf[2]! >> 3) & 0x0f,
    rd: (buf[2]! & 0x01) !== 0,
    cd: (buf[3]! & 0x10) !== 0,
    qname: q.name,
    qnameWire: buf.subarray(12, q.end),
    qtype,
    qclass,
    clientSerial,
    edns,
    tsig,
    unsigned,
  };
}

function readTsig(buf: Uint8Array, keyName: string, at: number, end: number): TsigRecord {
  const alg = readName(buf, at, end);
  let p = alg.end;
  if (p + 10 > end) throw new Error('short TSIG');
  const timeSigned = u16(buf, p) * 2 ** 32 + u32(buf, p + 2);
  const fudge = u16(buf, p + 6);
  const macSize = u16(buf, p + 8);
  p += 10;
  if (p + macSize + 6 > end) throw new Error('short TSIG');
  const mac = Buffer.from(buf.subarray(p, p + macSize));
  p += macSize;
  const originalId = u16(buf, p);
  const error = u16(buf, p + 2);
  const otherLen = u16(buf, p + 4);
  p += 6;
  if (p + otherLen !== end) throw new Error('bad TSIG length');
  const other = Buffer.from(buf.subarray(p, p + otherLen));
  return { keyName, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, other };
}

/**
 * Cheap look at a message, before the pipeline sees it: is it a transfer (AXFR/IXFR) or does its
 * last record look like TSIG? Walks the header, question and records without allocating.
 */
export function needsTransferPath(buf: Uint8Array): boolean {
  const size = buf.length;
  if (size < 17 || (buf[2]! & 0x80) !== 0) return false;
  let pos = skipName(buf, 12);
  if (pos < 0 || pos + 4 > size) return false;
  const qtype = u16(buf, pos);
  if (qtype === RRType.AXFR || qtype === RRType.IXFR) return true;
  const records = u16(buf, 6) + u16(buf, 8) + u16(buf, 10);
  if (u16(buf, 10) === 0) return false;
  pos += 4;
  let type = 0;
  for (let i = 0; i < records; i++) {
    pos = skipName(buf, pos);
    if (pos < 0 || pos + 10 > size) return false;
    type = u16(buf, pos);
    pos += 10 + u16(buf, pos + 8);
  }
  return type === TSIG_TYPE;
}

/** Offset past a (possibly compressed) name, or -1. */
function skipName(buf: Uint8Array, at: number): number {
  let pos = at;
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= buf.length) return -1;
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    if (len > 63) return -1;
    pos += len + 1;
  }
  return -1;
}

/** The question asks for AXFR or IXFR (a transfer to stream over TCP). */
export function isTransferQuestion(buf: Uint8Array): boolean {
  if (buf.length < 17 || (buf[2]! & 0x80) !== 0 || ((buf[2]! >> 3) & 0x0f) !== 0) return false;
  const pos = skipName(buf, 12);
  if (pos < 0 || pos + 4 > buf.length) return false;
  const qtype = u16(buf, pos);
  return qtype === RRType.AXFR || qtype === RRType.IXFR;
}
