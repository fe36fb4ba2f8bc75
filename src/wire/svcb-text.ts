// SVCB / HTTPS RDATA (RFC 9460) → presentation text; null when the wire data is malformed (keys
// out of order or repeated, a value of the wrong size, mandatory naming an absent key), so the
// zone parser can use it to vet generic (\#) data too.
import { formatIp } from './rdata.js';
import { INVALID_SVC_KEY, SvcKey, svcKeyName } from './svcb-keys.js';
import { quotedString, wireNameAt } from './wire-fields.js';

export function svcbText(b: Uint8Array): string | null {
  if (b.length < 3) return null;
  const priority = (b[0]! << 8) | b[1]!;
  const target = wireNameAt(b, 2);
  if (target === null) return null;
  const out = [String(priority), target.text];
  const seen = new Set<number>();
  let mandatory: number[] = [];
  let prev = -1;
  let off = target.next;
  while (off < b.length) {
    if (off + 4 > b.length) return null;
    const key = (b[off]! << 8) | b[off + 1]!;
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    const value = b.subarray(off + 4, off + 4 + len);
    if (value.length !== len || key <= prev || key === INVALID_SVC_KEY) return null;
    off += 4 + len;
    prev = key;
    seen.add(key);
    const text = valueText(key, value);
    if (text === null) return null;
    if (key === SvcKey.mandatory) mandatory = u16List(value);
    out.push(text === '' ? svcKeyName(key) : `${svcKeyName(key)}=${text}`);
  }
  if (mandatory.some((k) => !seen.has(k))) return null;
  return out.join(' ');
}

function u16List(v: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < v.length; i += 2) out.push((v[i]! << 8) | v[i + 1]!);
  return out;
}

/** Value text for key=...; '' for a key shown bare; null when malformed. */
function valueText(key: number, v: Uint8Array): string | null {
  switch (key) {
    case SvcKey.mandatory: {
      if (v.length === 0 || v.length % 2 !== 0) return null;
      const keys = u16List(v);
      for (let i = 0; i < keys.length; i++) if (keys[i] === SvcKey.mandatory || (i > 0 && keys[i]! <= keys[i - 1]!)) return null;
      return keys.map(svcKeyName).join(',');
    }
    case SvcKey.alpn: {
      if (v.length === 0) return null;
      const ids: string[] = [];
      for (let i = 0; i < v.length; ) {
        const len = v[i]!;
        if (len === 0 || i + 1 + len > v.length) return null;
        // Value-list escaping first (comma and backslash), then character-string escaping.
        const raw: number[] = [];
        for (const c of v.subarray(i + 1, i + 1 + len)) {
          if (c === 0x2c || c === 0x5c) raw.push(0x5c);
          raw.push(c);
        }
        ids.push(quotedString(Uint8Array.from(raw), 0, raw.length).slice(1, -1));
        i += 1 + len;
      }
      return `"${ids.join(',')}"`;
    }
    case SvcKey['no-default-alpn']:
      return v.length === 0 ? '' : null;
    case SvcKey.port:
      return v.length === 2 ? String((v[0]! << 8) | v[1]!) : null;
    case SvcKey.ipv4hint:
    case SvcKey.ipv6hint: {
      const size = key === SvcKey.ipv4hint ? 4 : 16;
      if (v.length === 0 || v.length % size !== 0) return null;
      const ips: string[] = [];
      for (let i = 0; i < v.length; i += size) ips.push(formatIp(v.subarray(i, i + size)));
      return ips.join(',');
    }
    case SvcKey.ech:
      return v.length === 0 ? null : Buffer.from(v).toString('base64');
    default:
      // dohpath and unknown keys: any bytes, quoted; an empty value shows as the bare key, as dig does.
      return v.length === 0 ? '' : quotedString(v, 0, v.length);
  }
}
