// Field readers shared by the RDATA parsers: one token → one wire field (number, name, string,
// hex, base64), each throwing RDataError that points at the token, so the parser can say file:line.
import { nameToWire } from '../../wire/name.js';
import type { Token } from '../lexer.js';
import { parseNameText, readEscape } from '../name.js';

/** A problem with one record's data; `token` points at the culprit when there is one. */
export class RDataError extends Error {
  constructor(
    message: string,
    readonly token: Token | null,
    /** True when the type needs generic form (reported with its own error code). */
    readonly genericOnly = false,
  ) {
    super(message);
    this.name = 'RDataError';
  }
}

export const MAX_RDATA = 0xffff;
export const MAX_STRING = 255;
const utf8 = new TextEncoder();

export function exactly(tokens: readonly Token[], n: number, what: string): readonly Token[] {
  if (tokens.length !== n) {
    const extra = tokens[n];
    throw new RDataError(`expected ${what} (${n} field${n === 1 ? '' : 's'}), got ${tokens.length}`, extra ?? tokens[0] ?? null);
  }
  return tokens;
}

/** At least `n` tokens (the last field may span several, like base64 or hex). */
export function atLeast(tokens: readonly Token[], n: number, what: string): readonly Token[] {
  if (tokens.length < n) throw new RDataError(`expected ${what} (at least ${n} fields), got ${tokens.length}`, tokens[0] ?? null);
  return tokens;
}

export function nameField(t: Token, origin: string): string {
  if (t.quoted) throw new RDataError(`expected a domain name, got a quoted string`, t);
  const r = parseNameText(t.text, origin);
  if (!r.ok) throw new RDataError(r.error, t);
  return r.name;
}

/** A domain name as uncompressed wire bytes (for types whose names are never compressed). */
export function wireNameField(t: Token, origin: string): Uint8Array {
  return nameToWire(nameField(t, origin));
}

export function uint(t: Token, max: number, what: string): number {
  if (t.quoted || !/^\d+$/.test(t.text) || Number(t.text) > max) {
    throw new RDataError(`${what} "${t.text}" must be a number from 0 to ${max}`, t);
  }
  return Number(t.text);
}

/** Bytes of a <character-string> token (quoted or not), escapes decoded; any length. */
export function stringBytes(t: Token): Uint8Array {
  const raw = utf8.encode(t.text);
  if (!raw.includes(0x5c)) return raw;
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b !== 0x5c) {
      out.push(b);
      continue;
    }
    const esc = readEscape(raw, i);
    if (typeof esc === 'string') throw new RDataError(`${esc} in "${t.text}"`, t);
    out.push(esc.byte);
    i = esc.next - 1;
  }
  return Uint8Array.from(out);
}

/** A single <character-string> with its length byte; more than 255 bytes is an error. */
export function characterString(t: Token): Uint8Array {
  const s = stringBytes(t);
  if (s.length > MAX_STRING) throw new RDataError(`string of ${s.length} bytes is longer than 255`, t);
  const out = new Uint8Array(s.length + 1);
  out[0] = s.length;
  out.set(s, 1);
  return out;
}

/** TXT-style data: every token a <character-string>, longer ones split into 255-byte pieces. */
export function stringList(tokens: readonly Token[]): Uint8Array {
  if (tokens.length === 0) throw new RDataError('expected at least one string', null);
  const parts: Uint8Array[] = [];
  for (const t of tokens) {
    const s = stringBytes(t);
    if (s.length === 0) parts.push(Uint8Array.of(0));
    for (let off = 0; off < s.length; off += MAX_STRING) {
      const chunk = s.subarray(off, off + MAX_STRING);
      parts.push(Uint8Array.of(chunk.length), chunk);
    }
  }
  return concat(parts, tokens[0]!);
}

export function concat(parts: readonly Uint8Array[], at: Token | null): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  if (n > MAX_RDATA) throw new RDataError(`record data of ${n} bytes is longer than 65535`, at);
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function u16(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

export function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** Hex digits spread over any number of tokens (a long digest is often split over lines). */
export function hexField(tokens: readonly Token[], what: string, allowEmpty = false): Uint8Array {
  let hex = '';
  for (const t of tokens) {
    if (t.quoted || !/^[0-9A-Fa-f]+$/.test(t.text)) throw new RDataError(`${what} "${t.text}" is not hexadecimal`, t);
    hex += t.text;
  }
  const at = tokens[0] ?? null;
  if (hex.length % 2 !== 0) throw new RDataError(`${what} has an odd number of hex digits`, at);
  if (hex.length === 0 && !allowEmpty) throw new RDataError(`${what} is missing`, at);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Base64 spread over any number of tokens (RFC 4648, padding required). */
export function base64Field(tokens: readonly Token[], what: string, allowEmpty = false): Uint8Array {
  let text = '';
  for (const t of tokens) {
    if (t.quoted || !/^[A-Za-z0-9+/=]+$/.test(t.text)) throw new RDataError(`${what} "${t.text}" is not base64`, t);
    text += t.text;
  }
  return base64Text(text, tokens[0] ?? null, what, allowEmpty);
}

export function base64Text(text: string, at: Token | null, what: string, allowEmpty = false): Uint8Array {
  if (text.length === 0) {
    if (allowEmpty) return new Uint8Array(0);
    throw new RDataError(`${what} is missing`, at);
  }
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new RDataError(`${what} is not valid base64 (length ${text.length}, padding)`, at);
  }
  const bytes = Uint8Array.from(Buffer.from(text, 'base64'));
  // Non-canonical trailing bits would not survive a round trip; treat them as a typo.
  if (Buffer.from(bytes).toString('base64') !== text) throw new RDataError(`${what} is not canonical base64`, at);
  return bytes;
}
