// Weight ramps, the pure part: the weight after some time, and a config with some origin
// weights replaced. The controller (ramps.ts) owns the clock, the state and the aborts.
import type { LbPool, LbZoneConfig, LoadBalancer } from './types.js';

/**
 * The weight `elapsedMs` into a ramp from `from` to `to`: it moves once per `stepMs`, in
 * ceil(over / step) equal steps, and is exactly `to` from `overMs` on. Never outside [from, to].
 */
export function rampWeight(from: number, to: number, overMs: number, stepMs: number, elapsedMs: number): number {
  if (!(elapsedMs > 0)) return from;
  if (elapsedMs >= overMs) return to;
  const steps = Math.max(1, Math.ceil(overMs / stepMs));
  const done = Math.min(steps, Math.floor(elapsedMs / stepMs));
  if (done >= steps) return to;
  const w = from + ((to - from) * done) / steps;
  // Rounding must not step outside the bounds.
  const rounded = Math.round(w * 1000) / 1000;
  return Math.min(Math.max(rounded, Math.min(from, to)), Math.max(from, to));
}

/** Key of an origin in weight maps: pool and origin name. */
export const originWeightKey = (pool: string, origin: string): string => `${pool}\u0000${origin}`;

/**
 * `config` with the given origin weights (by originWeightKey); pools without a change are
 * shared. Returns `config` itself when nothing differs.
 */
export function withOriginWeights(config: LbZoneConfig, weights: ReadonlyMap<string, number>): LbZoneConfig {
  let pools: Map<string, LbPool> | null = null;
  for (const pool of config.pools.values()) {
    if (
      !pool.origins.some(
        (o) => weights.has(originWeightKey(pool.name, o.name)) && weights.get(originWeightKey(pool.name, o.name)) !== o.weight,
      )
    ) {
      continue;
    }
    const origins = pool.origins.map((o) => {
      const w = weights.get(originWeightKey(pool.name, o.name));
      return w === undefined || w === o.weight ? o : Object.freeze({ ...o, weight: w });
    });
    pools ??= new Map(config.pools);
    pools.set(pool.name, Object.freeze({ ...pool, origins: Object.freeze(origins) }));
  }
  return pools === null ? config : Object.freeze({ ...config, pools });
}

/** Key of a pool weight in weight maps: load balancer owner and pool name. */
export const poolWeightKey = (owner: string, pool: string): string => `${owner}\u0000${pool}`;

/**
 * `config` with the given pool weights (by poolWeightKey) in each load balancer and in the rule
 * variants that inherit its ramped entry (a rule that sets its own weight keeps it). Returns
 * `config` itself when nothing differs.
 */
export function withPoolWeights(config: LbZoneConfig, weights: ReadonlyMap<string, number>): LbZoneConfig {
  if (weights.size === 0) return config;
  let lbs: Map<string, LoadBalancer> | null = null;
  for (const [owner, lb] of config.loadBalancers) {
    const next = reweighted(lb, owner, weights);
    if (next === lb) continue;
    lbs ??= new Map(config.loadBalancers);
    lbs.set(owner, next);
  }
  return lbs === null ? config : Object.freeze({ ...config, loadBalancers: lbs });
}

function reweighted(lb: LoadBalancer, owner: string, weights: ReadonlyMap<string, number>): LoadBalancer {
  let poolWeights: Map<string, number> | null = null;
  for (const pool of lb.poolRamps.keys()) {
    const w = weights.get(poolWeightKey(owner, pool));
    if (w === undefined || w === lb.poolWeights.get(pool)) continue;
    poolWeights ??= new Map(lb.poolWeights);
    poolWeights.set(pool, w);
  }
  let variants: Map<number, LoadBalancer> | null = null;
  for (const [mask, variant] of lb.rules?.variants ?? []) {
    const next = reweighted(variant, owner, weights);
    if (next === variant) continue;
    variants ??= new Map(lb.rules!.variants);
    variants.set(mask, next);
  }
  if (poolWeights === null && variants === null) return lb;
  return Object.freeze({
    ...lb,
    ...(poolWeights === null ? {} : { poolWeights }),
    ...(variants === null ? {} : { rules: Object.freeze({ ...lb.rules!, variants }) }),
  });
}
