// Reply encoder: header, echoed question, the three sections with name compression (RFC 1035
// 4.1.4), and OPT (RFC 6891) with the ECS echo (RFC 7871), fitted to a size limit RRset by RRset.
//
// Everything is written into one preallocated buffer; the result is a copy of the used part.
// The buffer is big enough that a record never needs a bounds check while it is written: a
// record starts at or before offset 65535 and is at most 255 + 10 + 65535 bytes long.
import { nameInfo } from './name.js';
import { RRClass, RRType, type ClientSubnet, type RR, type RRset, type Reply } from './types.js';

export { encodeQuery, type QueryOptions, type QueryEdnsOptions } from './encode-query.js';

const MAX_MESSAGE = 65535;
const HEADER_SIZE = 12;
/** Compression pointers hold 14 bits, so only names starting below this can be targets. */
const MAX_POINTER_TARGET = 0x3fff;
const OPT_FIXED_SIZE = 11;

const out = Buffer.allocUnsafe(MAX_MESSAGE + 255 + 10 + MAX_MESSAGE + 64);
let pos = 0;

// Compression table: canonical suffix text -> offset of its first occurrence in `out`.
// Entries added while writing an RRset are logged so a dropped RRset can take them back.
const table = new Map<string, number>();
const added: string[] = [];
let addedCount = 0;

function rollback(toPos: number, toAdded: number): void {
  for (let i = addedCount - 1; i >= toAdded; i--) table.delete(added[i]!);
  addedCount = toAdded;
  pos = toPos;
}

function putU16(v: number): void {
  out[pos] = v >>> 8;
  out[pos + 1] = v;
  pos += 2;
}

function putU32(v: number): void {
  out[pos] = v >>> 24;
  out[pos + 1] = v >>> 16;
  out[pos + 2] = v >>> 8;
  out[pos + 3] = v;
  pos += 4;
}

function putBytes(bytes: Uint8Array, from: number, to: number): void {
  if (to - from > 24) {
    out.set(bytes.subarray(from, to), pos);
    pos += to - from;
    return;
  }
  for (let i = from; i < to; i++) out[pos++] = bytes[i]!;
}

/**
 * Writes a name. With `compress` the longest suffix already in the message becomes a pointer,
 * and the labels written here become targets for later names. Without it the name is written
 * in full and left out of the table (SRV targets, names in other types' RDATA).
 */
function putName(name: string, compress: boolean): void {
  const info = nameInfo(name);
  const suffixes = info.suffixes;
  const n = suffixes.length;
  let firstShared = n;
  let target = 0;
  if (compress) {
    for (let i = 0; i < n; i++) {
      const at = table.get(suffixes[i]!);
      if (at !== undefined) {
        firstShared = i;
        target = at;
        break;
      }
    }
    const offsets = info.offsets;
    for (let i = 0; i < firstShared; i++) {
      const at = pos + offsets[i]!;
      if (at > MAX_POINTER_TARGET) break;
      const suffix = suffixes[i]!;
      table.set(suffix, at);
      added[addedCount++] = suffix;
    }
  }
  const wire = info.wire;
  if (firstShared < n) {
    putBytes(wire, 0, info.offsets[firstShared]!);
    out[pos] = 0xc0 | (target >>> 8);
    out[pos + 1] = target;
    pos += 2;
  } else {
    putBytes(wire, 0, wire.length);
  }
}

/** Class of the records written: IN, but CH in the answer to a CHAOS question. */
let recordClass: number = RRClass.IN;

function putRecord(rr: RR): void {
  putName(rr.name, true);
  putU16(rr.type);
  putU16(recordClass);
  putU32(rr.ttl >>> 0);
  const lengthAt = pos;
  pos += 2;
  const data = rr.data;
  const type = rr.type;
  switch (data.kind) {
    case 'raw': {
      const bytes = data.bytes;
      if (bytes.length > MAX_MESSAGE) throw new RangeError(`RDATA of ${bytes.length} bytes for ${rr.name}`);
      putBytes(bytes, 0, bytes.length);
      break;
    }
    case 'name':
      // Only the RFC 1035 types may be compressed inside RDATA (RFC 3597 4).
      putName(data.name, type === RRType.NS || type === RRType.CNAME || type === RRType.PTR);
      break;
    case 'mx':
      putU16(data.preference);
      putName(data.exchange, type === RRType.MX);
      break;
    case 'srv':
      putU16(data.priority);
      putU16(data.weight);
      putU16(data.port);
      putName(data.target, false);
      break;
    case 'soa': {
      const compress = type === RRType.SOA;
      putName(data.mname, compress);
      putName(data.rname, compress);
      putU32(data.serial >>> 0);
      putU32(data.refresh >>> 0);
      putU32(data.retry >>> 0);
      putU32(data.expire >>> 0);
      putU32(data.minimum >>> 0);
      break;
    }
  }
  const length = pos - lengthAt - 2;
  out[lengthAt] = length >>> 8;
  out[lengthAt + 1] = length;
}

