// Weight ramps, the pure part: the weight after some time, and a config with some origin
// weights replaced. The controller (ramps.ts) owns the clock, the state and the aborts.
import type { LbPool, LbZoneConfig } from './types.js';

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
