// Signs RRsets at answer time and keeps the signatures (RFC 4034 §3 RRSIG). One Signer per query
// pipeline: its cache is keyed by the RRset's content (owner signed, type, TTL, RDATA) and the
// keys' view, so a steered answer is signed once per distinct answer set, and a health flip that
// brings back an earlier answer finds its signature again. Bounded: the oldest entries go first.
// An RRset object seen before (zone data, a prepared load-balancer answer) is found by identity
// without building its canonical form.
import { performance } from 'node:perf_hooks';
import { nameToWire } from '../wire/name.js';
import type { RR, RRset } from '../wire/types.js';
import { signData } from './algorithms.js';
import { canonicalRRsetBytes } from './canonical.js';
import type { DnssecKey } from './key-file.js';
import { RRTYPE_RRSIG } from './nsec.js';
import type { KeyView } from './zone-signing.js';

export interface SignaturePolicy {
  /** Inception this far in the past, for resolvers whose clock is behind. */
  readonly inceptionOffsetMs: number;
  /** Expiration this far ahead... */
  readonly validityMs: number;
  /** ...less a random part of up to this much, so signatures made together do not expire together. */
  readonly jitterMs: number;
  /** A signature is made again once less than this much of its validity remains. */
  readonly refreshMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_POLICY: SignaturePolicy = Object.freeze({
  inceptionOffsetMs: HOUR,
  validityMs: 14 * DAY,
  jitterMs: DAY,
  refreshMs: 7 * DAY,
});

export const DEFAULT_SIGNATURE_CACHE = 100_000;

export interface SignerStats {
  signatures: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Seconds spent signing, and how many RRsets that was (for the mean and the histogram). */
  signSeconds: number;
  /** Latency of each RRset signed (seconds), for an observer to bucket; cleared by whoever reads it. */
  readonly latencies: number[];
}

interface Entry {
  readonly view: number;
  readonly sigs: RRset;
  /** Re-sign from this moment on (ms). */
  readonly refreshAt: number;
  /** Earliest expiration among the signatures (ms). */
  readonly expires: number;
}

export class Signer {
  private readonly byContent = new Map<string, Entry>();
  private readonly byObject = new WeakMap<RRset, Entry>();
  readonly stats: SignerStats = { signatures: 0, hits: 0, misses: 0, evictions: 0, signSeconds: 0, latencies: [] };
  /** Earliest refresh moment of the signatures handed out since resetFreshness(). */
  freshUntil = Number.POSITIVE_INFINITY;

  constructor(
    readonly maxEntries: number = DEFAULT_SIGNATURE_CACHE,
    readonly policy: SignaturePolicy = DEFAULT_POLICY,
  ) {}

  get size(): number {
    return this.byContent.size;
  }

  resetFreshness(): void {
    this.freshUntil = Number.POSITIVE_INFINITY;
  }

  /**
   * The RRSIG RRset for `rrset` (owned by `owner` in the reply) made by `keys` of `view`.
   * `signedOwner`/`labels` differ from the reply's owner for wildcard expansions (RFC 4035 §5.3.2).
   */
  sign(rrset: RRset, keys: readonly DnssecKey[], view: KeyView, zone: string, now: number, wildcard: string | null = null): RRset {
    const owner = rrset[0]!.name;
    const known = wildcard === null ? this.byObject.get(rrset) : undefined;
    if (known !== undefined && known.view === view.id && now < known.refreshAt) {
      this.stats.hits++;
      this.noteFresh(known);
      return known.sigs;
    }
    const signedOwner = wildcard ?? owner;
    const ttl = minTtl(rrset);
    const canonical = canonicalRRsetBytes(rrset, signedOwner, ttl);
    // A wildcard's signature is the same for every name it answers: keyed without the owner.
    const key = `${view.id}|${signedOwner}|${ttl}|${canonical.toString('latin1')}`;
    let entry = this.byContent.get(key);
    if (entry !== undefined && now < entry.refreshAt) {
      this.stats.hits++;
    } else {
      this.stats.misses++;
      entry = this.make(rrset[0]!.type, owner, signedOwner, ttl, canonical, keys, zone, view.id, now);
      this.byContent.delete(key);
      this.byContent.set(key, entry);
      if (this.byContent.size > this.maxEntries) {
        const oldest = this.byContent.keys().next().value as string;
        this.byContent.delete(oldest);
        this.stats.evictions++;
      }
    }
    if (wildcard === null) this.byObject.set(rrset, entry);
    this.noteFresh(entry);
    const sigs = entry.sigs;
    return sigs[0]!.name === owner ? sigs : sigs.map((rr) => ({ name: owner, type: rr.type, ttl: rr.ttl, data: rr.data }));
  }

  private noteFresh(entry: Entry): void {
    if (entry.refreshAt < this.freshUntil) this.freshUntil = entry.refreshAt;
  }

  private make(
    type: number,
    owner: string,
    signedOwner: string,
    ttl: number,
    canonical: Buffer,
    keys: readonly DnssecKey[],
    zone: string,
    viewId: number,
    now: number,
  ): Entry {
    const started = performance.now();
    const p = this.policy;
    const inception = Math.floor((now - p.inceptionOffsetMs) / 1000);
    const expiration = Math.floor((now + p.validityMs - Math.random() * p.jitterMs) / 1000);
    const labels = labelCount(signedOwner) - (signedOwner.startsWith('*.') || signedOwner === '*' ? 1 : 0);
    const signer = nameToWire(zone);
    const sigs: RR[] = [];
    for (const key of keys) {
      const head = Buffer.alloc(18);
      head.writeUInt16BE(type, 0);
      head[2] = key.algorithm;
      head[3] = labels;
      head.writeUInt32BE(ttl >>> 0, 4);
      head.writeUInt32BE(expiration >>> 0, 8);
      head.writeUInt32BE(inception >>> 0, 12);
      head.writeUInt16BE(key.tag, 16);
      const rdataHead = Buffer.concat([head, signer]);
      const signature = signData(key.algorithm, key.privateKey, Buffer.concat([rdataHead, canonical]));
      this.stats.signatures++;
      sigs.push({ name: owner, type: RRTYPE_RRSIG, ttl, data: { kind: 'raw', bytes: Buffer.concat([rdataHead, signature]) } });
    }
    const seconds = (performance.now() - started) / 1000;
    this.stats.signSeconds += seconds;
    if (this.stats.latencies.length < 4096) this.stats.latencies.push(seconds);
    const expires = expiration * 1000;
    return { view: viewId, sigs: Object.freeze(sigs), refreshAt: Math.min(expires - p.refreshMs, Number.MAX_SAFE_INTEGER), expires };
  }
}

function minTtl(rrset: RRset): number {
  let ttl = rrset[0]!.ttl;
  for (const rr of rrset) if (rr.ttl < ttl) ttl = rr.ttl;
  return ttl;
}

/** Labels of a canonical name, not counting the root (the RRSIG labels field). */
export function labelCount(name: string): number {
  if (name === '') return 0;
  let n = 1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c) i += name.charCodeAt(i + 1) >= 0x30 && name.charCodeAt(i + 1) <= 0x39 ? 3 : 1;
    else if (c === 0x2e) n++;
  }
  return n;
}
