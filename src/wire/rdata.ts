// Builders for RDATA held as raw wire bytes, shared by the zone parser and the steering code.
import { isIPv4, isIPv6 } from 'node:net';
import { RRType, type RData, type RR } from './types.js';

/** 4 bytes of a dotted-quad IPv4 address; throws on anything else. */
export function ipv4Bytes(ip: string): Uint8Array {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  const parts = ip.split('.');
  return Uint8Array.from(parts, (p) => Number(p));
}

/** 16 bytes of an IPv6 address (any textual form, including embedded IPv4); throws otherwise. */
export function ipv6Bytes(ip: string): Uint8Array {
  if (!isIPv6(ip)) throw new Error(`not an IPv6 address: ${ip}`);
  let text = ip;
  const out = new Uint8Array(16);
  // Embedded IPv4 tail ("::ffff:192.0.2.1") becomes two hextets.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Bytes(tail);
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === null || rest === '' ? [] : rest.split(':');
  const zeros = 8 - headParts.length - restParts.length;
  const hextets = [...headParts, ...new Array<string>(rest === null ? 0 : zeros).fill('0'), ...restParts];
  hextets.forEach((h, i) => {
    const v = parseInt(h, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Text form of 4 or 16 address bytes (IPv6 in RFC 5952 compressed form). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new Error(`address of ${bytes.length} bytes`);
  const h: number[] = [];
  for (let i = 0; i < 16; i += 2) h.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of zero hextets (length >= 2) becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = h.map((v) => v.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** A or AAAA RDATA for an address literal. */
export function addressRData(ip: string): RData {
  return { kind: 'raw', bytes: isIPv4(ip) ? ipv4Bytes(ip) : ipv6Bytes(ip) };
}

/** An A or AAAA record for an address literal (type follows the address family). */
export function addressRecord(name: string, ip: string, ttl: number): RR {
  return { name, type: isIPv4(ip) ? RRType.A : RRType.AAAA, ttl, data: addressRData(ip) };
}
