// Query decoder: structural validation of one DNS query message (RFC 1035 4.1, RFC 6891, RFC 7871).
//
// Policy (opcode, class, EDNS version) is the pipeline's business: any opcode/class/version
// decodes. What this rejects is a message that is not well formed. Per query it allocates the
// Query object, the qname string, a subarray for qnameWire and, with EDNS, the QueryEdns (and
// ClientSubnet) objects; nothing else.
import { lastNameWireLength, nameErrorReason, scanName, takeText } from './name.js';
import { EdnsOption, RRType, type ClientSubnet, type Query, type QueryEdns, type Reply } from './types.js';

export type ReplyQuestion = NonNullable<Reply['question']>;

export type DecodeOutcome =
  | { readonly kind: 'query'; readonly query: Query }
  /** Shorter than a header, or QR=1: never answered. */
  | { readonly kind: 'drop'; readonly reason: string }
  /** Malformed; carries what could be read so the FORMERR reply can echo it. */
  | {
      readonly kind: 'formerr';
      readonly reason: string;
      readonly id: number;
      readonly opcode: number;
      readonly rd: boolean;
      readonly cd: boolean;
      readonly question: ReplyQuestion | null;
      readonly edns: QueryEdns | null;
    };

const HEADER_SIZE = 12;
const MIN_UDP_SIZE = 512;
const SECTION_NAMES = ['answer', 'authority', 'additional'] as const;

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

// Set by readOpt when the OPT record was readable but one of its options was not.
let optionError: string | null = null;

/** Validates an ECS option body; returns the subnet, or sets optionError and returns null. */
function readClientSubnet(buf: Uint8Array, at: number, length: number): ClientSubnet | null {
  if (length < 4) {
    optionError = `ECS option of ${length} bytes, shorter than 4`;
    return null;
  }
  const family = u16(buf, at);
  const sourcePrefix = buf[at + 2]!;
  const scopePrefix = buf[at + 3]!;
  if (family !== 1 && family !== 2) {
    optionError = `ECS family ${family} is neither 1 (IPv4) nor 2 (IPv6)`;
    return null;
  }
  const maxPrefix = family === 1 ? 32 : 128;
  if (sourcePrefix > maxPrefix) {
    optionError = `ECS source prefix ${sourcePrefix} exceeds ${maxPrefix}`;
    return null;
  }
  if (scopePrefix !== 0) {
    optionError = `ECS scope prefix ${scopePrefix} in a query (must be 0)`;
    return null;
  }
  const addressLength = length - 4;
  if (addressLength !== (sourcePrefix + 7) >> 3) {
    optionError = `ECS address of ${addressLength} bytes for source prefix ${sourcePrefix}`;
    return null;
  }
  const spareBits = sourcePrefix & 7;
  if (spareBits !== 0 && (buf[at + 4 + addressLength - 1]! & (0xff >> spareBits)) !== 0) {
    optionError = `ECS address has bits set past the source prefix ${sourcePrefix}`;
    return null;
  }
  return {
    family: family as 1 | 2,
    sourcePrefix,
    scopePrefix,
    address: buf.subarray(at + 4, at + 4 + addressLength),
  };
}

/** Reads an OPT record whose fixed part starts at `fixed` (just after the owner name). */
function readOpt(buf: Uint8Array, fixed: number, rdStart: number, rdEnd: number): QueryEdns {
  optionError = null;
  const advertised = u16(buf, fixed + 2);
  // TTL field: extended rcode (ignored in a query), version, then the DO bit.
  const version = buf[fixed + 5]!;
  const dnssecOk = (buf[fixed + 6]! & 0x80) !== 0;
  let ecs: ClientSubnet | null = null;
  let seenEcs = false;
  let cookie: Uint8Array | null = null;
  let nsid = false;
  let p = rdStart;
  while (p < rdEnd) {
    if (p + 4 > rdEnd) {
      optionError = 'EDNS option header runs past the OPT data';
      break;
    }
    const code = u16(buf, p);
    const length = u16(buf, p + 2);
    p += 4;
    if (p + length > rdEnd) {
      optionError = `EDNS option ${code} runs past the OPT data`;
      break;
    }
    if (code === EdnsOption.ECS) {
      if (seenEcs) {
        optionError = 'more than one ECS option';
        ecs = null;
        break;
      }
      seenEcs = true;
      ecs = readClientSubnet(buf, p, length);
      if (optionError !== null) break;
    } else if (code === EdnsOption.COOKIE) {
      // Only the first one counts; its length is judged by the pipeline (cookies may be off).
      cookie ??= buf.subarray(p, p + length);
    } else if (code === EdnsOption.NSID) {
      nsid = true;
    }
    p += length;
  }
  return {
    version,
    udpSize: Math.max(advertised, MIN_UDP_SIZE),
    dnssecOk,
    ecs: optionError === null ? ecs : null,
    cookie,
    nsid,
  };
}

