// "Where is this client": the ECS subnet when the query carries one and the policy prefers it,
// else the resolver's own address. Called once per query, so it avoids regexes and reuses one
// scratch buffer for IPv6 padding.
import { formatIp } from '../wire/rdata.js';
import type { ClientSubnet } from '../wire/types.js';
import type { ClientAddress } from './types.js';

/** Reused for padding ECS IPv6 addresses; formatIp reads it and keeps nothing. */
const scratch16 = new Uint8Array(16);

function ecsAddressText(ecs: ClientSubnet): string {
  const a = ecs.address;
  if (ecs.family === 1) return `${a[0] ?? 0}.${a[1] ?? 0}.${a[2] ?? 0}.${a[3] ?? 0}`;
  scratch16.fill(0);
  scratch16.set(a.length > 16 ? a.subarray(0, 16) : a);
  return formatIp(scratch16);
}

/** "::ffff:192.0.2.1" (dual-stack sockets) → "192.0.2.1"; "fe80::1%eth0" → "fe80::1". */
export function normalizeSocketAddress(ip: string): string {
  let text = ip;
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  if (text.length > 7 && text.charCodeAt(0) === 58 /* : */ && text.charCodeAt(1) === 58) {
    const prefix = text.slice(2, 7);
    if ((prefix === 'ffff:' || prefix.toLowerCase() === 'ffff:') && text.indexOf('.', 7) > 0 && text.indexOf(':', 7) < 0) {
      return text.slice(7);
    }
  }
  return text;
}

/**
 * The address a steering decision locates. ECS wins when preferEcs is set and its source prefix
 * is above 0 (RFC 7871 §7.1.2: prefix 0 means "do not use my subnet", so the resolver's
 * address is used). The ECS address comes back padded to a full address in text form.
 */
export function clientAddress(ecs: ClientSubnet | null, resolverIp: string, preferEcs: boolean): ClientAddress {
  if (preferEcs && ecs !== null && ecs.sourcePrefix > 0) {
    return { ip: ecsAddressText(ecs), family: ecs.family === 1 ? 4 : 6, sourcePrefix: ecs.sourcePrefix, fromEcs: true };
  }
  const ip = normalizeSocketAddress(resolverIp);
  const v6 = ip.indexOf(':') >= 0;
  return { ip, family: v6 ? 6 : 4, sourcePrefix: v6 ? 128 : 32, fromEcs: false };
}
