// RDATA presentation text → RData, for the types this server reads in presentation form, and
// RFC 3597 generic form ("\# len hex") for every type. Generic data of a type with a typed
// shape (NS, MX, SOA...) is decoded into that shape, so both spellings give the same record.
import { isIPv6 } from 'node:net';
import { ipv6Bytes } from '../wire/rdata.js';
import { RRType, type RData } from '../wire/types.js';
import type { BytePool } from './byte-pool.js';
import type { Token } from './lexer.js';
import { parseNameText, readEscape, readWireName } from './name.js';
import { PRESENTATION_TYPES, typeName } from './rrtype-names.js';
import { parseDuration } from './ttl.js';

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

const MAX_RDATA = 0xffff;
const MAX_STRING = 255;
const utf8 = new TextEncoder();

/**
 * Writes the dotted-quad IPv4 address text[start, end) into out[0..3]; false when it is not one.
 * Same rule as node:net isIPv4: four decimal octets of 0-255 without leading zeros.
 */
export function ipv4Into(text: string, start: number, end: number, out: Uint8Array): boolean {
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || octet > 3 || (i === end) !== (octet === 3)) return false;
      out[octet++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return false; // leading zero
      if (++digits > 3) return false;
      value = value * 10 + (c - 0x30);
    } else {
      return false;
    }
  }
  return octet === 4;
}

/**
 * Parses `tokens` (everything after the type) as RDATA of `type`; throws RDataError. Address
 * bytes come from `pool` when one is given.
 */
export function parseRData(type: number, tokens: readonly Token[], origin: string, pool: BytePool | null = null): RData {
  const first = tokens[0];
  if (first !== undefined && !first.quoted && first.text === '\\#') {
    const bytes = parseGeneric(tokens);
    return PRESENTATION_TYPES.has(type) ? fromWire(type, bytes, first) : { kind: 'raw', bytes };
  }
  if (!PRESENTATION_TYPES.has(type)) {
    throw new RDataError(`type ${typeName(type)} is read only in RFC 3597 generic form (\\# length hex)`, first ?? null, true);
  }
  switch (type) {
    case RRType.A: {
      const t = exactly(tokens, 1, 'an IPv4 address')[0]!;
      const bytes = pool === null ? new Uint8Array(4) : pool.alloc(4);
      if (t.quoted || !ipv4Into(t.text, 0, t.text.length, bytes)) throw notIPv4(t);
      return { kind: 'raw', bytes };
    }
    case RRType.AAAA: {
      const t = exactly(tokens, 1, 'an IPv6 address')[0]!;
      if (t.quoted || t.text.includes('%') || !isIPv6(t.text)) throw new RDataError(`"${t.text}" is not an IPv6 address`, t);
      const bytes = ipv6Bytes(t.text);
      return { kind: 'raw', bytes: pool === null ? bytes : pool.copy(bytes) };
    }
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR: {
      const [t] = exactly(tokens, 1, 'a domain name');
      return { kind: 'name', name: nameField(t!, origin) };
    }
    case RRType.MX: {
      const [pref, exchange] = exactly(tokens, 2, 'preference and exchange');
      return { kind: 'mx', preference: uint(pref!, 0xffff, 'preference'), exchange: nameField(exchange!, origin) };
    }
    case RRType.SRV: {
      const [prio, weight, port, target] = exactly(tokens, 4, 'priority, weight, port and target');
      return {
        kind: 'srv',
        priority: uint(prio!, 0xffff, 'priority'),
        weight: uint(weight!, 0xffff, 'weight'),
        port: uint(port!, 0xffff, 'port'),
        target: nameField(target!, origin),
      };
    }
    case RRType.SOA: {
      const f = exactly(tokens, 7, 'mname, rname, serial, refresh, retry, expire and minimum');
      return {
        kind: 'soa',
        mname: nameField(f[0]!, origin),
        rname: nameField(f[1]!, origin),
        serial: uint(f[2]!, 0xffffffff, 'serial'),
        refresh: timer(f[3]!, 'refresh'),
        retry: timer(f[4]!, 'retry'),
        expire: timer(f[5]!, 'expire'),
        minimum: timer(f[6]!, 'minimum'),
      };
    }
    case RRType.TXT: {
      if (tokens.length === 0) throw new RDataError('expected at least one string', null);
      const parts: Uint8Array[] = [];
      for (const t of tokens) {
        const s = stringBytes(t);
        // A string longer than 255 bytes is carried as consecutive 255-byte strings.
        if (s.length === 0) parts.push(Uint8Array.of(0));
        for (let off = 0; off < s.length; off += MAX_STRING) {
          const chunk = s.subarray(off, off + MAX_STRING);
          parts.push(Uint8Array.of(chunk.length), chunk);
        }
      }
      return { kind: 'raw', bytes: concat(parts, tokens[0]!) };
    }
    case RRType.HINFO: {
      const [cpu, os] = exactly(tokens, 2, 'CPU and OS strings');
      return { kind: 'raw', bytes: concat([characterString(cpu!), characterString(os!)], cpu!) };
    }
    case RRType.CAA: {
      const [flagsTok, tagTok, valueTok] = exactly(tokens, 3, 'flags, tag and value');
      const flags = uint(flagsTok!, 0xff, 'flags');
      if (tagTok!.quoted || !/^[A-Za-z0-9]{1,255}$/.test(tagTok!.text)) {
        throw new RDataError(`tag "${tagTok!.text}" must be 1-255 letters and digits`, tagTok!);
      }
      const tag = utf8.encode(tagTok!.text);
      return { kind: 'raw', bytes: concat([Uint8Array.of(flags, tag.length), tag, stringBytes(valueTok!)], flagsTok!) };
    }
    default:
      throw new RDataError(`no parser for ${typeName(type)}`, first ?? null);
  }
}

