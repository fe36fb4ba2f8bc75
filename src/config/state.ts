// The serving state: one immutable object that every query reads once, replaced whole on a
// reload, a health transition or a GeoIP reload. A query therefore sees either the old or the
// new configuration, never a mix. A health change replaces only the prepared load balancers it
// touches; the new state shares everything else with the old one.
import { EventEmitter } from 'node:events';
import type { AsnDatabase, GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot } from '../health/types.js';
import { prepareLb, prepareLbChanges, type PreparedLbZone } from '../lb/prepare.js';
import type { LbZoneConfig } from '../lb/types.js';
import type { ZoneSigning } from '../dnssec/zone-signing.js';
import type { Zone } from '../zone/types.js';
import { ZoneSet } from '../zone/zone-set.js';

/** Everything loaded for one origin: its zone file and, optionally, its load-balancer file. */
export interface OriginConfig {
  readonly origin: string;
  readonly zone: Zone;
  readonly lb: LbZoneConfig | null;
  readonly zoneFile: string;
  readonly lbFile: string | null;
  readonly loadedAt: number;
  /** The zone's DNSSEC keys, when it has a keys directory (--keys); absent or null: unsigned. */
  readonly signing?: ZoneSigning | null;
}

export interface ServingState {
  /** Bumps on every swap. */
  readonly generation: number;
  /** Bumps only when zone or LB files change. */
  readonly configGeneration: number;
  readonly zones: ZoneSet;
  readonly origins: ReadonlyMap<string, OriginConfig>;
  /** Load balancers prepared for `health`, by origin. */
  readonly lb: ReadonlyMap<string, PreparedLbZone>;
  readonly health: HealthSnapshot;
  readonly geo: GeoDatabase | null;
  /** GeoLite2-ASN database (--asn-db), or null. */
  readonly asn: AsnDatabase | null;
}

export class StateHolder extends EventEmitter {
  #current: ServingState;
  /** The newest health snapshot not yet published; null when `#current` has the newest. */
  #pendingHealth: HealthSnapshot | null = null;
  #flushScheduled = false;
  readonly #flushSoon = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };

  constructor(health: HealthSnapshot, geo: GeoDatabase | null, asn: AsnDatabase | null = null) {
    super();
    this.#current = buildState(0, 0, new Map(), health, geo, asn);
  }

  /**
   * The state to answer from. A health snapshot handed to setHealth() is always in it: reading
   * publishes a pending one first, so an answer changes the moment health does.
   */
  get current(): ServingState {
    if (this.#pendingHealth !== null) this.flush();
    return this.#current;
  }

  setOrigins(origins: ReadonlyMap<string, OriginConfig>): void {
    const s = this.#current;
    // Everything is prepared from scratch here, so a pending health snapshot is simply used.
    const health = this.#pendingHealth ?? s.health;
    this.#pendingHealth = null;
    this.swap(buildState(s.generation + 1, s.configGeneration + 1, origins, health, s.geo, s.asn));
  }

  /**
   * Serve with `health` from now on. Snapshots arriving in one burst (the probe results of one
   * event-loop turn) are published together: at the end of the turn (setImmediate), or at once
   * when the state is read before that. A publish prepares again only the load balancers whose
   * origins changed up/down state (prepareLbChanges); the rest of the state is reused.
   */
  setHealth(health: HealthSnapshot): void {
    this.#pendingHealth = health;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Publishes the pending health snapshot now, if there is one. */
  flush(): void {
    const health = this.#pendingHealth;
    if (health === null) return;
    this.#pendingHealth = null;
    const s = this.#current;
    if (health === s.health) return;
    this.swap({ ...s, generation: s.generation + 1, health, lb: prepareChanges(s.origins, s.lb, s.health, health) });
  }

  setGeo(geo: GeoDatabase | null): void {
    // A pending health snapshot stays pending: it is published against the health of #current.
    const s = this.#current;
    this.swap({ ...s, generation: s.generation + 1, geo });
  }

  setAsn(asn: AsnDatabase | null): void {
    const s = this.#current;
    this.swap({ ...s, generation: s.generation + 1, asn });
  }

  private swap(next: ServingState): void {
    this.#current = Object.freeze(next);
    this.emit('swap', next);
  }
}

function buildState(
  generation: number,
  configGeneration: number,
  origins: ReadonlyMap<string, OriginConfig>,
  health: HealthSnapshot,
  geo: GeoDatabase | null,
  asn: AsnDatabase | null,
): ServingState {
  return Object.freeze({
    generation,
    configGeneration,
    zones: new ZoneSet(
      [...origins.values()].map((o) => o.zone),
      configGeneration,
    ),
    origins,
    lb: prepareAll(origins, health),
    health,
    geo,
    asn,
  });
}

function prepareAll(origins: ReadonlyMap<string, OriginConfig>, health: HealthSnapshot): ReadonlyMap<string, PreparedLbZone> {
  const out = new Map<string, PreparedLbZone>();
  for (const o of origins.values()) if (o.lb) out.set(o.origin, prepareLb(o.lb, health));
  return out;
}

/**
 * `prev` (prepared for `before`) brought up to `health`, zone by zone; a zone nothing changed in
 * keeps its PreparedLbZone, and when no zone changed `prev` itself is returned. The keys to
 * look at come from the snapshot (O(changes)) when it can tell, else every monitored key.
 */
function prepareChanges(
  origins: ReadonlyMap<string, OriginConfig>,
  prev: ReadonlyMap<string, PreparedLbZone>,
  before: HealthSnapshot,
  health: HealthSnapshot,
): ReadonlyMap<string, PreparedLbZone> {
  const candidates = health.changedSince?.(before) ?? null;
  if (candidates !== null && candidates.length === 0) return prev;
  let out: Map<string, PreparedLbZone> | null = null;
  for (const o of origins.values()) {
    if (!o.lb) continue;
    const old = prev.get(o.origin);
    const next = old === undefined || old.config !== o.lb ? prepareLb(o.lb, health) : prepareLbChanges(old, before, health, candidates);
    if (next === old) continue;
    out ??= new Map(prev);
    out.set(o.origin, next);
  }
  return out ?? prev;
}