/** Set by putSection: false when an RRset did not fit and the section was cut there. */
let sectionComplete = true;

/** Writes whole RRsets while they fit under `limit`; returns the number of records written. */
function putSection(sets: readonly RRset[], limit: number): number {
  let count = 0;
  sectionComplete = true;
  for (let s = 0; s < sets.length; s++) {
    const set = sets[s]!;
    const startPos = pos;
    const startAdded = addedCount;
    for (let r = 0; r < set.length && pos <= limit; r++) putRecord(set[r]!);
    if (pos > limit) {
      rollback(startPos, startAdded);
      sectionComplete = false;
      return count;
    }
    count += set.length;
  }
  return count;
}

function optSize(ecs: ClientSubnet | null): number {
  return OPT_FIXED_SIZE + (ecs === null ? 0 : 8 + ecs.address.length);
}

function putOpt(udpSize: number, extendedRcode: number, dnssecOk: boolean, ecs: ClientSubnet | null): void {
  out[pos++] = 0; // root owner
  putU16(RRType.OPT);
  putU16(udpSize);
  out[pos] = extendedRcode;
  out[pos + 1] = 0; // version 0
  out[pos + 2] = dnssecOk ? 0x80 : 0; // DO; every other flag cleared
  out[pos + 3] = 0;
  pos += 4;
  if (ecs === null) {
    putU16(0);
    return;
  }
  const addressLength = ecs.address.length;
  putU16(8 + addressLength);
  putU16(8); // option code: ECS
  putU16(4 + addressLength);
  putU16(ecs.family);
  out[pos++] = ecs.sourcePrefix;
  out[pos++] = ecs.scopePrefix;
  putBytes(ecs.address, 0, addressLength);
}

/** Makes compression pointers to the question name aim at the client's own spelling. */
function seedQuestion(qname: string, qnameWire: Uint8Array): void {
  const info = nameInfo(qname);
  if (info.wire.length !== qnameWire.length) return; // inconsistent question: just don't point at it
  const suffixes = info.suffixes;
  const offsets = info.offsets;
  for (let i = 0; i < suffixes.length; i++) table.set(suffixes[i]!, HEADER_SIZE + offsets[i]!);
}

/**
 * Encodes a reply of at most `maxSize` bytes (clamped to 65535). Header, question and the OPT
 * record are always present. Answer and authority RRsets that do not fit are dropped with all
 * that follows and TC set; additional RRsets that do not fit are dropped silently. The result is
 * a fresh Buffer (the working buffer is reused by the next call).
 */
export function encodeReply(reply: Reply, maxSize: number): Buffer {
  const limitAll = Math.min(maxSize, MAX_MESSAGE);
  table.clear();
  addedCount = 0;
  pos = HEADER_SIZE;

  const question = reply.question;
  recordClass = question !== null && question.qclass === RRClass.CH ? RRClass.CH : RRClass.IN;
  if (question !== null) {
    const wire = question.qnameWire;
    putBytes(wire, 0, wire.length);
    putU16(question.qtype);
    putU16(question.qclass);
    seedQuestion(question.qname, wire);
  }

  const edns = reply.edns;
  const limit = limitAll - (edns === null ? 0 : optSize(edns.ecs));
  let truncated = false;
  let nscount = 0;
  let arcount = 0;
  const ancount = putSection(reply.answer, limit);
  if (!sectionComplete) truncated = true;
  else {
    nscount = putSection(reply.authority, limit);
    if (!sectionComplete) truncated = true;
    else arcount = putSection(reply.additional, limit);
  }
  if (edns !== null) {
    putOpt(edns.udpSize, (reply.rcode >>> 4) & 0xff, edns.dnssecOk, edns.ecs);
    arcount++;
  }

  out[0] = reply.id >>> 8;
  out[1] = reply.id;
  out[2] = 0x80 | ((reply.opcode & 0x0f) << 3) | (reply.aa ? 0x04 : 0) | (truncated ? 0x02 : 0) | (reply.rd ? 0x01 : 0);
  out[3] = (reply.cd ? 0x10 : 0) | (reply.rcode & 0x0f);
  out[4] = 0;
  out[5] = question === null ? 0 : 1;
  out[6] = ancount >>> 8;
  out[7] = ancount;
  out[8] = nscount >>> 8;
  out[9] = nscount;
  out[10] = arcount >>> 8;
  out[11] = arcount;

  const result = Buffer.allocUnsafe(pos);
  out.copy(result, 0, 0, pos);
  return result;
}
