// DNSKEY RDATA (RFC 4034 §2), its key tag (Appendix B) and the DS digest a parent publishes
// (SHA-256, RFC 4509). CDS and CDNSKEY (RFC 7344) carry the same RDATA as DS and DNSKEY.
import { createHash } from 'node:crypto';
import { nameToWire } from '../wire/name.js';

export const DNSKEY_ZONE = 0x0100;
export const DNSKEY_SEP = 0x0001;
export const DNSKEY_REVOKE = 0x0080;
export const DIGEST_SHA256 = 2;

export function dnskeyRdata(flags: number, algorithm: number, publicKey: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + publicKey.length);
  out.writeUInt16BE(flags, 0);
  out[2] = 3; // protocol
  out[3] = algorithm;
  out.set(publicKey, 4);
  return out;
}

/** RFC 4034 Appendix B: the 16-bit checksum every RRSIG and DS names its key by. */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i]! : rdata[i]! << 8;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/** DS RDATA: key tag | algorithm | digest type 2 | SHA-256(owner | DNSKEY RDATA). */
export function dsRdata(owner: string, dnskey: Uint8Array): Buffer {
  const digest = createHash('sha256').update(nameToWire(owner)).update(dnskey).digest();
  const out = Buffer.alloc(4 + digest.length);
  out.writeUInt16BE(keyTag(dnskey), 0);
  out[2] = dnskey[3]!;
  out[3] = DIGEST_SHA256;
  digest.copy(out, 4);
  return out;
}
