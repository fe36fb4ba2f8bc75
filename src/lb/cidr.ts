// CIDR and address-literal checks for the config (not the hot path: node:net is fine here).
import { isIPv4, isIPv6 } from 'node:net';
import { formatIp, ipv4Bytes, ipv6Bytes } from '../wire/rdata.js';

export interface Cidr {
  readonly family: 4 | 6;
  /** Network address in canonical text (RFC 5952 for IPv6). */
  readonly address: string;
  readonly prefix: number;
}

/** "203.0.113.0/24" → its parts; host bits set, a bad address or prefix → a problem. */
export function parseCidr(text: string): Cidr | { problem: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { problem: `"${text}" is not a CIDR (expected ADDRESS/PREFIX, e.g. 203.0.113.0/24)` };
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) return { problem: `"${addr}" is not an IPv4 or IPv6 address` };
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { problem: `prefix "/${prefixText}" must be 0-${max} for IPv${family}` };
  }
  const prefix = Number(prefixText);
  const bytes = family === 4 ? ipv4Bytes(addr) : ipv6Bytes(addr);
  const network = Uint8Array.from(bytes);
  for (let bit = prefix; bit < max; bit++) network[bit >> 3] = network[bit >> 3]! & ~(0x80 >> (bit & 7));
  const canonical = formatIp(network);
  if (!bytes.every((b, i) => b === network[i])) {
    return { problem: `host bits set in ${text}; the network is ${canonical}/${prefix}` };
  }
  return { family, address: canonical, prefix };
}

/** 4 or 6 for an IP literal, 0 otherwise. */
export function ipFamily(text: string): 0 | 4 | 6 {
  return isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0;
}
