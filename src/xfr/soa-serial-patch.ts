// The SOA a query gets must carry the serial secondaries transfer, or their refresh (an SOA
// query, RFC 1034 §4.3.5, also what a NOTIFY triggers) would see an older serial than the one
// they hold and never fetch the next snapshot. Replies are assembled from the zone file's SOA,
// so the serial is rewritten in the finished reply: a copy, the original may be a cached reply.
import { readName } from '../wire/name.js';
import { RRType } from '../wire/types.js';

/**
 * `reply` with the serial of every SOA in the answer and authority sections replaced by
 * `serialOf(owner)`; null when no SOA needed it (or the reply cannot be walked).
 */
export function patchSoaSerials(reply: Uint8Array, serialOf: (owner: string) => number | null): Buffer | null {
  if (reply.length < 12) return null;
  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dv = view(reply);
  const qd = dv.getUint16(4);
  const records = dv.getUint16(6) + dv.getUint16(8);
  let out: Buffer | null = null;
  try {
    let pos = 12;
    for (let i = 0; i < qd; i++) pos = readName(reply, pos).end + 4;
    for (let i = 0; i < records; i++) {
      const owner = readName(reply, pos);
      pos = owner.end;
      if (pos + 10 > reply.length) return null;
      const type = dv.getUint16(pos);
      const rdlength = dv.getUint16(pos + 8);
      const rdata = pos + 10;
      pos = rdata + rdlength;
      if (pos > reply.length) return null;
      if (type !== RRType.SOA) continue;
      const serial = serialOf(owner.name);
      if (serial === null) continue;
      const at = readName(reply, readName(reply, rdata).end).end;
      if (at + 4 > pos) return null;
      out ??= Buffer.from(reply);
      view(out).setUint32(at, serial);
    }
  } catch {
    return null;
  }
  return out;
}
