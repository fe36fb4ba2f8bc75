// What a database lookup found for an address, remembered two ways: by IPv4 /24 (as a number)
// when the network found is a /24 or shorter — every address of that /24 gets the same answer —
// and by address text otherwise. Shared by the City/Country and the ASN databases.
import { formatIp, parseClientIpInto } from '../net/ip.js';
import { RecentCache } from './recent-cache.js';

/** Addresses remembered per database; a resolver population repeats, so hits dominate. */
const ADDRESS_CACHE_SIZE = 10_000;
/**
 * IPv4 /24s remembered per database. ECS sources are /24s and GeoIP and AS networks are rarely
 * longer, so one entry serves a whole client subnet; a miss walks the tree (~3 µs, measured), a
 * hit is a Map read. 131,072 entries (at most ~15 MB) hold the /24s of a large resolver population.
 */
const NET24_CACHE_SIZE = 1 << 17;

/** An address as the database's tree takes it. */
export interface LookupAddress {
  readonly ip: string;
  readonly family: 4 | 6;
}

/**
 * The address as the database should see it: IPv4-mapped IPv6 becomes IPv4, zones are dropped.
 * null for text that is not an IP address.
 */
export function normalizeLookupAddress(ip: string): LookupAddress | null {
  const family = parseClientIpInto(ip, lookupBytes);
  if (family === 0) return null;
  if (family === 4) return { ip: ip.indexOf(':') < 0 ? ip : formatIp(lookupBytes.subarray(0, 4)), family: 4 };
  const pct = ip.indexOf('%');
  return { ip: pct < 0 ? ip : ip.slice(0, pct), family: 6 };
}

const lookupBytes = new Uint8Array(16);

/** The /24 of a dotted-quad IPv4 address as a 24-bit number; -1 for anything else. */
export function ipv4Net24(ip: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      if (dots < 3) value = (value << 8) | octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      if (digits > 0 && octet === 0) return -1; // "01": not how addresses are written
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value : -1;
}

export class NetworkCache<T extends { readonly networkPrefix: number }> {
  private readonly byAddress = new RecentCache<string, T>(ADDRESS_CACHE_SIZE);
  private readonly byNet24 = new RecentCache<number, T>(NET24_CACHE_SIZE);

  /** `find` looks an address up in the tree: called once per /24 or address not remembered. */
  constructor(private readonly find: (addr: LookupAddress) => T) {}

  /** The answer for `ip`; throws when it is not an IP address. */
  lookup(ip: string): T {
    const net24 = ipv4Net24(ip);
    if (net24 >= 0) {
      const hit = this.byNet24.get(net24);
      if (hit !== undefined) return hit;
    }
    const cached = this.byAddress.get(ip);
    if (cached !== undefined) return cached;
    const addr = normalizeLookupAddress(ip);
    if (addr === null) throw new Error(`not an IP address: ${ip}`);
    const result = this.find(addr);
    // A network of /24 or shorter holds the whole /24: every address in it gets this answer.
    if (net24 >= 0 && result.networkPrefix <= 24) this.byNet24.set(net24, result);
    else this.byAddress.set(ip, result);
    return result;
  }

  /** The answer remembered for an IPv4 /24 (as a number), if any. */
  cachedNet24(net24: number): T | undefined {
    return this.byNet24.get(net24);
  }
}
