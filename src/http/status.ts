// Builds the /api/v1/status document from a running server: zones from the serving state,
// load balancers as prepared for the current health, origin detail from the health table,
// recent traffic from the metrics. Off the query path; called per request.
import type { Fleet } from '../fleet/fleet.js';
import type { TargetStats } from '../health/table.js';
import type { HealthSnapshot } from '../health/types.js';
import { votesView } from './fleet-view.js';
import type { PreparedLb } from '../lb/prepare.js';
import type { LbOrigin } from '../lb/types.js';
import type { RunningServer } from '../server/server.js';
import type { ServingState } from '../config/state.js';
import { trafficKey, type SteerMetrics } from './metrics.js';
import type { TrafficSnapshot } from './traffic.js';
import type { DnssecStatus, LoadBalancerStatus, OriginStatus, PoolStatus, Status } from './status-schema.js';
import { dsText, keyStatus } from '../dnssec/describe.js';
import { isKsk, isPublished } from '../dnssec/key-set.js';
import type { Signer } from '../dnssec/signer.js';
import type { ZoneSigning } from '../dnssec/zone-signing.js';

/** Transitions listed, newest first. */
const TRANSITIONS_SHOWN = 50;

export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/**
 * Ready: zones loaded, the first probe round done and, when other processes answer the queries
 * (a cluster's workers), what `answering` says about them.
 */
export function readiness(server: RunningServer, answering?: () => Readiness): Readiness {
  if (server.state.current.origins.size === 0) return { ready: false, reason: 'no zones loaded' };
  if (!server.isReady()) return { ready: false, reason: 'waiting for the first probe round' };
  const workers = answering?.();
  if (workers && !workers.ready) return workers;
  return { ready: true, reason: `zones loaded and the first probe round done${workers ? `; ${workers.reason}` : ''}` };
}

export interface StatusSources {
  /** Traffic to show instead of the metrics' own (a cluster primary sums its workers'). */
  readonly traffic?: TrafficSnapshot | null;
  readonly answering?: () => Readiness;
  /** Fleet mode: health is the fleet's verdict, and each origin carries the votes. */
  readonly fleet?: Fleet | null;
}

