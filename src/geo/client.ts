// "Where is this client": the ECS subnet when the query carries one and the policy prefers it,
// else the resolver's own address. Called once per query, so it avoids regexes, reuses scratch
// buffers, and keeps an IPv4 address as a number (its text made only when asked for).
import type { ClientIp } from '../net/client-ip.js';
import { formatIp, normalizeClientIp } from '../net/ip.js';
import type { ClientSubnet } from '../wire/types.js';
import type { ClientAddress } from './types.js';

/** Reused for padding ECS IPv6 addresses; formatIp reads it and keeps nothing. */
const scratch16 = new Uint8Array(16);
/** Reused for the resolver's address bytes. */
const resolverBytes = new Uint8Array(16);

/**
 * An IPv4 client, from ECS or the resolver's own address: kept as a number (the option's bytes
 * belong to the packet, the resolver's to the socket's reused buffers), its text made only if
 * something asks (a subnet rule, a hash, a trace, a GeoIP cache miss): the GeoIP /24 cache is
 * probed by `net24`.
 */
class Ipv4Client implements ClientAddress {
  readonly family = 4;
  readonly net24: number;
  private text: string | null = null;

  constructor(
    private readonly value: number,
    readonly sourcePrefix: number,
    readonly fromEcs: boolean,
  ) {
    this.net24 = value >>> 8;
  }

  get ip(): string {
    const v = this.value;
    this.text ??= `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
    return this.text;
  }
}

function ecsIpv6Text(ecs: ClientSubnet): string {
  const a = ecs.address;
  scratch16.fill(0);
  scratch16.set(a.length > 16 ? a.subarray(0, 16) : a);
  return formatIp(scratch16);
}

/**
 * The address a steering decision locates. ECS wins when preferEcs is set and its source prefix
 * is above 0 (RFC 7871 §7.1.2: prefix 0 means "do not use my subnet", so the resolver's
 * address is used). The ECS address comes back padded to a full address in text form. The
 * resolver's address is normalised: an IPv4-mapped IPv6 address is the IPv4 address, a zone id
 * is dropped.
 */
export function clientAddress(ecs: ClientSubnet | null, resolver: ClientIp, preferEcs: boolean): ClientAddress {
  if (preferEcs && ecs !== null && ecs.sourcePrefix > 0) {
    if (ecs.family === 1) {
      const a = ecs.address;
      // Missing bytes are zero (the option carries only the prefix's bytes).
      const value = (((a[0] ?? 0) << 24) | ((a[1] ?? 0) << 16) | ((a[2] ?? 0) << 8) | (a[3] ?? 0)) >>> 0;
      return new Ipv4Client(value, ecs.sourcePrefix, true);
    }
    return { ip: ecsIpv6Text(ecs), family: 6, sourcePrefix: ecs.sourcePrefix, fromEcs: true };
  }
  const b = resolverBytes;
  if (resolver.into(b) === 4) return new Ipv4Client(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, 32, false);
  // IPv6, or text that is no address (kept as it was, as before).
  const ip = normalizeClientIp(resolver.text());
  const v6 = ip.indexOf(':') >= 0;
  return { ip, family: v6 ? 6 : 4, sourcePrefix: v6 ? 128 : 32, fromEcs: false };
}
