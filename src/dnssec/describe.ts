// How a zone's signing state reads for an operator: `steerdns check`, `steerdns ds` and the
// status API say the same things in the same words.
import { algorithmName } from './algorithms.js';
import { dsRdata } from './dnskey.js';
import type { DnssecKey } from './key-file.js';
import { isActive, isKsk, isPublished } from './key-set.js';
import type { ZoneSigning } from './zone-signing.js';

export interface KeyStatus {
  readonly tag: number;
  readonly algorithm: number;
  readonly role: 'KSK' | 'ZSK';
  readonly published: boolean;
  readonly active: boolean;
  readonly file: string;
}

export function keyStatus(key: DnssecKey, now: number): KeyStatus {
  return {
    tag: key.tag,
    algorithm: key.algorithm,
    role: isKsk(key) ? 'KSK' : 'ZSK',
    published: isPublished(key, now),
    active: isActive(key, now),
    file: key.file,
  };
}

/** "2 key(s): 12345 KSK ECDSAP256SHA256 active, ..." */
export function describeKeys(signing: ZoneSigning, now = Date.now()): string {
  const keys = signing.keySet.keys.map((k) => {
    const s = keyStatus(k, now);
    const state = s.active ? 'active' : s.published ? 'published' : 'not published';
    return `${s.tag} ${s.role} ${algorithmName(s.algorithm)} ${state}`;
  });
  return `${keys.length} key(s): ${keys.join(', ')}`;
}

/** The DS record text (SHA-256) of a KSK/CSK, as a registrar takes it. */
export function dsText(key: DnssecKey): string {
  const ds = dsRdata(key.zone, key.dnskey);
  return `${key.zone}. IN DS ${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex').toUpperCase()}`;
}

export function dnskeyText(key: DnssecKey): string {
  return `${key.zone}. IN DNSKEY ${key.flags} 3 ${key.algorithm} ${Buffer.from(key.publicKey).toString('base64')}`;
}
