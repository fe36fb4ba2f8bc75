// Configuration-time address and network parsing (LB files, RRL exemptions, --listen), built
// on the `ip-address` package, with this project's rules on top (docs/load-balancers.md, "IP
// addresses and networks"). Every failure is a sentence an operator can act on; callers put it
// into their own error path (zod issue with file:line, SteerError).
import { Address4, Address6 } from 'ip-address';
import { formatIp, isMappedIpv4 } from './ip.js';
import { maskBytesInPlace } from './prefix.js';

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array;
  /** Canonical text (RFC 5952 for IPv6). */
  readonly text: string;
}

export interface IpNetwork extends IpAddress {
  readonly prefix: number;
  /** "address/prefix" in canonical form. */
  readonly cidr: string;
}

export type Problem = { readonly problem: string };

const LEADING_ZERO = /(?:^|[.:])0\d/;

/** An IPv4 or IPv6 address literal, or why it is not one. */
export function parseAddress(text: string): IpAddress | Problem {
  if (text.includes('%')) {
    return {
      problem: `"${text}": zone ids (%interface) are not allowed; they name an interface of one host and mean nothing in DNS data or configuration`,
    };
  }
  if (text.includes('/')) return { problem: `"${text}" is a network; expected a single address` };
  if (!text.includes(':')) {
    if (Address4.isValid(text)) return address(4, Uint8Array.from(new Address4(text).toArray()));
    if (/^[\d.]+$/.test(text) && LEADING_ZERO.test(text)) {
      return {
        problem: `"${text}": leading zeros in IPv4 octets are not allowed (some parsers read them as octal); write ${text.replace(/(^|\.)0+(?=\d)/g, '$1')}`,
      };
    }
    return { problem: `"${text}" is not an IPv4 or IPv6 address` };
  }
  if (!Address6.isValid(text)) {
    const v4tail = text.slice(text.lastIndexOf(':') + 1);
    if (v4tail.includes('.') && LEADING_ZERO.test(`.${v4tail}`)) {
      return { problem: `"${text}": leading zeros in the IPv4 part are not allowed (some parsers read them as octal)` };
    }
    return { problem: `"${text}" is not an IPv4 or IPv6 address` };
  }
  // Right-aligned: the byte array of a big number may omit leading zero bytes.
  const raw = new Address6(text).toUnsignedByteArray().slice(-16);
  const bytes = new Uint8Array(16);
  bytes.set(raw, 16 - raw.length);
  return address(6, bytes);
}

function address(family: 4 | 6, bytes: Uint8Array): IpAddress {
  return { family, bytes, text: formatIp(bytes) };
}

/**
 * True for text meant as an address rather than a hostname (only digits and dots, or any colon
 * or "%"), so that "192.0.02.1" is reported as a bad address, not taken as a name.
 */
export function looksLikeIp(text: string): boolean {
  return /^[\d.]+$/.test(text) || text.includes(':') || text.includes('%');
}

/** 4 or 6 for an address literal under the rules, 0 otherwise. */
export function ipFamily(text: string): 0 | 4 | 6 {
  const a = parseAddress(text);
  return 'problem' in a ? 0 : a.family;
}

export interface NetworkOptions {
  /** A bare address stands for a single host (/32 or /128). Default: a prefix is required. */
  readonly hostAllowed?: boolean;
}

/**
 * "203.0.113.0/24", "2001:db8::/32" (and "192.0.2.1" when hostAllowed) → the network. Host bits
 * set and IPv4-mapped IPv6 networks are problems: client addresses from dual-stack sockets are
 * matched as IPv4, so "::ffff:192.0.2.0/120" could never match; write 192.0.2.0/24.
 */
export function parseNetwork(text: string, options: NetworkOptions = {}): IpNetwork | Problem {
  const slash = text.indexOf('/');
  if (slash < 0 && !options.hostAllowed) {
    return { problem: `"${text}" is not a CIDR (expected ADDRESS/PREFIX, e.g. 203.0.113.0/24)` };
  }
  const a = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if ('problem' in a) return a;
  const max = a.family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (/^0\d/.test(prefixText)) return { problem: `prefix "/${prefixText}": leading zeros are not allowed` };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { problem: `prefix "/${prefixText}" must be 0-${max} for IPv${a.family}` };
  }
  const prefix = Number(prefixText);
  if (a.family === 6 && isMappedIpv4(a.bytes) && prefix >= 96) {
    const v4 = formatIp(a.bytes.subarray(12));
    return { problem: `"${text}" is an IPv4-mapped network; clients are matched as IPv4, write ${v4}/${prefix - 96}` };
  }
  const network = Uint8Array.from(a.bytes);
  maskBytesInPlace(network, prefix);
  const canonical = formatIp(network);
  if (!network.every((b, i) => b === a.bytes[i])) {
    return { problem: `host bits set in ${text}; the network is ${canonical}/${prefix}` };
  }
  return { family: a.family, bytes: network, text: canonical, prefix, cidr: `${canonical}/${prefix}` };
}
