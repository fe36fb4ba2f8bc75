// Weight ramps over time: which origins ramp, from which weight, since when, and whether they
// finished or were aborted. The served configuration is the loaded one with the ramped weights
// put in (ramp.ts); the server swaps it in at every step. Clock and timer are injectable so
// tests run an hour-long ramp in milliseconds.
import type { OriginConfig } from '../config/state.js';
import type { HealthSnapshot } from '../health/types.js';
import type { NotifyEvent } from '../notify/types.js';
import { originWeightKey, rampWeight, withOriginWeights } from './ramp.js';
import type { LbZoneConfig, RampSpec } from './types.js';

export type RampState = 'running' | 'done' | 'aborted';

export interface RampStatus {
  readonly zone: string;
  readonly pool: string;
  readonly origin: string;
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

interface Ramp {
  readonly zone: string;
  readonly pool: string;
  readonly origin: string;
  readonly spec: RampSpec;
  /** What the file says (file weight and ramp): a change restarts the ramp. */
  readonly specId: string;
  readonly healthKey: string | null;
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
}

export class RampController {
  readonly #clock: RampClock;
  readonly #onTick: () => void;
  readonly #onEvent: (event: NotifyEvent) => void;
  #ramps = new Map<string, Ramp>();
  /** Served (ramped) config → the config as loaded, so a reload that kept a zone finds its base. */
  readonly #bases = new WeakMap<LbZoneConfig, LbZoneConfig>();
  #cancelTimer: (() => void) | null = null;

  constructor(options: RampControllerOptions) {
    this.#clock = options.clock ?? realClock;
    this.#onTick = options.onTick;
    this.#onEvent = options.onEvent;
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
          const key = `${base.origin}\u0000${originWeightKey(pool.name, origin.name)}`;
          seen.add(key);
          const r = this.#track(key, base.origin, pool.name, origin.name, origin.weight, origin.ramp, origin.healthKey, now);
          this.#advance(r, health, now);
          weights.set(originWeightKey(pool.name, origin.name), r.weight);
        }
      }
      const served = withOriginWeights(base, weights);
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
      pool: r.pool,
      origin: r.origin,
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

  #track(
    key: string,
    zone: string,
    pool: string,
    origin: string,
    fileWeight: number,
    spec: RampSpec,
    healthKey: string | null,
    now: number,
  ): Ramp {
    const specId = JSON.stringify([fileWeight, spec.to, spec.overMs, spec.stepMs, spec.abortIf]);
    const old = this.#ramps.get(key);
    if (old !== undefined && old.specId === specId && old.healthKey === healthKey) return old;
    // A changed ramp restarts from where the old one stood; a new one from the file's weight.
    const from = old === undefined ? fileWeight : old.weight;
    const r: Ramp = {
      zone,
      pool,
      origin,
      spec,
      specId,
      healthKey,
      from,
      startedAt: now,
      weight: from,
      state: 'running',
      reason: 'ramping',
    };
    this.#ramps.set(key, r);
    return r;
  }

  #advance(r: Ramp, health: HealthSnapshot, now: number): void {
    if (r.state !== 'running') return;
    if (r.spec.abortIf === 'unhealthy' && r.healthKey !== null && !health.isUp(r.healthKey)) {
      const why = health.get(r.healthKey)?.reason ?? 'down';
      const reached = r.weight;
      r.weight = r.from;
      r.state = 'aborted';
      r.reason = `origin unhealthy (${why}) at weight ${reached}; back to ${r.from}`;
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

  #emit(r: Ramp, state: RampState, at: number): void {
    this.#onEvent({
      kind: 'ramp',
      zone: r.zone,
      subject: `${r.pool}/${r.origin}`,
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