// What walkMessage found; module state so the hot path allocates no closures or temporaries.
let qnameWire: Uint8Array | null = null;
let qname = '';
let qtype = 0;
let qclass = 0;
let edns: QueryEdns | null = null;

/** Walks the whole message after the header; returns why it is malformed, or null. */
function walkMessage(buf: Uint8Array): string | null {
  const size = buf.length;
  const qdcount = u16(buf, 4);
  // A wrong QDCOUNT is reported, but the rest is still walked so the reply can carry OPT.
  let problem: string | null = qdcount === 1 ? null : `QDCOUNT is ${qdcount}, not 1`;

  let pos = HEADER_SIZE;
  for (let q = 0; q < qdcount; q++) {
    const start = pos;
    const single = qdcount === 1;
    const end = scanName(buf, pos, size, single);
    if (end < 0) return problem ?? `question name: ${nameErrorReason(end)}`;
    if (end + 4 > size) return problem ?? 'question runs past the end of the message';
    if (single) {
      // The first name of a message cannot be compressed (pointers only go backwards, never
      // into the header), so these bytes are the name exactly as the client spelled it.
      qnameWire = buf.subarray(start, end);
      qname = takeText();
      qtype = u16(buf, end);
      qclass = u16(buf, end + 2);
    }
    pos = end + 4;
  }

  let optSeen = false;
  for (let section = 0; section < 3; section++) {
    const count = u16(buf, 6 + section * 2);
    for (let i = 0; i < count; i++) {
      const nameEnd = scanName(buf, pos, size, false);
      if (nameEnd < 0) return problem ?? `${SECTION_NAMES[section]} record name: ${nameErrorReason(nameEnd)}`;
      if (nameEnd + 10 > size) return problem ?? `${SECTION_NAMES[section]} record runs past the end of the message`;
      const type = u16(buf, nameEnd);
      const rdStart = nameEnd + 10;
      const rdEnd = rdStart + u16(buf, nameEnd + 8);
      if (rdEnd > size) return problem ?? `${SECTION_NAMES[section]} record data runs past the end of the message`;
      if (type === RRType.OPT) {
        if (section !== 2) return problem ?? `OPT record in the ${SECTION_NAMES[section]} section`;
        if (optSeen) return problem ?? 'more than one OPT record';
        optSeen = true;
        if (lastNameWireLength() !== 1) return problem ?? 'OPT record owner is not the root';
        edns = readOpt(buf, nameEnd, rdStart, rdEnd);
        if (optionError !== null) problem ??= optionError;
      }
      pos = rdEnd;
    }
  }
  if (pos !== size) return problem ?? `${size - pos} trailing bytes after the last record`;
  return problem;
}

/** Decodes and validates one query message. Never throws. */
export function decodeQuery(buf: Uint8Array): DecodeOutcome {
  const size = buf.length;
  if (size < HEADER_SIZE) return { kind: 'drop', reason: `message of ${size} bytes, shorter than a header` };
  const flags = buf[2]!;
  if ((flags & 0x80) !== 0) return { kind: 'drop', reason: 'QR=1: a response, not a query' };
  const id = u16(buf, 0);
  const opcode = (flags >> 3) & 0x0f;
  const rd = (flags & 0x01) !== 0;
  const cd = (buf[3]! & 0x10) !== 0;

  qnameWire = null;
  edns = null;
  const problem = walkMessage(buf);
  const wire = qnameWire;
  const foundEdns = edns;
  qnameWire = null; // do not keep the caller's buffer alive
  edns = null;
  if (problem !== null || wire === null) {
    const question = wire === null ? null : { qnameWire: wire, qname, qtype, qclass };
    return { kind: 'formerr', reason: problem ?? 'no question', id, opcode, rd, cd, question, edns: foundEdns };
  }
  const query: Query = { id, opcode, rd, cd, qname, qnameWire: wire, qtype, qclass, edns: foundEdns, size };
  return { kind: 'query', query };
}