export function buildStatus(server: RunningServer, metrics: SteerMetrics | null, now = Date.now(), sources: StatusSources = {}): Status {
  const state = server.state.current;
  const stats = new Map(server.health.stats().map((s) => [s.key, s]));
  const traffic = sources.traffic ?? metrics?.traffic.snapshot() ?? null;
  const { ready, reason } = readiness(server, sources.answering);

  const loadBalancers: LoadBalancerStatus[] = [];
  for (const zone of [...state.lb.values()].sort((a, b) => cmp(a.origin, b.origin))) {
    for (const p of [...zone.loadBalancers.values()].sort((a, b) => cmp(a.owner, b.owner))) {
      const pools: PoolStatus[] = p.pools.map((pool) => {
        const config = zone.config.pools.get(pool.name);
        return {
          name: pool.name,
          description: config?.description ?? '',
          enabled: pool.health.enabled,
          healthy: pool.healthy,
          roles: rolesOf(p, pool.name),
          monitor: config?.monitor ?? null,
          minimumOrigins: pool.health.minimumOrigins,
          upOrigins: pool.health.upOrigins.length,
          enabledOrigins: pool.health.enabledOrigins.length,
          answers: traffic ? traffic.counts(trafficKey(zone.origin, p.owner, pool.name)) : [],
          origins: (config?.origins ?? []).map((o) => originStatus(o, stats, state.health, sources.fleet ?? null)),
        };
      });
      loadBalancers.push({
        zone: zone.origin,
        name: p.lb.name,
        owner: p.owner,
        description: p.lb.description,
        policy: p.policy,
        recordType: p.recordType,
        ttl: p.ttl,
        defaultPools: [...p.lb.defaultPools],
        fallbackPool: p.lb.fallbackPool,
        primaryPool: p.firstHealthyDefault >= 0 ? p.pools[p.firstHealthyDefault]!.name : null,
        state: lbState(p),
        traffic: {
          bucketSeconds: traffic?.bucketSeconds ?? 10,
          buckets: metrics?.traffic.size ?? 0,
          bucketStarts: traffic ? [...traffic.bucketStarts] : [],
        },
        pools,
        dynamic: dynamicOf(p),
        rules: rulesOf(p),
      });
    }
  }

  const lastReload = metrics?.lastReload ?? null;
  return {
    version: 1,
    generatedAt: now,
    ready,
    readiness: reason,
    configGeneration: state.configGeneration,
    healthGeneration: state.health.generation,
    lastReload: lastReload && {
      ...lastReload,
      loaded: [...lastReload.loaded],
      kept: [...lastReload.kept],
      removed: [...lastReload.removed],
      errors: [...lastReload.errors],
    },
    ramps: server.ramps.statuses().map((r) => ({ ...r, startedAt: Math.round(r.startedAt), endsAt: Math.round(r.endsAt) })),
    notifications: server.notifier
      .stats()
      .map((d) => ({ ...d, lastDeliveredAt: d.lastDeliveredAt === null ? null : Math.round(d.lastDeliveredAt) })),
    overrides: server.overrides.list().map((o) => ({ ...o })),
    externalHealth: {
      reports: server.external.states().map((r) => ({
        target: r.key,
        up: r.up,
        reason: r.reason,
        source: r.source,
        at: Math.round(r.at),
        expiresAt: r.expiresAt === null ? null : Math.round(r.expiresAt),
      })),
      files: server.external.files().map((f) => ({ ...f, appliedAt: f.appliedAt === null ? null : Math.round(f.appliedAt) })),
    },
    zones: [...state.origins.values()]
      .sort((a, b) => cmp(a.origin, b.origin))
      .map((o) => ({
        name: o.origin,
        serial: o.zone.serial,
        records: o.zone.recordCount,
        loadedAt: Math.round(o.loadedAt),
        file: o.zoneFile,
        lbFile: o.lbFile,
        loadBalancers: o.lb?.loadBalancers.size ?? 0,
        dnssec: o.signing ? dnssecStatus(o.signing, server.pipeline.signer, now) : null,
      })),
    loadBalancers,
    transitions: transitions(server, state),
    transfers: server.transfers && {
      zones: server.transfers.status().map((z) => ({ ...z, notify: [...z.notify] })),
      counts: server.transfers.counters(),
    },
  };
}

/** steering_policy dynamic: the comparison, and in a fleet each site's. */
function dynamicOf(p: PreparedLb): LoadBalancerStatus['dynamic'] {
  if (p.policy !== 'dynamic') return null;
  return {
    comparison: p.dynamicNote,
    home: p.dynamicHome?.site ?? null,
    byLocation: p.dynamicByLocation,
    sites: p.dynamicSites.map((s) => ({
      site: s.site,
      own: s.own,
      latitude: s.latitude,
      longitude: s.longitude,
      chosen: s.dynamic.map((i) => p.pools[i]!.name),
      rtts: s.rtts.map((r) => ({ ...r })),
    })),
  };
}

function originStatus(o: LbOrigin, stats: ReadonlyMap<string, TargetStats>, served: HealthSnapshot, fleet: Fleet | null): OriginStatus {
  const local = originStatusOf(o, stats);
  if (fleet === null || o.healthKey === null || !o.enabled) return local;
  // Fleet mode: the state served is the fleet's verdict; probe counters are this node's, if it probes.
  const h = served.get(o.healthKey);
  const v = fleet.verdict(o.healthKey);
  return {
    ...local,
    health: h === undefined || !h.known ? 'unknown' : h.up ? 'up' : 'down',
    since: h === undefined ? null : Math.round(h.since),
    reason: h?.reason ?? local.reason,
    votes: v ? votesView(v) : null,
  };
}

