// Fleet mode: several steerdns nodes share one health truth through etcd.
//
// The split of src/health stays: monitors say pass/fail, each node's health table applies the
// thresholds to what this node probes. The fleet adds
//   - which targets this node probes (rendezvous hashing over its site's live members),
//   - a source of observations (every prober's settled state, from the store), and
//   - a verdict rule (quorum.ts), whose result is the health snapshot the node serves.
//
// When the store cannot be reached the node keeps serving: the fleet verdicts are computed from
// the last observations seen, with this node's own observations replacing its old ones. After
// `graceMs` without the store it probes every target itself and its own observations decide
// (degraded). When the store is back it registers again, re-reads everything and returns to the
// quorum, without a moment of "nothing known" in between.
import { EventEmitter } from 'node:events';
import { TableSnapshot } from '../health/snapshot.js';
import type { HealthSnapshot, ProbeTarget, TargetHealth } from '../health/types.js';
import { type HealthSource, snapshotEntries } from '../server/cluster/health-mirror.js';
import type { SharedOverrides } from '../overrides/store.js';
import type { Logger } from '../server/logger.js';
import type { ProbeScope, RunningServer } from '../server/server.js';
import { fleetVerdict, type Observation, type SmoothedRtt, type Verdict } from './quorum.js';
import type { MemberRecord, ObservationRecord, SiteLocation } from './records.js';
import { probersFor } from './rendezvous.js';
import { rttPublishDue } from './rtt-publish.js';
import { sameSiteRtts, siteLocations, siteRtts } from './site-rtts.js';
import { FleetStore, type StoreOptions } from './store.js';

export interface FleetOptions {
  readonly hosts: readonly string[];
  readonly prefix: string;
  readonly node: string;
  readonly site: string;
  /** Where this node's site is (--site-location): dynamic steering maps clients to the nearest site. */
  readonly location?: SiteLocation | null;
  /** Live members of a site that probe each target (1 or more). */
  readonly probersPerSite: number;
  /** Lease TTL, seconds. */
  readonly leaseTtl: number;
  /** Without the store this long, the node probes every target itself. */
  readonly graceMs: number;
  readonly tls?: StoreOptions['tls'];
  readonly auth?: StoreOptions['auth'];
  readonly version: string;
  readonly listen: readonly string[];
  readonly logger: Logger;
}

export interface FleetEvents {
  /** The verdicts changed (a new health snapshot is served). */
  verdicts: [];
}

