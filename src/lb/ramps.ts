// Weight ramps over time: which origins ramp, from which weight, since when, and whether they
// finished or were aborted. The served configuration is the loaded one with the ramped weights
// put in (ramp.ts); the server swaps it in at every step. Clock and timer are injectable so
// tests run an hour-long ramp in milliseconds.
import type { OriginConfig } from '../config/state.js';
import type { HealthSnapshot } from '../health/types.js';
import type { NotifyEvent } from '../notify/types.js';
import { evaluatePool } from './prepare.js';
import { originWeightKey, poolWeightKey, rampWeight, withOriginWeights, withPoolWeights } from './ramp.js';
import type { LbPool, LbZoneConfig, RampSpec } from './types.js';

export type RampState = 'running' | 'done' | 'aborted';

export interface RampStatus {
  readonly zone: string;
  /** An origin's weight in its pool, or a pool's weight in a load balancer. */
  readonly kind: 'origin' | 'pool';
  readonly pool: string;
  /** The ramped origin; '' for a pool ramp. */
  readonly origin: string;
  /** The load balancer (owner name) of a pool ramp; '' for an origin ramp. */
  readonly loadBalancer: string;
  readonly from: number;
  readonly to: number;
  readonly weight: number;
  readonly state: RampState;
  readonly startedAt: number;
  readonly endsAt: number;
  readonly reason: string;
}

export interface RampClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

