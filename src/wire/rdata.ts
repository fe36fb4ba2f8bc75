// Builders for RDATA held as raw wire bytes, shared by the zone parser and the steering code.
import { parseIpInto } from '../net/ip.js';
import { RRType, type RData, type RR } from './types.js';

// Address text rules and formatting live in src/net; formatIp is re-exported for the wire-level
// formatters that print A/AAAA/SVCB hints.
export { formatIp } from '../net/ip.js';

/** 4 bytes of a dotted-quad IPv4 address (src/net rules); throws on anything else. */
export function ipv4Bytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  if (parseIpInto(ip, out) !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  return out.slice(0, 4);
}

/** 16 bytes of an IPv6 address (src/net rules: any textual form, embedded IPv4); throws otherwise. */
export function ipv6Bytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  if (parseIpInto(ip, out) !== 6) throw new Error(`not an IPv6 address: ${ip}`);
  return out;
}

function addressBytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  const family = parseIpInto(ip, out);
  if (family === 0) throw new Error(`not an IP address: ${ip}`);
  return family === 4 ? out.slice(0, 4) : out;
}

/** A or AAAA RDATA for an address literal. */
export function addressRData(ip: string): RData {
  return { kind: 'raw', bytes: addressBytes(ip) };
}

/** An A or AAAA record for an address literal (type follows the address family). */
export function addressRecord(name: string, ip: string, ttl: number): RR {
  const bytes = addressBytes(ip);
  return { name, type: bytes.length === 4 ? RRType.A : RRType.AAAA, ttl, data: { kind: 'raw', bytes } };
}
