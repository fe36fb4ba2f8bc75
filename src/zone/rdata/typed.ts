// Presentation → wire bytes for the fixed-layout types held as raw RDATA: DNSSEC and DANE data
// (DS, CDS, DNSKEY, CDNSKEY, TLSA, SMIMEA, SSHFP, OPENPGPKEY, CERT), NAPTR, URI, RP, AFSDB, KX,
// EUI48, EUI64. Names inside them go out uncompressed (RFC 3597 §4), so wire bytes are enough.
import type { Token } from '../lexer.js';
import { CERT_TYPES, DNSSEC_ALGORITHMS } from '../../wire/mnemonics.js';
import {
  atLeast,
  base64Field,
  characterString,
  concat,
  exactly,
  hexField,
  RDataError,
  stringBytes,
  u16,
  uint,
  wireNameField,
} from './fields.js';

/** A number or one of `mnemonics` (case-insensitive). */
function numberOrMnemonic(t: Token, max: number, what: string, mnemonics: ReadonlyMap<string, number>): number {
  const known = t.quoted ? undefined : mnemonics.get(t.text.toUpperCase());
  return known ?? uint(t, max, what);
}

/** DS and CDS (RFC 4034 §5.3): key tag, algorithm, digest type, digest in hex. */
export function parseDS(tokens: readonly Token[]): Uint8Array {
  const f = atLeast(tokens, 4, 'key tag, algorithm, digest type and digest');
  const keyTag = uint(f[0]!, 0xffff, 'key tag');
  const alg = numberOrMnemonic(f[1]!, 0xff, 'algorithm', DNSSEC_ALGORITHMS);
  const digestType = uint(f[2]!, 0xff, 'digest type');
  return concat([u16(keyTag), Uint8Array.of(alg, digestType), hexField(f.slice(3), 'digest')], f[0]!);
}

/** DNSKEY and CDNSKEY (RFC 4034 §2.2): flags, protocol, algorithm, public key in base64. */
export function parseDNSKEY(tokens: readonly Token[]): Uint8Array {
  const f = atLeast(tokens, 4, 'flags, protocol, algorithm and public key');
  const flags = uint(f[0]!, 0xffff, 'flags');
  const protocol = uint(f[1]!, 0xff, 'protocol');
  const alg = numberOrMnemonic(f[2]!, 0xff, 'algorithm', DNSSEC_ALGORITHMS);
  return concat([u16(flags), Uint8Array.of(protocol, alg), base64Field(f.slice(3), 'public key')], f[0]!);
}

/** TLSA (RFC 6698 §2.2) and SMIMEA (RFC 8162): usage, selector, matching type, data in hex. */
export function parseTLSA(tokens: readonly Token[]): Uint8Array {
  const f = atLeast(tokens, 4, 'usage, selector, matching type and certificate data');
  const head = Uint8Array.of(uint(f[0]!, 0xff, 'usage'), uint(f[1]!, 0xff, 'selector'), uint(f[2]!, 0xff, 'matching type'));
  return concat([head, hexField(f.slice(3), 'certificate data')], f[0]!);
}

/** SSHFP (RFC 4255 §3.2): algorithm, fingerprint type, fingerprint in hex. */
export function parseSSHFP(tokens: readonly Token[]): Uint8Array {
  const f = atLeast(tokens, 3, 'algorithm, fingerprint type and fingerprint');
  const head = Uint8Array.of(uint(f[0]!, 0xff, 'algorithm'), uint(f[1]!, 0xff, 'fingerprint type'));
  return concat([head, hexField(f.slice(2), 'fingerprint')], f[0]!);
}

/** OPENPGPKEY (RFC 7929): the key in base64, possibly over several tokens. */
export function parseOPENPGPKEY(tokens: readonly Token[]): Uint8Array {
  return concat([base64Field(atLeast(tokens, 1, 'a public key in base64'), 'public key')], tokens[0]!);
}

/** CERT (RFC 4398 §2.2): type (number or mnemonic), key tag, algorithm, certificate in base64. */
export function parseCERT(tokens: readonly Token[]): Uint8Array {
  const f = atLeast(tokens, 4, 'type, key tag, algorithm and certificate');
  const type = numberOrMnemonic(f[0]!, 0xffff, 'certificate type', CERT_TYPES);
  const keyTag = uint(f[1]!, 0xffff, 'key tag');
  const alg = numberOrMnemonic(f[2]!, 0xff, 'algorithm', DNSSEC_ALGORITHMS);
  return concat([u16(type), u16(keyTag), Uint8Array.of(alg), base64Field(f.slice(3), 'certificate')], f[0]!);
}

/** NAPTR (RFC 3403 §4.1): order, preference, flags, services, regexp, replacement. */
export function parseNAPTR(tokens: readonly Token[], origin: string): Uint8Array {
  const f = exactly(tokens, 6, 'order, preference, flags, services, regexp and replacement');
  const flags = characterString(f[2]!);
  // Flags are single letters and digits (RFC 3403 §4.1); anything else is a misplaced field.
  for (let i = 1; i < flags.length; i++) {
    const c = flags[i]!;
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!alnum) throw new RDataError(`flags "${f[2]!.text}" must be letters and digits`, f[2]!);
  }
  return concat(
    [
      u16(uint(f[0]!, 0xffff, 'order')),
      u16(uint(f[1]!, 0xffff, 'preference')),
      flags,
      characterString(f[3]!),
      characterString(f[4]!),
      wireNameField(f[5]!, origin),
    ],
    f[0]!,
  );
}

/** URI (RFC 7553 §4.5): priority, weight, and the target as one quoted string (no length byte). */
export function parseURI(tokens: readonly Token[]): Uint8Array {
  const f = exactly(tokens, 3, 'priority, weight and target');
  const target = stringBytes(f[2]!);
  if (target.length === 0) throw new RDataError('the target URI is empty', f[2]!);
  return concat([u16(uint(f[0]!, 0xffff, 'priority')), u16(uint(f[1]!, 0xffff, 'weight')), target], f[0]!);
}

/** RP (RFC 1183 §2.2): mailbox name and TXT owner name. */
export function parseRP(tokens: readonly Token[], origin: string): Uint8Array {
  const f = exactly(tokens, 2, 'mailbox and TXT name');
  return concat([wireNameField(f[0]!, origin), wireNameField(f[1]!, origin)], f[0]!);
}

/** AFSDB (RFC 1183 §1) and KX (RFC 2230): a 16-bit number then a host name. */
export function parseNumberAndName(tokens: readonly Token[], origin: string, what: string): Uint8Array {
  const f = exactly(tokens, 2, `${what} and host name`);
  return concat([u16(uint(f[0]!, 0xffff, what)), wireNameField(f[1]!, origin)], f[0]!);
}

/** EUI48 / EUI64 (RFC 7043 §3.2, §4.2): hex pairs joined by "-", 6 or 8 of them. */
export function parseEUI(tokens: readonly Token[], octets: 6 | 8): Uint8Array {
  const [t] = exactly(tokens, 1, `an EUI-${octets * 8} address`);
  const pattern = octets === 6 ? /^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}$/ : /^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}$/;
  if (t!.quoted || !pattern.test(t!.text)) {
    throw new RDataError(`"${t!.text}" is not an EUI-${octets * 8} address (${octets} hex pairs joined by "-")`, t!);
  }
  return Uint8Array.from(Buffer.from(t!.text.replaceAll('-', ''), 'hex'));
}