const realClock: RampClock = {
  now: Date.now,
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** What a ramp moves, and where it sits in the configuration. */
interface RampSubject {
  readonly key: string;
  readonly zone: string;
  readonly kind: 'origin' | 'pool';
  readonly pool: string;
  readonly origin: string;
  readonly loadBalancer: string;
  readonly spec: RampSpec;
  /** Health keys of the ramped origin, or of the pool's origins (error rate). */
  readonly healthKeys: readonly string[];
}

interface Ramp extends RampSubject {
  /** What the file says (file weight, ramp, probed origins): a change restarts the ramp. */
  readonly specId: string;
  /** Why the ramped thing is unhealthy now, or null; reset from the served config on every apply. */
  down: (health: HealthSnapshot) => string | null;
  from: number;
  startedAt: number;
  weight: number;
  state: RampState;
  reason: string;
}

export interface RampControllerOptions {
  readonly clock?: RampClock;
  /** A step is due (or health may abort a ramp): serve apply(current origins) now. */
  readonly onTick: () => void;
  /** A ramp finished or was aborted. */
  readonly onEvent: (event: NotifyEvent) => void;
  /** Failed and total probes of these health keys over the last `windowMs` (the health table's counts). */
  readonly probeCounts?: (keys: readonly string[], windowMs: number) => { readonly failed: number; readonly total: number };
}

/** The subject of a ramp as the file gives it, and how to tell it went bad. */
interface RampTarget extends RampSubject {
  readonly fileWeight: number;
  readonly down: (health: HealthSnapshot) => string | null;
}

const originDown =
  (healthKey: string | null) =>
  (health: HealthSnapshot): string | null =>
    healthKey !== null && !health.isUp(healthKey) ? `origin unhealthy (${health.get(healthKey)?.reason ?? 'down'})` : null;

const poolDown =
  (pool: LbPool | undefined) =>
  (health: HealthSnapshot): string | null => {
    if (pool === undefined) return null;
    const h = evaluatePool(pool, health);
    return h.healthy ? null : `pool unhealthy (${h.upOrigins.length} of ${pool.minimumOrigins} origins up)`;
  };

export class RampController {
  readonly #clock: RampClock;
  readonly #onTick: () => void;
  readonly #onEvent: (event: NotifyEvent) => void;
  readonly #probeCounts: RampControllerOptions['probeCounts'];
  #ramps = new Map<string, Ramp>();
  /** Served (ramped) config → the config as loaded, so a reload that kept a zone finds its base. */
  readonly #bases = new WeakMap<LbZoneConfig, LbZoneConfig>();
  #cancelTimer: (() => void) | null = null;

  constructor(options: RampControllerOptions) {
    this.#clock = options.clock ?? realClock;
    this.#onTick = options.onTick;
    this.#onEvent = options.onEvent;
    this.#probeCounts = options.probeCounts;
  }

  /** True while some ramp still runs (health changes may abort it). */
  get active(): boolean {
    for (const r of this.#ramps.values()) if (r.state === 'running') return true;
    return false;
  }

  /**
   * The origins to serve: `origins` (as loaded, or as served before) with every ramp's current
   * weight. New ramps start from the file weight; a ramp whose file entry changed restarts from
   * the weight it had reached; a running ramp whose origin is down goes back to its start.
   * Returns `origins` itself when no weight differs from what it holds.
   */
  apply(origins: ReadonlyMap<string, OriginConfig>, health: HealthSnapshot): ReadonlyMap<string, OriginConfig> {
    const now = this.#clock.now();
    const seen = new Set<string>();
    let out: Map<string, OriginConfig> | null = null;
    for (const [name, o] of origins) {
      if (!o.lb) continue;
      const base = this.#bases.get(o.lb) ?? o.lb;
      const weights = new Map<string, number>();
      for (const pool of base.pools.values()) {
        for (const origin of pool.origins) {
          if (!origin.ramp) continue;
          const r = this.#track(
            {
              key: `${base.origin}\u0000origin\u0000${originWeightKey(pool.name, origin.name)}`,
              zone: base.origin,
              kind: 'origin',
              pool: pool.name,
              origin: origin.name,
              loadBalancer: '',
              fileWeight: origin.weight,
              spec: origin.ramp,
              healthKeys: origin.healthKey === null ? [] : [origin.healthKey],
              down: originDown(origin.healthKey),
            },
            now,
          );
          seen.add(r.key);
          this.#advance(r, health, now);
          weights.set(originWeightKey(pool.name, origin.name), r.weight);
        }
      }
      const poolWeights = new Map<string, number>();
      for (const [owner, lb] of base.loadBalancers) {
        for (const [poolName, spec] of lb.poolRamps) {
          const pool = base.pools.get(poolName);
          const r = this.#track(
            {
              key: `${base.origin}\u0000pool\u0000${poolWeightKey(owner, poolName)}`,
              zone: base.origin,
              kind: 'pool',
              pool: poolName,
              origin: '',
              loadBalancer: owner,
              fileWeight: lb.poolWeights.get(poolName) ?? 0,
              spec,
              healthKeys: (pool?.origins ?? []).filter((o) => o.enabled && o.healthKey !== null).map((o) => o.healthKey!),
              down: poolDown(pool),
            },
            now,
          );
          seen.add(r.key);
          this.#advance(r, health, now);
          poolWeights.set(poolWeightKey(owner, poolName), r.weight);
        }
      }
      const served = withPoolWeights(withOriginWeights(base, weights), poolWeights);
      if (served !== base) this.#bases.set(served, base);
      if (served !== o.lb) {
        out ??= new Map(origins);
        out.set(name, { ...o, lb: served });
      }
    }
    for (const key of this.#ramps.keys()) if (!seen.has(key)) this.#ramps.delete(key);
    this.#schedule(now);
    return out ?? origins;
  }

  statuses(): RampStatus[] {
    return [...this.#ramps.values()].map((r) => ({
      zone: r.zone,
      kind: r.kind,
      pool: r.pool,
      origin: r.origin,
      loadBalancer: r.loadBalancer,
      from: r.from,
      to: r.spec.to,
      weight: r.weight,
      state: r.state,
      startedAt: r.startedAt,
      endsAt: r.startedAt + r.spec.overMs,
      reason: r.reason,
    }));
  }

  close(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
  }

  #track(t: RampTarget, now: number): Ramp {
    const specId = JSON.stringify([t.fileWeight, t.spec.to, t.spec.overMs, t.spec.stepMs, t.spec.abortIf, t.healthKeys]);
    const old = this.#ramps.get(t.key);
    if (old !== undefined && old.specId === specId) {
      old.down = t.down;
      return old;
    }
    // A changed ramp restarts from where the old one stood; a new one from the file's weight.
    const from = old === undefined ? t.fileWeight : old.weight;
    const r: Ramp = {
      key: t.key,
      zone: t.zone,
      kind: t.kind,
      pool: t.pool,
      origin: t.origin,
      loadBalancer: t.loadBalancer,
      spec: t.spec,
      specId,
      healthKeys: t.healthKeys,
      down: t.down,
      from,
      startedAt: now,
      weight: from,
      state: 'running',
      reason: 'ramping',
    };
    this.#ramps.set(t.key, r);
    return r;
  }

  #advance(r: Ramp, health: HealthSnapshot, now: number): void {
    if (r.state !== 'running') return;
    const why = this.#abortReason(r, health);
    if (why !== null) {
      const reached = r.weight;
      r.weight = r.from;
      r.state = 'aborted';
      r.reason = `${why} at weight ${reached}; back to ${r.from}`;
      this.#emit(r, 'aborted', now);
      return;
    }
    r.weight = rampWeight(r.from, r.spec.to, r.spec.overMs, r.spec.stepMs, now - r.startedAt);
    if (now - r.startedAt >= r.spec.overMs) {
      r.weight = r.spec.to;
      r.state = 'done';
      r.reason = `reached ${r.spec.to}`;
      this.#emit(r, 'done', now);
    }
  }

  /** Why the ramp must stop now, or null. */
  #abortReason(r: Ramp, health: HealthSnapshot): string | null {
    const abortIf = r.spec.abortIf;
    if (abortIf === 'unhealthy') return r.down(health);
    if (this.#probeCounts === undefined || r.healthKeys.length === 0) return null;
    const { failed, total } = this.#probeCounts(r.healthKeys, abortIf.windowMs);
    if (total === 0 || failed / total <= abortIf.errorRateAbove) return null;
    return `error rate ${failed}/${total} probes over ${abortIf.windowMs / 1000}s above ${abortIf.errorRateAbove}`;
  }

  #emit(r: Ramp, state: RampState, at: number): void {
    this.#onEvent({
      kind: 'ramp',
      zone: r.zone,
      subject: r.kind === 'pool' ? `${r.loadBalancer} pool ${r.pool}` : `${r.pool}/${r.origin}`,
      oldState: 'running',
      newState: state,
      reason: r.reason,
      at,
    });
  }

  /** One timer, for the earliest next step of any running ramp. */
  #schedule(now: number): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    let next = Number.POSITIVE_INFINITY;
    for (const r of this.#ramps.values()) {
      if (r.state !== 'running') continue;
      const elapsed = now - r.startedAt;
      const step = Math.min(r.startedAt + (Math.floor(elapsed / r.spec.stepMs) + 1) * r.spec.stepMs, r.startedAt + r.spec.overMs);
      next = Math.min(next, step);
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#cancelTimer = this.#clock.setTimer(
      () => {
        this.#cancelTimer = null;
        this.#onTick();
      },
      Math.max(0, next - now),
    );
  }
}