/** One member as the fleet view shows it. */
export interface FleetMember extends MemberRecord {
  /** Targets rendezvous hashing gives it now (what it should probe). */
  readonly assigned: number;
  /** Its config fingerprint differs from this node's. */
  readonly mismatch: boolean;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Fleet extends EventEmitter<FleetEvents> {
  readonly #opts: FleetOptions;
  readonly #log: Logger;
  readonly store: FleetStore;
  readonly #started = Date.now();
  #server: RunningServer | null = null;
  /** Target key → target, every target of the configuration. */
  #targets = new Map<string, ProbeTarget>();
  /** Keys this node probes now. */
  #mine = new Set<string>();
  #scopeListeners: (() => void)[] = [];
  #verdicts = new Map<string, Verdict>();
  #snapshot: TableSnapshot = TableSnapshot.of(0, []);
  #degraded = false;
  #lastSnapshot: HealthSnapshot | null = null;
  /** Targets handed to a site peer → when to stop vouching for them anyway. */
  readonly #handoff = new Map<string, number>();
  /** Keys of the snapshot served now. */
  #served = new Set<string>();
  #recomputeQueued = false;
  #timer: NodeJS.Timeout | null = null;
  /** Target key → when this node last wrote its smoothed RTT (rtt-publish.ts). */
  readonly #rttWrittenAt = new Map<string, number>();

  constructor(opts: FleetOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'fleet', node: opts.node, site: opts.site });
    this.store = new FleetStore({
      hosts: opts.hosts,
      prefix: opts.prefix,
      node: opts.node,
      leaseTtl: opts.leaseTtl,
      tls: opts.tls,
      auth: opts.auth,
      logger: this.#log,
    });
    this.store.on('change', () => this.#queueRecompute());
    this.store.on('reachable', () => this.#queueRecompute());
  }

  get node(): string {
    return this.#opts.node;
  }

  get site(): string {
    return this.#opts.site;
  }

  get options(): FleetOptions {
    return this.#opts;
  }

  /** The server probes what this selects: this node's share of the targets. */
  readonly probeScope: ProbeScope = {
    select: (targets) => {
      this.#targets = new Map(targets.map((t) => [t.key, t]));
      this.#mine = this.#assign();
      return targets.filter((t) => this.#mine.has(t.key));
    },
    onChange: (listener) => {
      this.#scopeListeners.push(listener);
    },
  };

  /**
   * The verdicts as this node serves them: what a cluster primary sends its workers, so that
   * every worker answers exactly like the primary would.
   */
  readonly served: HealthSource = {
    snapshot: () => this.#snapshot,
    entries: () => snapshotEntries(this.#snapshot, this.#served),
    onSnapshot: (listener) => {
      this.on('verdicts', listener);
    },
  };

  /** The fleet's operator overrides, in etcd (the server's override store writes through this). */
  readonly sharedOverrides: SharedOverrides = {
    put: (o) => this.store.putOverride(o),
    delete: (id) => this.store.deleteOverride(id),
  };

  /** Starts talking to the store and serving fleet verdicts; call once the server runs. */
  attach(server: RunningServer): void {
    this.#server = server;
    this.#lastSnapshot = server.health.snapshot();
    server.health.on('snapshot', (snapshot) => this.#onLocalHealth(snapshot));
    server.events.on('reload', () => this.#queueRecompute());
    // Every node applies the whole shared set as etcd holds it; without etcd, the last one read.
    this.store.on('change', () => server.overrides.replace([...this.store.overrides().values()]));
    this.store.start();
    this.#timer = setInterval(() => this.#every(), 250);
    this.#timer.unref();
    this.#recompute();
  }

  /** Degraded: the store has been unreachable for longer than the grace period. */
  get degraded(): boolean {
    return this.#degraded;
  }

  verdict(key: string): Verdict | undefined {
    return this.#verdicts.get(key);
  }

  /** Live members (this node included, even before the store lists it), by name. */
  members(): FleetMember[] {
    const fingerprint = this.#server?.fingerprint() ?? '';
    const all = new Map(this.store.members());
    all.set(this.#opts.node, this.#memberRecord());
    const keys = [...this.#targets.keys()];
    const bySite = this.#sites(all);
    const assigned = new Map<string, number>();
    for (const key of keys) {
      for (const names of bySite.values())
        for (const n of probersFor(key, names, this.#opts.probersPerSite)) assigned.set(n, (assigned.get(n) ?? 0) + 1);
    }
    return [...all.values()]
      .sort((a, b) => byText(a.site, b.site) || byText(a.node, b.node))
      .map((m) => ({ ...m, assigned: assigned.get(m.node) ?? 0, mismatch: m.fingerprint !== fingerprint }));
  }

  /** Live members whose config fingerprint differs from this node's. */
  mismatches(): number {
    const fingerprint = this.#server?.fingerprint() ?? '';
    let n = 0;
    for (const m of this.store.members().values()) if (m.node !== this.#opts.node && m.fingerprint !== fingerprint) n++;
    return n;
  }

  /** Keys this node probes now. */
  probing(): ReadonlySet<string> {
    return this.#mine;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.store.close();
  }

  // ---

  #memberRecord(): MemberRecord {
    return {
      node: this.#opts.node,
      site: this.#opts.site,
      version: this.#opts.version,
      fingerprint: this.#server?.fingerprint() ?? '',
      listen: this.#listen(),
      started: this.#started,
      heartbeat: Date.now(),
      generation: this.#snapshot.generation,
      probing: this.#mine.size,
      degraded: this.#degraded,
      location: this.#opts.location ?? null,
    };
  }

  /** The store's members with this node's own record current. */
  #liveMembers(): Map<string, MemberRecord> {
    const all = new Map(this.store.members());
    all.set(this.#opts.node, this.#memberRecord());
    return all;
  }

  /** Where this node answers: its sockets, or (a cluster primary has none) --listen. */
  #listen(): string[] {
    const endpoints = this.#server?.endpoints ?? [];
    if (endpoints.length === 0) return [...this.#opts.listen];
    return endpoints.map((e) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`));
  }

  /** Site → its live member names, this node always among its own site's. */
  #sites(members: ReadonlyMap<string, MemberRecord>): Map<string, string[]> {
    const bySite = new Map<string, string[]>();
    for (const m of members.values()) {
      const list = bySite.get(m.site);
      if (list) list.push(m.node);
      else bySite.set(m.site, [m.node]);
    }
    const own = bySite.get(this.#opts.site) ?? [];
    if (!own.includes(this.#opts.node)) own.push(this.#opts.node);
    bySite.set(this.#opts.site, own);
    return bySite;
  }

  /** The keys this node should probe: all when degraded, none before the store was read. */
  #assign(): Set<string> {
    if (this.#degraded) return new Set(this.#targets.keys());
    if (!this.store.stats().synced) return new Set();
    const siteMembers = this.#sites(this.store.members()).get(this.#opts.site)!;
    const mine = new Set<string>();
    for (const key of this.#targets.keys()) {
      if (probersFor(key, siteMembers, this.#opts.probersPerSite).includes(this.#opts.node)) mine.add(key);
    }
    return mine;
  }

  #every(): void {
    const stats = this.store.stats();
    const since = stats.lastContact === 0 ? this.#started : stats.lastContact;
    const degraded = !stats.reachable && Date.now() - since > this.#opts.graceMs;
    if (degraded !== this.#degraded) {
      this.#degraded = degraded;
      if (degraded)
        this.#log.warn({ graceMs: this.#opts.graceMs }, 'fleet: degraded: store unreachable; probing every target and deciding alone');
      else this.#log.info('fleet: store back; rejoining the fleet');
      this.#recompute();
    }
    if (this.#handoff.size > 0) this.#queueRecompute();
    this.store.setMember(this.#memberRecord());
  }

  /** This node's health table changed: its settled states become its observations. */
  #onLocalHealth(snapshot: HealthSnapshot): void {
    const previous = this.#lastSnapshot;
    this.#lastSnapshot = snapshot;
    const changed = previous && snapshot.changedSince ? snapshot.changedSince(previous) : null;
    const keys = changed ?? [...this.#mine];
    for (const key of keys) this.#publishOwn(key, snapshot.get(key));
    this.#queueRecompute();
  }

  #publishOwn(key: string, health: TargetHealth | undefined): void {
    if (this.#handoff.has(key)) return;
    if (health === undefined || !health.known || !this.#mine.has(key)) {
      this.store.setObservation(key, null);
      this.#rttWrittenAt.delete(key);
      return;
    }
    const record: ObservationRecord = {
      site: this.#opts.site,
      up: health.up,
      reason: health.reason,
      rttMs: health.lastResult?.durationMs ?? 0,
      at: health.lastResult?.at ?? health.since,
      smoothed: this.#smoothedToWrite(key, health),
    };
    this.store.setObservation(key, record);
  }

  /** The smoothed RTT the observation carries: the new one when rtt-publish.ts says so, else the one written. */
  #smoothedToWrite(key: string, health: TargetHealth): SmoothedRtt | null {
    const written = this.store.own().get(key)?.smoothed ?? null;
    const samples = health.rttSamples ?? 0;
    const current = health.rttMs === undefined || health.rttMs === null || samples === 0 ? null : { rttMs: health.rttMs, samples };
    const now = Date.now();
    if (!rttPublishDue(written, this.#rttWrittenAt.get(key) ?? 0, current, now)) return written;
    this.#rttWrittenAt.set(key, now);
    return current;
  }

  /** Drops handed-off observations once a site peer reports the target, or at their deadline. */
  #settleHandoffs(): void {
    if (this.#handoff.size === 0) return;
    const now = Date.now();
    const all = this.store.observations();
    for (const [key, deadline] of this.#handoff) {
      if (this.#mine.has(key)) {
        this.#handoff.delete(key);
        continue;
      }
      let peer = false;
      for (const o of all.get(key)?.values() ?? []) if (o.site === this.#opts.site && o.node !== this.#opts.node) peer = true;
      if (peer || now >= deadline || !this.#targets.has(key)) {
        this.#handoff.delete(key);
        this.store.setObservation(key, null);
      }
    }
  }

  #queueRecompute(): void {
    if (this.#recomputeQueued) return;
    this.#recomputeQueued = true;
    setImmediate(() => {
      this.#recomputeQueued = false;
      this.#recompute();
    });
  }

  /** Re-shards if membership moved, then recomputes every verdict and serves what changed. */
  #recompute(): void {
    const server = this.#server;
    if (server === null) return;
    const mine = this.#assign();
    if (!sameSet(mine, this.#mine)) {
      const dropped = [...this.#mine].filter((k) => !mine.has(k));
      this.#mine = mine;
      // A target handed to a peer keeps this node's last observation until the peer has its
      // own (or two probe intervals passed): the site never goes silent on it in between.
      const now = Date.now();
      for (const key of dropped) this.#handoff.set(key, now + Math.max(2000, 2000 * (this.#targets.get(key)?.monitor.interval ?? 1)));
      this.#log.info({ probing: mine.size, targets: this.#targets.size }, 'fleet: probe share changed');
      for (const listener of this.#scopeListeners) listener();
      // Targets kept and already known locally are observations at once.
      const local = server.health.snapshot();
      for (const key of mine) this.#publishOwn(key, local.get(key));
    }
    this.#settleHandoffs();
    const changes = new Map<string, TargetHealth>();
    const next = new Map<string, Verdict>();
    const own = this.store.own();
    const all = this.store.observations();
    const locations = siteLocations(this.#liveMembers().values());
    for (const key of this.#targets.keys()) {
      const list: Observation[] = [];
      const ownRecord = own.get(key);
      const ownObservation: Observation | null = ownRecord
        ? {
            node: this.#opts.node,
            site: ownRecord.site,
            up: ownRecord.up,
            reason: ownRecord.reason,
            rttMs: ownRecord.rttMs,
            revision: 0,
            smoothed: ownRecord.smoothed ?? null,
          }
        : null;
      if (this.#degraded && ownObservation) list.push(ownObservation);
      else {
        for (const o of all.get(key)?.values() ?? []) if (o.node !== this.#opts.node) list.push(o);
        if (ownObservation) list.push({ ...ownObservation, revision: all.get(key)?.get(this.#opts.node)?.revision ?? 0 });
      }
      const verdict = fleetVerdict(list, this.#targets.get(key)?.monitor.quorum ?? 'majority');
      next.set(key, verdict);
      const before = this.#snapshot.get(key);
      // Each site's RTT as its probers published it, for dynamic steering (kept as the same
      // array while unchanged: preparation compares it by reference).
      const computed = siteRtts(list, locations, this.#opts.site);
      const sites = sameSiteRtts(before?.sites, computed) ? before?.sites : computed;
      if (
        before &&
        before.up === verdict.up &&
        before.known === verdict.known &&
        before.reason === verdict.reason &&
        before.sites === sites
      )
        continue;
      const transition = before !== undefined && before.up !== verdict.up;
      changes.set(
        key,
        Object.freeze({
          up: verdict.up,
          known: verdict.known,
          since: transition || !before ? Date.now() : before.since,
          reason: verdict.reason,
          lastResult: null,
          ...(sites === undefined ? {} : { sites }),
        }),
      );
      if (transition) {
        const fields = { key, reason: verdict.reason, votes: verdict.sites.map((s) => `${s.site}:${s.up ? 'up' : 'down'}`) };
        if (verdict.up) this.#log.info(fields, 'fleet: target up');
        else this.#log.warn(fields, 'fleet: target down');
      }
    }
    this.#verdicts = next;
    const removed = [...this.#served].some((k) => !this.#targets.has(k));
    if (changes.size === 0 && !removed) return;
    this.#snapshot = removed
      ? TableSnapshot.of(
          this.#snapshot.generation + 1,
          [...this.#targets.keys()].map((k) => [k, changes.get(k) ?? this.#snapshot.get(k)!] as const),
        )
      : this.#snapshot.with(changes);
    this.#served = new Set(this.#targets.keys());
    server.setHealth(this.#snapshot);
    this.emit('verdicts');
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}
