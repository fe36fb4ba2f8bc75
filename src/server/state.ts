// The serving state: one immutable object that every query reads once, replaced whole on a
// reload, a health transition or a GeoIP reload. A query therefore sees either the old or the
// new configuration, never a mix.
import { EventEmitter } from 'node:events';
import type { GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot } from '../health/types.js';
import { prepareLb, type PreparedLbZone } from '../lb/prepare.js';
import type { LbZoneConfig } from '../lb/types.js';
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
}

export class StateHolder extends EventEmitter {
  current: ServingState;

  constructor(health: HealthSnapshot, geo: GeoDatabase | null) {
    super();
    this.current = buildState(0, 0, new Map(), health, geo);
  }

  setOrigins(origins: ReadonlyMap<string, OriginConfig>): void {
    const s = this.current;
    this.swap(buildState(s.generation + 1, s.configGeneration + 1, origins, s.health, s.geo));
  }

  setHealth(health: HealthSnapshot): void {
    const s = this.current;
    if (health === s.health) return;
    this.swap({ ...s, generation: s.generation + 1, health, lb: prepareAll(s.origins, health) });
  }

  setGeo(geo: GeoDatabase | null): void {
    const s = this.current;
    this.swap({ ...s, generation: s.generation + 1, geo });
  }

  private swap(next: ServingState): void {
    this.current = Object.freeze(next);
    this.emit('swap', next);
  }
}

function buildState(
  generation: number,
  configGeneration: number,
  origins: ReadonlyMap<string, OriginConfig>,
  health: HealthSnapshot,
  geo: GeoDatabase | null,
): ServingState {
  return Object.freeze({
    generation,
    configGeneration,
    zones: new ZoneSet([...origins.values()].map((o) => o.zone), configGeneration),
    origins,
    lb: prepareAll(origins, health),
    health,
    geo,
  });
}

function prepareAll(origins: ReadonlyMap<string, OriginConfig>, health: HealthSnapshot): ReadonlyMap<string, PreparedLbZone> {
  const out = new Map<string, PreparedLbZone>();
  for (const o of origins.values()) if (o.lb) out.set(o.origin, prepareLb(o.lb, health));
  return out;
}
