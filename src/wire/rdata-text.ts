// Presentation text of the fixed-layout types held as raw RDATA (DNSSEC and DANE data, NAPTR,
// URI, RP, AFSDB, KX, EUI48/64, LOC, SVCB/HTTPS). Each returns null for bytes that are not a
// valid record of the type; the caller then falls back to RFC 3597 generic form, and the zone
// parser rejects such generic data for these types.
import { locText } from './loc-text.js';
import { CERT_TYPE_NAMES, DNSSEC_ALGORITHM_NAMES } from './mnemonics.js';
import { svcbText } from './svcb-text.js';
import { base64, characterStringAt, hexUpper, quotedString, wireNameAt } from './wire-fields.js';

/** Wire numbers of the types formatted here (kept local: RRType lists only what the server needs by name). */
export const TypedRaw = {
  RP: 17,
  AFSDB: 18,
  LOC: 29,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  DS: 43,
  SSHFP: 44,
  DNSKEY: 48,
  TLSA: 52,
  SMIMEA: 53,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  EUI48: 108,
  EUI64: 109,
  URI: 256,
} as const;

const u16 = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;

/** A sequence of <character-string>s (TXT, SPF, HINFO); null if the lengths do not add up. */
export function characterStrings(bytes: Uint8Array, expectCount?: number): string[] | null {
  const parts: string[] = [];
  let p = 0;
  while (p < bytes.length) {
    const s = characterStringAt(bytes, p);
    if (s === null) return null;
    parts.push(s.text);
    p = s.next;
  }
  if (expectCount !== undefined && parts.length !== expectCount) return null;
  return parts;
}

/** Presentation text for `type` when it is one of TypedRaw; undefined for other types. */
export function typedRawText(type: number, b: Uint8Array): string | null | undefined {
  switch (type) {
    case TypedRaw.DS:
    case TypedRaw.CDS:
      return b.length > 4 ? `${u16(b, 0)} ${b[2]} ${b[3]} ${hexUpper(b.subarray(4))}` : null;
    case TypedRaw.DNSKEY:
    case TypedRaw.CDNSKEY:
      return b.length > 4 ? `${u16(b, 0)} ${b[2]} ${b[3]} ${base64(b.subarray(4))}` : null;
    case TypedRaw.TLSA:
    case TypedRaw.SMIMEA:
      return b.length > 3 ? `${b[0]} ${b[1]} ${b[2]} ${hexUpper(b.subarray(3))}` : null;
    case TypedRaw.SSHFP:
      return b.length > 2 ? `${b[0]} ${b[1]} ${hexUpper(b.subarray(2))}` : null;
    case TypedRaw.OPENPGPKEY:
      return b.length > 0 ? base64(b) : null;
    case TypedRaw.CERT: {
      if (b.length <= 5) return null;
      const certType = u16(b, 0);
      // Type and algorithm as mnemonics where they have one, as BIND prints them.
      const alg = DNSSEC_ALGORITHM_NAMES.get(b[4]!) ?? b[4];
      return `${CERT_TYPE_NAMES.get(certType) ?? certType} ${u16(b, 2)} ${alg} ${base64(b.subarray(5))}`;
    }
    case TypedRaw.NAPTR:
      return naptrText(b);
    case TypedRaw.URI:
      return b.length > 4 ? `${u16(b, 0)} ${u16(b, 2)} ${quotedString(b, 4, b.length)}` : null;
    case TypedRaw.RP: {
      const mbox = wireNameAt(b, 0);
      const txt = mbox === null ? null : wireNameAt(b, mbox.next);
      return mbox !== null && txt !== null && txt.next === b.length ? `${mbox.text} ${txt.text}` : null;
    }
    case TypedRaw.AFSDB:
    case TypedRaw.KX: {
      const host = b.length > 2 ? wireNameAt(b, 2) : null;
      return host !== null && host.next === b.length ? `${u16(b, 0)} ${host.text}` : null;
    }
    case TypedRaw.EUI48:
    case TypedRaw.EUI64:
      return b.length === (type === TypedRaw.EUI48 ? 6 : 8) ? [...b].map((x) => x.toString(16).padStart(2, '0')).join('-') : null;
    case TypedRaw.LOC:
      return locText(b);
    case TypedRaw.SVCB:
    case TypedRaw.HTTPS:
      return svcbText(b);
    case TypedRaw.SPF:
      return b.length > 0 ? (characterStrings(b)?.join(' ') ?? null) : null;
    default:
      return undefined;
  }
}

function naptrText(b: Uint8Array): string | null {
  if (b.length < 4) return null;
  let off = 4;
  const strings: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = characterStringAt(b, off);
    if (s === null) return null;
    strings.push(s.text);
    off = s.next;
  }
  const replacement = wireNameAt(b, off);
  if (replacement === null || replacement.next !== b.length) return null;
  return `${u16(b, 0)} ${u16(b, 2)} ${strings.join(' ')} ${replacement.text}`;
}
