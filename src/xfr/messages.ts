// Encoding the messages of a transfer: records cut into chunks that each make one DNS message
// (names compressed per message by the reply encoder), and the small replies (errors, the SOA
// alone) that carry a question and nothing else.
import { encodeReply } from '../wire/encode.js';
import type { Reply, RR, RRset } from '../wire/types.js';
import type { SignedRequest } from './request.js';
import { recordSize } from './zone-records.js';

/**
 * Bytes of records per message, counted uncompressed: well below the 65535 a TCP message may
 * hold, so one chunk is quick to encode and the event loop goes back to queries between chunks.
 */
export const CHUNK_BYTES = 16 * 1024;
const EMPTY: readonly RRset[] = [];
const EDNS = { udpSize: 1232, dnssecOk: false, ecs: null } as const;

/** Cuts `records` into consecutive chunks of at most `limit` bytes (at least one record each). */
export function* chunks(records: Iterable<RR>, limit = CHUNK_BYTES): Generator<RR[]> {
  let chunk: RR[] = [];
  let size = 0;
  for (const rr of records) {
    const s = recordSize(rr);
    if (chunk.length > 0 && size + s > limit) {
      yield chunk;
      chunk = [];
      size = 0;
    }
    chunk.push(rr);
    size += s;
  }
  if (chunk.length > 0) yield chunk;
}

/** A reply to `request`: `records` in the answer section, the question only when `withQuestion`. */
export function replyMessage(
  request: SignedRequest,
  rcode: number,
  records: readonly RR[],
  withQuestion: boolean,
  maxSize = 65535,
): Buffer {
  const reply: Reply = {
    id: request.id,
    opcode: request.opcode,
    rcode,
    aa: rcode === 0,
    rd: request.rd,
    cd: request.cd,
    question: withQuestion ? { qnameWire: request.qnameWire, qname: request.qname, qtype: request.qtype, qclass: request.qclass } : null,
    answer: records.length === 0 ? EMPTY : [records],
    authority: EMPTY,
    additional: EMPTY,
    edns: request.edns ? EDNS : null,
  };
  return encodeReply(reply, maxSize);
}

/** Upper bound of the encoded size of `records` in one message. */
export function recordsSize(records: readonly RR[]): number {
  let n = 0;
  for (const rr of records) n += recordSize(rr);
  return n;
}