function originStatusOf(o: LbOrigin, stats: ReadonlyMap<string, TargetStats>): OriginStatus {
  const base = { name: o.name, address: o.address, weight: o.weight, enabled: o.enabled, target: o.healthKey };
  const s = o.healthKey === null ? undefined : stats.get(o.healthKey);
  if (!o.enabled) {
    return {
      ...base,
      health: 'drained',
      since: null,
      reason: 'drained (enabled: false)',
      lastProbe: null,
      probesPassed: 0,
      probesFailed: 0,
    };
  }
  if (o.healthKey === null) {
    return {
      ...base,
      health: 'unmonitored',
      since: null,
      reason: 'no monitor: always up',
      lastProbe: null,
      probesPassed: 0,
      probesFailed: 0,
    };
  }
  if (s === undefined) {
    return { ...base, health: 'unknown', since: null, reason: 'not probed yet', lastProbe: null, probesPassed: 0, probesFailed: 0 };
  }
  return {
    ...base,
    health: !s.known ? 'unknown' : s.up ? 'up' : 'down',
    since: Math.round(s.since),
    reason: s.reason,
    lastProbe: s.lastResult && {
      ok: s.lastResult.ok,
      reason: s.lastResult.reason,
      durationMs: s.lastResult.durationMs,
      at: Math.round(s.lastResult.at),
    },
    probesPassed: s.probesPassed,
    probesFailed: s.probesFailed,
  };
}

function rulesOf(p: PreparedLb): LoadBalancerStatus['rules'] {
  if (p.rules === null) return [];
  const variants = p.rules.variants;
  return p.rules.rules.map((r) => {
    const alone = variants.get(2 ** r.index) ?? p;
    return {
      name: r.name,
      condition: r.text,
      continue: r.continue,
      policy: alone.policy,
      primaryPool: alone.firstHealthyDefault >= 0 ? alone.pools[alone.firstHealthyDefault]!.name : null,
    };
  });
}

function rolesOf(p: PreparedLb, pool: string): PoolStatus['roles'] {
  const roles: PoolStatus['roles'] = [];
  if (p.lb.defaultPools.includes(pool)) roles.push('default');
  if (p.lb.fallbackPool === pool) roles.push('fallback');
  if (roles.length === 0) roles.push('rule');
  return roles;
}

function lbState(p: PreparedLb): LoadBalancerStatus['state'] {
  const healthyDefaults = p.defaultOrder.filter((i) => p.pools[i]!.healthy).length;
  if (healthyDefaults === p.defaultOrder.length && healthyDefaults > 0) return 'ok';
  if (healthyDefaults > 0) return 'degraded';
  return p.fallback >= 0 ? 'fallback' : 'down';
}

function transitions(server: RunningServer, state: ServingState): Status['transitions'] {
  // Target key → the origins that read their health from it, in the current configuration.
  const users = new Map<string, { zone: string; pool: string; origin: string }[]>();
  for (const o of state.origins.values()) {
    for (const pool of o.lb?.pools.values() ?? []) {
      for (const origin of pool.origins) {
        if (origin.healthKey === null) continue;
        let list = users.get(origin.healthKey);
        if (list === undefined) {
          list = [];
          users.set(origin.healthKey, list);
        }
        list.push({ zone: o.origin, pool: pool.name, origin: origin.name });
      }
    }
  }
  return server.health
    .recentTransitions()
    .slice(-TRANSITIONS_SHOWN)
    .reverse()
    .map((t) => ({
      at: Math.round(t.at),
      target: t.key,
      up: t.up,
      previousUp: t.previousUp,
      reason: t.reason,
      origins: users.get(t.key) ?? [],
    }));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A zone's keys as they stand now, its DS records, and when its first cached signature expires. */
function dnssecStatus(signing: ZoneSigning, signer: Signer, now: number): DnssecStatus {
  const keys = signing.keySet.keys.map((k) => keyStatus(k, now));
  return {
    keys,
    ds: signing.keySet.keys.filter((k) => isKsk(k) && isPublished(k, now)).map(dsText),
    nextSignatureExpiry: signer.earliestExpiry(signing.zone),
  };
}
