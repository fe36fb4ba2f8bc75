// SVCB and HTTPS presentation form (RFC 9460 §2.1, Appendix A): priority, target, then SvcParams
// "key" or "key=value" (the value may be quoted). Parameters go to the wire sorted by key; a key
// given twice, an empty or malformed alpn, a "mandatory" naming absent keys or itself are errors.
import { isIPv4, isIPv6 } from 'node:net';
import { ipv4Bytes, ipv6Bytes } from '../../wire/rdata.js';
import { SvcKey, svcKeyFromName, svcKeyName } from '../../wire/svcb-keys.js';
import type { Token } from '../lexer.js';
import { atLeast, base64Text, concat, RDataError, stringBytes, u16, uint, wireNameField } from './fields.js';

interface Param {
  readonly key: number;
  readonly value: Uint8Array;
  readonly at: Token;
}

const latin1 = new TextDecoder('latin1');

export function parseSVCB(tokens: readonly Token[], origin: string): Uint8Array {
  const f = atLeast(tokens, 2, 'priority and target name');
  const priority = uint(f[0]!, 0xffff, 'priority');
  const target = wireNameField(f[1]!, origin);
  const params = new Map<number, Param>();
  for (let i = 2; i < f.length; i++) {
    const t = f[i]!;
    if (t.quoted) throw new RDataError(`"${t.text}": a quoted value must follow "key=" with no space`, t);
    const eq = t.text.indexOf('=');
    const keyText = eq < 0 ? t.text : t.text.slice(0, eq);
    const key = svcKeyFromName(keyText);
    if (key === undefined) throw new RDataError(`unknown SvcParamKey "${keyText}" (use a name or keyNNNNN, 0-65534)`, t);
    let valueTok: Token | null = null;
    if (eq >= 0) {
      const rest = t.text.slice(eq + 1);
      const following = f[i + 1];
      // key="value": the lexer ends the word at the quote, so the value is the next token.
      if (rest === '' && following?.quoted === true) {
        valueTok = following;
        i++;
      } else {
        valueTok = { text: rest, quoted: false, line: t.line };
      }
    }
    if (params.has(key)) throw new RDataError(`SvcParamKey ${svcKeyName(key)} appears twice`, t);
    params.set(key, { key, value: paramValue(key, valueTok, t), at: t });
  }
  checkMandatory(params);
  const sorted = [...params.values()].sort((a, b) => a.key - b.key);
  const parts: Uint8Array[] = [u16(priority), target];
  for (const p of sorted) parts.push(u16(p.key), u16(p.value.length), p.value);
  return concat(parts, f[0]!);
}

/** Wire value of one SvcParam; `value` is null for a bare "key". */
function paramValue(key: number, value: Token | null, at: Token): Uint8Array {
  const name = svcKeyName(key);
  const bytes = value === null ? null : stringBytes(value);
  const required = (): Uint8Array => {
    if (bytes === null || bytes.length === 0) throw new RDataError(`${name} needs a value`, at);
    return bytes;
  };
  const list = (): string[] => {
    // mandatory, ipv4hint and ipv6hint values are plain comma lists (no escapes, RFC 9460 §7, §8).
    const items = latin1.decode(required()).split(',');
    if (items.some((s) => s === '')) throw new RDataError(`${name} has an empty item in "${value!.text}"`, at);
    return items;
  };
  switch (key) {
    case SvcKey.mandatory: {
      const keys = list().map((k) => {
        const n = svcKeyFromName(k);
        if (n === undefined) throw new RDataError(`mandatory lists unknown key "${k}"`, at);
        if (n === SvcKey.mandatory) throw new RDataError('mandatory must not list itself', at);
        return n;
      });
      if (new Set(keys).size !== keys.length) throw new RDataError('mandatory lists a key twice', at);
      keys.sort((a, b) => a - b);
      return concat(keys.map(u16), at);
    }
    case SvcKey.alpn: {
      const ids = alpnIds(required(), at);
      const parts: Uint8Array[] = [];
      for (const id of ids) parts.push(Uint8Array.of(id.length), id);
      return concat(parts, at);
    }
    case SvcKey['no-default-alpn']:
      if (bytes !== null && bytes.length > 0) throw new RDataError('no-default-alpn takes no value', at);
      return new Uint8Array(0);
    case SvcKey.port: {
      const text = latin1.decode(required());
      return u16(uint({ text, quoted: false, line: at.line }, 0xffff, 'port'));
    }
    case SvcKey.ipv4hint:
      return concat(
        list().map((ip) => {
          if (!isIPv4(ip)) throw new RDataError(`ipv4hint "${ip}" is not an IPv4 address`, at);
          return ipv4Bytes(ip);
        }),
        at,
      );
    case SvcKey.ipv6hint:
      return concat(
        list().map((ip) => {
          if (!isIPv6(ip) || ip.includes('%')) throw new RDataError(`ipv6hint "${ip}" is not an IPv6 address`, at);
          return ipv6Bytes(ip);
        }),
        at,
      );
    case SvcKey.ech:
      return base64Text(latin1.decode(required()), at, 'ech');
    case SvcKey.dohpath:
      return required();
    default:
      return bytes ?? new Uint8Array(0);
  }
}

/**
 * alpn value-list (RFC 9460 Appendix A.1): after character-string decoding, items are split at
 * commas; "\," is a comma inside an item and "\\" a backslash. Items are 1-255 bytes.
 */
function alpnIds(bytes: Uint8Array, at: Token): Uint8Array[] {
  const ids: Uint8Array[] = [];
  let cur: number[] = [];
  const finish = (): void => {
    if (cur.length === 0) throw new RDataError('alpn has an empty protocol id', at);
    if (cur.length > 255) throw new RDataError('alpn protocol id longer than 255 bytes', at);
    ids.push(Uint8Array.from(cur));
    cur = [];
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x5c) {
      const n = bytes[++i];
      if (n === undefined) throw new RDataError('alpn ends with a lone backslash', at);
      cur.push(n);
    } else if (b === 0x2c) {
      finish();
    } else {
      cur.push(b);
    }
  }
  finish();
  return ids;
}

/** Self-consistency (RFC 9460 §2.4.3, §8): every key named by mandatory is present. */
function checkMandatory(params: ReadonlyMap<number, Param>): void {
  const mandatory = params.get(SvcKey.mandatory);
  if (mandatory !== undefined) {
    const v = mandatory.value;
    for (let off = 0; off < v.length; off += 2) {
      const key = (v[off]! << 8) | v[off + 1]!;
      if (!params.has(key)) throw new RDataError(`mandatory lists ${svcKeyName(key)}, which the record does not have`, mandatory.at);
    }
  }
  const noDefault = params.get(SvcKey['no-default-alpn']);
  if (noDefault !== undefined && !params.has(SvcKey.alpn)) {
    throw new RDataError('no-default-alpn needs alpn in the same record (RFC 9460 §7.1.1)', noDefault.at);
  }
}
