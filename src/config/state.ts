// The serving state: one immutable object that every query reads once, replaced whole on a
// reload, a health transition or a GeoIP reload. A query therefore sees either the old or the
// new configuration, never a mix. A health change replaces only the prepared load balancers it
// touches; the new state shares everything else with the old one.
import { EventEmitter } from 'node:events';
import type { AsnDatabase, GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot } from '../health/types.js';
import { prepareLb, prepareLbChanges, type PreparedLbZone } from '../lb/prepare.js';
import type { LbZoneConfig } from '../lb/types.js';
import { applyOverrides } from '../overrides/apply.js';
import type { Override } from '../overrides/types.js';
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
  /** Operator overrides in force; the prepared load balancers (`lb`) apply them. */
  readonly overrides: readonly Override[];
}

/** The LB configuration to prepare: the loaded one with the overrides in force applied. */
type Effective = (lb: LbZoneConfig) => LbZoneConfig;

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
    this.#current = buildState(0, 0, new Map(), health, geo, asn, [], this.#effective);
  }

  /** Overridden configurations, one per loaded one, kept while the overrides stay the same. */
  #memo = new WeakMap<LbZoneConfig, LbZoneConfig>();
  readonly #effective: Effective = (lb) => {
    const overrides = this.#current?.overrides ?? [];
    if (overrides.length === 0) return lb;
    let out = this.#memo.get(lb);
    if (out === undefined) {
      out = applyOverrides(lb, overrides);
      this.#memo.set(lb, out);
    }
    return out;
  };

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
    this.swap(buildState(s.generation + 1, s.configGeneration + 1, origins, health, s.geo, s.asn, s.overrides, this.#effective));
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
    this.swap({ ...s, generation: s.generation + 1, health, lb: prepareChanges(s.origins, s.lb, s.health, health, this.#effective) });
  }

  /** Serve with these overrides from now on: the zones they touch (now or before) are prepared again. */
  setOverrides(overrides: readonly Override[]): void {
    this.flush();
    const s = this.#current;
    this.#memo = new WeakMap();
    const next: ServingState = { ...s, generation: s.generation + 1, overrides: Object.freeze([...overrides]) };
    this.#current = Object.freeze(next);
    const lb = new Map(s.lb);
    for (const o of s.origins.values()) if (o.lb) lb.set(o.origin, prepareLb(this.#effective(o.lb), s.health));
    this.swap({ ...next, lb });
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
  overrides: readonly Override[],
  effective: Effective,
): ServingState {
  return Object.freeze({
    generation,
    configGeneration,
    zones: new ZoneSet(
      [...origins.values()].map((o) => o.zone),
      configGeneration,
    ),
    origins,
    lb: prepareAll(origins, health, effective),
    health,
    geo,
    asn,
    overrides,
  });
}

function prepareAll(
  origins: ReadonlyMap<string, OriginConfig>,
  health: HealthSnapshot,
  effective: Effective,
): ReadonlyMap<string, PreparedLbZone> {
  const out = new Map<string, PreparedLbZone>();
  for (const o of origins.values()) if (o.lb) out.set(o.origin, prepareLb(effective(o.lb), health));
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
  effective: Effective,
): ReadonlyMap<string, PreparedLbZone> {
  const candidates = health.changedSince?.(before) ?? null;
  if (candidates !== null && candidates.length === 0) return prev;
  let out: Map<string, PreparedLbZone> | null = null;
  for (const o of origins.values()) {
    if (!o.lb) continue;
    const lb = effective(o.lb);
    const old = prev.get(o.origin);
    const next = old === undefined || old.config !== lb ? prepareLb(lb, health) : prepareLbChanges(old, before, health, candidates);
    if (next === old) continue;
    out ??= new Map(prev);
    out.set(o.origin, next);
  }
  return out ?? prev;
}
