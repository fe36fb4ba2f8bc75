// Who may transfer a zone: the client's address must be in `allow` (when given) and the request
// signed with one of `keys` (when given). A zone with neither is offered to nobody.
import { parseClientIpInto } from '../net/ip.js';
import { type IpNetwork, parseNetwork } from '../net/parse.js';
import { bytesInPrefix } from '../net/prefix.js';
import { canonicalName } from '../wire/name.js';
import type { TransferZoneSettings } from './settings.js';

export type AclVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export class TransferAcl {
  private readonly networks: readonly IpNetwork[] | null;
  private readonly keys: ReadonlySet<string> | null;

  constructor(settings: TransferZoneSettings) {
    this.networks = settings.allow === undefined ? null : settings.allow.map((n) => parseNetwork(n, { hostAllowed: true }) as IpNetwork);
    this.keys = settings.keys === undefined ? null : new Set(settings.keys.map((k) => canonicalName(k)));
  }

  /** `keyName`: the key a valid TSIG was made with, or null for an unsigned request. */
  check(client: string, keyName: string | null): AclVerdict {
    if (this.networks === null && this.keys === null) return { ok: false, reason: 'no allow or keys set for the zone' };
    if (this.networks !== null && !this.addressAllowed(client)) return { ok: false, reason: 'address not in allow' };
    if (this.keys !== null) {
      if (keyName === null) return { ok: false, reason: 'not signed with a TSIG key the zone names' };
      if (!this.keys.has(keyName)) return { ok: false, reason: `key ${keyName} is not one the zone names` };
    }
    return { ok: true };
  }

  private addressAllowed(client: string): boolean {
    const bytes = new Uint8Array(16);
    const family = parseClientIpInto(client, bytes);
    if (family === 0) return false;
    for (const n of this.networks!) {
      if (n.family === family && bytesInPrefix(bytes, n.bytes, n.prefix)) return true;
    }
    return false;
  }
}
