// Signs RRsets at answer time and keeps the signatures (RFC 4034 §3 RRSIG). One Signer per query
// pipeline: its cache is keyed by the RRset's content (owner signed, type, TTL, RDATA) and the
// keys' view, so a steered answer is signed once per distinct answer set, and a health flip that
// brings back an earlier answer finds its signature again. Bounded: the oldest entries go first.
// An RRset object seen before (zone data, a prepared load-balancer answer) is found by identity
// without building its canonical form.
import { performance } from 'node:perf_hooks';
import { nameToWire } from '../wire/name.js';
import type { RR, RRset } from '../wire/types.js';
import { type AlgorithmNumber, signData } from './algorithms.js';
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

/** Upper bounds (seconds) of the sign-latency histogram's buckets; the last bucket is +Inf. */
export const SIGN_LATENCY_BUCKETS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01];

export interface SignerStats {
  /** RRSIG records made (one per key per RRset signed). */
  signatures: number;
  hits: number;
  misses: number;
  evictions: number;
  /** By algorithm: seconds spent making signatures, and per bucket of SIGN_LATENCY_BUCKETS (then +Inf) how many took that long (not cumulative). */
  readonly latency: Readonly<Record<AlgorithmNumber, { seconds: number; counts: number[] }>>;
}

const latencyCells = () => ({ seconds: 0, counts: new Array<number>(SIGN_LATENCY_BUCKETS.length + 1).fill(0) });

interface Entry {
  readonly zone: string;
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
  readonly stats: SignerStats = {
    signatures: 0,
    hits: 0,
    misses: 0,
    evictions: 0,
    latency: { 13: latencyCells(), 15: latencyCells() },
  };
  /** Earliest refresh moment of the signatures handed out since resetFreshness(). */
  freshUntil = Number.POSITIVE_INFINITY;

  constructor(
    readonly maxEntries: number = DEFAULT_SIGNATURE_CACHE,
    readonly policy: SignaturePolicy = DEFAULT_POLICY,
  ) {}

  get size(): number {
    return this.byContent.size;
  }

  /** Earliest expiration (ms) among the cached signatures of `zone`; null when none is cached. Walks the cache: not for the query path. */
  earliestExpiry(zone: string): number | null {
    let earliest: number | null = null;
    for (const e of this.byContent.values()) if (e.zone === zone && (earliest === null || e.expires < earliest)) earliest = e.expires;
    return earliest;
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

  private observe(algorithm: AlgorithmNumber, seconds: number): void {
    this.stats.signatures++;
    const cells = this.stats.latency[algorithm];
    cells.seconds += seconds;
    let bucket = 0;
    while (bucket < SIGN_LATENCY_BUCKETS.length && seconds > SIGN_LATENCY_BUCKETS[bucket]!) bucket++;
    cells.counts[bucket]!++;
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
    const p = this.policy;
    const inception = Math.floor((now - p.inceptionOffsetMs) / 1000);
    const expiration = Math.floor((now + p.validityMs - Math.random() * p.jitterMs) / 1000);
    const labels = labelCount(signedOwner) - (signedOwner.startsWith('*.') || signedOwner === '*' ? 1 : 0);
    const signer = nameToWire(zone);
    // A signature in use always has more than refreshMs of validity left: no RRSIG TTL above that.
    const rrsigTtl = Math.min(ttl, Math.floor(p.refreshMs / 1000));
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
      const started = performance.now();
      const signature = signData(key.algorithm, key.privateKey, Buffer.concat([rdataHead, canonical]));
      this.observe(key.algorithm, (performance.now() - started) / 1000);
      sigs.push({ name: owner, type: RRTYPE_RRSIG, ttl: rrsigTtl, data: { kind: 'raw', bytes: Buffer.concat([rdataHead, signature]) } });
    }
    const expires = expiration * 1000;
    return { zone, view: viewId, sigs: Object.freeze(sigs), refreshAt: Math.min(expires - p.refreshMs, Number.MAX_SAFE_INTEGER), expires };
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