export function notIPv4(t: Token): RDataError {
  return new RDataError(`"${t.text}" is not an IPv4 address`, t);
}

function exactly(tokens: readonly Token[], n: number, what: string): readonly Token[] {
  if (tokens.length !== n) {
    const extra = tokens[n];
    throw new RDataError(`expected ${what} (${n} field${n === 1 ? '' : 's'}), got ${tokens.length}`, extra ?? tokens[0] ?? null);
  }
  return tokens;
}

function nameField(t: Token, origin: string): string {
  if (t.quoted) throw new RDataError(`expected a domain name, got a quoted string`, t);
  const r = parseNameText(t.text, origin);
  if (!r.ok) throw new RDataError(r.error, t);
  return r.name;
}

function uint(t: Token, max: number, what: string): number {
  if (t.quoted || !/^\d+$/.test(t.text) || Number(t.text) > max) {
    throw new RDataError(`${what} "${t.text}" must be a number from 0 to ${max}`, t);
  }
  return Number(t.text);
}

/** SOA timers accept TTL-style units ("1h"), as BIND does. */
function timer(t: Token, what: string): number {
  const v = t.quoted ? null : parseDuration(t.text);
  if (v === null || v > 0xffffffff) throw new RDataError(`${what} "${t.text}" must be a 32-bit duration`, t);
  return v;
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
function characterString(t: Token): Uint8Array {
  const s = stringBytes(t);
  if (s.length > MAX_STRING) throw new RDataError(`string of ${s.length} bytes is longer than 255`, t);
  const out = new Uint8Array(s.length + 1);
  out[0] = s.length;
  out.set(s, 1);
  return out;
}

function concat(parts: readonly Uint8Array[], at: Token): Uint8Array {
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

/** RFC 3597 §5: "\#", a decimal length, then hex in any number of tokens. */
function parseGeneric(tokens: readonly Token[]): Uint8Array {
  const lenTok = tokens[1];
  if (lenTok === undefined) throw new RDataError('generic data needs a length after \\#', tokens[0]!);
  const len = uint(lenTok, MAX_RDATA, 'generic data length');
  let hex = '';
  for (const t of tokens.slice(2)) {
    if (t.quoted || !/^[0-9A-Fa-f]+$/.test(t.text)) throw new RDataError(`"${t.text}" is not hexadecimal`, t);
    hex += t.text;
  }
  if (hex.length % 2 !== 0) throw new RDataError('odd number of hex digits', tokens[2] ?? lenTok);
  if (hex.length / 2 !== len) {
    throw new RDataError(`generic data length is ${len} but ${hex.length / 2} bytes follow`, lenTok);
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Generic bytes of a type with a typed shape → that shape, rejecting malformed data. */
function fromWire(type: number, b: Uint8Array, at: Token): RData {
  const bad = (why: string): never => {
    throw new RDataError(`generic data is not a valid ${typeName(type)}: ${why}`, at);
  };
  const name = (off: number): { name: string; next: number } => {
    const r = readWireName(b, off);
    return typeof r === 'string' ? bad(r) : r;
  };
  const u16 = (off: number): number => (b[off]! << 8) | b[off + 1]!;
  const u32 = (off: number): number => (u16(off) * 0x10000 + u16(off + 2)) >>> 0;
  switch (type) {
    case RRType.A:
      if (b.length !== 4) bad('needs 4 bytes');
      return { kind: 'raw', bytes: b };
    case RRType.AAAA:
      if (b.length !== 16) bad('needs 16 bytes');
      return { kind: 'raw', bytes: b };
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR: {
      const n = name(0);
      if (n.next !== b.length) bad('bytes after the name');
      return { kind: 'name', name: n.name };
    }
    case RRType.MX: {
      if (b.length < 3) bad('too short');
      const n = name(2);
      if (n.next !== b.length) bad('bytes after the name');
      return { kind: 'mx', preference: u16(0), exchange: n.name };
    }
    case RRType.SRV: {
      if (b.length < 7) bad('too short');
      const n = name(6);
      if (n.next !== b.length) bad('bytes after the name');
      return { kind: 'srv', priority: u16(0), weight: u16(2), port: u16(4), target: n.name };
    }
    case RRType.SOA: {
      const m = name(0);
      const r = name(m.next);
      if (b.length - r.next !== 20) bad('needs five 32-bit numbers after the names');
      const o = r.next;
      return {
        kind: 'soa',
        mname: m.name,
        rname: r.name,
        serial: u32(o),
        refresh: u32(o + 4),
        retry: u32(o + 8),
        expire: u32(o + 12),
        minimum: u32(o + 16),
      };
    }
    case RRType.TXT:
    case RRType.HINFO: {
      let count = 0;
      let off = 0;
      while (off < b.length) {
        off += 1 + b[off]!;
        count++;
      }
      if (off !== b.length) bad('a string runs past the end');
      if (count === 0) bad('no strings');
      if (type === RRType.HINFO && count !== 2) bad('needs exactly two strings');
      return { kind: 'raw', bytes: b };
    }
    case RRType.CAA: {
      const tagLen = b[1];
      if (tagLen === undefined || tagLen === 0 || 2 + tagLen > b.length) bad('bad tag length');
      const tag = Buffer.from(b.subarray(2, 2 + tagLen!)).toString('latin1');
      if (!/^[A-Za-z0-9]+$/.test(tag)) bad('tag must be letters and digits');
      return { kind: 'raw', bytes: b };
    }
    default:
      return { kind: 'raw', bytes: b };
  }
}
