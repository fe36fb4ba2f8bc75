// RDATA presentation text → RData, for the types this server reads in presentation form, and
// RFC 3597 generic form ("\# len hex") for every type. Generic data of a type with a typed
// shape (NS, MX, SOA...) is decoded into that shape, so both spellings give the same record.
import { parseIpInto, parseIpv4Into } from '../net/ip.js';
import { parseAddress } from '../net/parse.js';
import { RRType, type RData } from '../wire/types.js';
import type { BytePool } from './byte-pool.js';
import type { Token } from './lexer.js';
import { readWireName } from './name.js';
import { characterString, concat, exactly, MAX_RDATA, nameField, RDataError, stringBytes, stringList, uint } from './rdata/fields.js';
import { parseLOC } from './rdata/loc.js';
import { parseSVCB } from './rdata/svcb.js';
import {
  parseCERT,
  parseDNSKEY,
  parseDS,
  parseEUI,
  parseNAPTR,
  parseNumberAndName,
  parseOPENPGPKEY,
  parseRP,
  parseSSHFP,
  parseTLSA,
  parseURI,
} from './rdata/typed.js';
import { PRESENTATION_TYPES, typeName } from './rrtype-names.js';
import { parseDuration } from './ttl.js';
import { TypedRaw, typedRawText } from '../wire/rdata-text.js';

export { RDataError, stringBytes };

const utf8 = new TextEncoder();

/** Fixed header length of the types whose RDATA ends in opaque bytes (digest, key, certificate). */
const OPAQUE_TAIL_HEADER: ReadonlyMap<number, number> = new Map([
  [TypedRaw.DS, 4],
  [TypedRaw.CDS, 4],
  [TypedRaw.DNSKEY, 4],
  [TypedRaw.CDNSKEY, 4],
  [TypedRaw.TLSA, 3],
  [TypedRaw.SMIMEA, 3],
  [TypedRaw.SSHFP, 2],
  [TypedRaw.CERT, 5],
  [TypedRaw.OPENPGPKEY, 0],
]);

/** The A-record shortcut of big zone loads: src/net's IPv4 reader (one set of address rules). */
export const ipv4Into = parseIpv4Into;

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
      const bytes = pool === null ? new Uint8Array(16) : pool.alloc(16);
      if (t.quoted || parseIpInto(t.text, bytes) !== 6) throw notAddress(t, 'IPv6');
      return { kind: 'raw', bytes };
    }
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.DNAME: {
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
    case RRType.TXT:
    case TypedRaw.SPF:
      return { kind: 'raw', bytes: stringList(tokens) };
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
    case TypedRaw.DS:
    case TypedRaw.CDS:
      return { kind: 'raw', bytes: parseDS(tokens) };
    case TypedRaw.DNSKEY:
    case TypedRaw.CDNSKEY:
      return { kind: 'raw', bytes: parseDNSKEY(tokens) };
    case TypedRaw.TLSA:
    case TypedRaw.SMIMEA:
      return { kind: 'raw', bytes: parseTLSA(tokens) };
    case TypedRaw.SSHFP:
      return { kind: 'raw', bytes: parseSSHFP(tokens) };
    case TypedRaw.OPENPGPKEY:
      return { kind: 'raw', bytes: parseOPENPGPKEY(tokens) };
    case TypedRaw.CERT:
      return { kind: 'raw', bytes: parseCERT(tokens) };
    case TypedRaw.NAPTR:
      return { kind: 'raw', bytes: parseNAPTR(tokens, origin) };
    case TypedRaw.URI:
      return { kind: 'raw', bytes: parseURI(tokens) };
    case TypedRaw.RP:
      return { kind: 'raw', bytes: parseRP(tokens, origin) };
    case TypedRaw.AFSDB:
      return { kind: 'raw', bytes: parseNumberAndName(tokens, origin, 'subtype') };
    case TypedRaw.KX:
      return { kind: 'raw', bytes: parseNumberAndName(tokens, origin, 'preference') };
    case TypedRaw.EUI48:
      return { kind: 'raw', bytes: parseEUI(tokens, 6) };
    case TypedRaw.EUI64:
      return { kind: 'raw', bytes: parseEUI(tokens, 8) };
    case TypedRaw.LOC:
      return { kind: 'raw', bytes: parseLOC(tokens) };
    case TypedRaw.SVCB:
    case TypedRaw.HTTPS:
      return { kind: 'raw', bytes: parseSVCB(tokens, origin) };
    default:
      throw new RDataError(`no parser for ${typeName(type)}`, first ?? null);
  }
}

export function notIPv4(t: Token): RDataError {
  return notAddress(t, 'IPv4');
}

/** The reason from src/net when it is a rule (leading zero, zone id), else "not an IPvN address". */
function notAddress(t: Token, family: 'IPv4' | 'IPv6'): RDataError {
  const a = t.quoted ? null : parseAddress(t.text);
  const rule = a !== null && 'problem' in a && /leading zero|zone id/.test(a.problem);
  return new RDataError(rule ? a.problem : `"${t.text}" is not an ${family} address`, t);
}

/** SOA timers accept TTL-style units ("1h"), as BIND does. */
function timer(t: Token, what: string): number {
  const v = t.quoted ? null : parseDuration(t.text);
  if (v === null || v > 0xffffffff) throw new RDataError(`${what} "${t.text}" must be a 32-bit duration`, t);
  return v;
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
    case RRType.PTR:
    case RRType.DNAME: {
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
    case TypedRaw.SPF:
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
    default: {
      // Types ending in opaque key or digest bytes need only their fixed header (an empty digest
      // is odd but harmless); the others are valid exactly when they have a presentation form.
      const header = OPAQUE_TAIL_HEADER.get(type);
      if (header !== undefined ? b.length < header : typedRawText(type, b) === null) bad('does not decode as this type');
      return { kind: 'raw', bytes: b };
    }
  }
}
