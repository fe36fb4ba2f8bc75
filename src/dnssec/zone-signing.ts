// One zone's signing state, built when its keys are loaded and immutable after: the key set, and
// per moment the keys' view — the DNSKEY, CDS and CDNSKEY RRsets to publish and which keys sign
// what. The view is recomputed only when a key's timing says something changed.
import type { RR, RRset } from '../wire/types.js';
import { dsRdata } from './dnskey.js';
import type { DnssecKey } from './key-file.js';
import { isActive, isKsk, isPublished, type KeySet, nextKeyEvent } from './key-set.js';

export const RRTYPE_CDS = 59;
export const RRTYPE_CDNSKEY = 60;
export const RRTYPE_DNSKEY = 48;

export interface KeyView {
  /** Unique per view: signatures are cached per view, so a key change re-signs. */
  readonly id: number;
  readonly dnskey: RRset;
  /** CDS/CDNSKEY for the published KSKs (RFC 7344), null when there is none. */
  readonly cds: RRset | null;
  readonly cdnskey: RRset | null;
  /** Keys that sign the zone's data. */
  readonly dataKeys: readonly DnssecKey[];
  /** Keys that sign DNSKEY, CDS and CDNSKEY. */
  readonly keyKeys: readonly DnssecKey[];
  /** The view holds until this moment (the next key timing event). */
  readonly until: number;
}

let nextViewId = 1;

export class ZoneSigning {
  private current: KeyView | null = null;

  constructor(
    readonly keySet: KeySet,
    /** TTL of DNSKEY/CDS/CDNSKEY when the .key files give none (the SOA's). */
    private readonly defaultTtl: number,
  ) {}

  get zone(): string {
    return this.keySet.zone;
  }

  /** The keys' view at `now` (cached until the next timing event). */
  view(now: number): KeyView {
    const v = this.current;
    if (v !== null && now < v.until) return v;
    this.current = this.build(now);
    return this.current;
  }

  private build(now: number): KeyView {
    const keys = this.keySet.keys;
    const zone = this.keySet.zone;
    const published = keys.filter((k) => isPublished(k, now));
    const active = published.filter((k) => isActive(k, now));
    const zsks = active.filter((k) => !isKsk(k));
    const ksks = active.filter(isKsk);
    const ttl = published.find((k) => k.ttl !== null)?.ttl ?? this.defaultTtl;
    const record = (type: number, bytes: Uint8Array): RR => ({ name: zone, type, ttl, data: { kind: 'raw', bytes } });
    const sep = published.filter(isKsk);
    return Object.freeze({
      id: nextViewId++,
      dnskey: Object.freeze(published.map((k) => record(RRTYPE_DNSKEY, k.dnskey))),
      cds: sep.length === 0 ? null : Object.freeze(sep.map((k) => record(RRTYPE_CDS, dsRdata(zone, k.dnskey)))),
      cdnskey: sep.length === 0 ? null : Object.freeze(sep.map((k) => record(RRTYPE_CDNSKEY, k.dnskey))),
      // No active ZSK: the KSKs are CSKs and sign everything. No active KSK: the ZSKs sign the keys too.
      dataKeys: zsks.length > 0 ? zsks : ksks,
      keyKeys: ksks.length > 0 ? ksks : zsks,
      until: nextKeyEvent(keys, now),
    });
  }
}
