// Queries with arbitrary EDNS options (COOKIE, NSID...), written byte by byte, and a reader for
// the options and the full 12-bit rcode of a reply: what dns-packet does not give in one place.
import dnsPacket from 'dns-packet';

export interface EdnsOptionBytes {
  readonly code: number;
  readonly data: Uint8Array;
}

function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

/** A query for `name`/`type` (numbers) in `qclass`, with an OPT record carrying `options`. */
export function ednsQuery(name: string, type: number, options: readonly EdnsOptionBytes[], qclass = 1, id = 0x1234): Buffer {
  const bytes: number[] = [...u16(id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
  for (const label of name.split('.').filter((l) => l !== '')) bytes.push(label.length, ...Buffer.from(label, 'ascii'));
  bytes.push(0, ...u16(type), ...u16(qclass));
  const rdata: number[] = [];
  for (const o of options) rdata.push(...u16(o.code), ...u16(o.data.length), ...o.data);
  bytes.push(0, ...u16(41), ...u16(1232), 0, 0, 0, 0, ...u16(rdata.length), ...rdata);
  return Buffer.from(bytes);
}

export interface EdnsReply {
  /** The 12-bit rcode: header bits and the OPT's extended rcode. */
  readonly rcode: number;
  readonly aa: boolean;
  readonly answers: readonly { name: string; type: string; class: string; data: unknown }[];
  /** Options of the reply's OPT record, in order; null: no OPT. */
  readonly options: readonly EdnsOptionBytes[] | null;
}

export function readEdnsReply(message: Uint8Array): EdnsReply {
  const packet = dnsPacket.decode(Buffer.from(message)) as unknown as {
    answers: { name: string; type: string; class: string; data: unknown }[];
    additionals: { type: string; extendedRcode?: number; options?: { code: number; data: Buffer }[] }[];
  };
  const opt = packet.additionals.find((r) => r.type === 'OPT');
  const low = message[3]! & 0x0f;
  return {
    rcode: ((opt?.extendedRcode ?? 0) << 4) | low,
    aa: (message[2]! & 0x04) !== 0,
    answers: packet.answers,
    options: opt === undefined ? null : (opt.options ?? []).map((o) => ({ code: o.code, data: Uint8Array.from(o.data) })),
  };
}
