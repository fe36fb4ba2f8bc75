// Overrides applied to a zone's LB configuration: the configuration the serving state prepares
// its load balancers from. The loaded configuration is left as it is (reloads and weight ramps
// keep working on it); this makes a copy with drained pools/origins disabled and forced health.
import type { LbOrigin, LbPool, LbZoneConfig } from '../lb/types.js';
import type { Override } from './types.js';

/** Precedence when several overrides hit one origin: drain, then force-down, then force-up. */
const RANK = { drain: 3, 'force-down': 2, 'force-up': 1 } as const;

export function applyOverrides(lb: LbZoneConfig, overrides: readonly Override[]): LbZoneConfig {
  const mine = overrides.filter((o) => o.zone === lb.origin);
  if (mine.length === 0) return lb;
  const byPool = new Map<string, Override['action']>();
  const byOrigin = new Map<string, Override['action']>();
  const strongest = (m: Map<string, Override['action']>, key: string, action: Override['action']): void => {
    const had = m.get(key);
    if (had === undefined || RANK[action] > RANK[had]) m.set(key, action);
  };
  for (const o of mine) {
    if (lb.pools.has(o.target)) strongest(byPool, o.target, o.action);
    else strongest(byOrigin, o.target, o.action);
  }
  const pools = new Map<string, LbPool>();
  for (const [name, pool] of lb.pools) {
    const poolAction = byPool.get(name);
    const origins = pool.origins.map((origin) => overridden(origin, poolAction, byOrigin.get(origin.name)));
    const changed = poolAction === 'drain' || origins.some((o, i) => o !== pool.origins[i]);
    pools.set(name, changed ? { ...pool, enabled: pool.enabled && poolAction !== 'drain', origins } : pool);
  }
  return { ...lb, pools };
}

function overridden(origin: LbOrigin, pool: Override['action'] | undefined, own: Override['action'] | undefined): LbOrigin {
  const action = pool === undefined ? own : own === undefined || RANK[pool] >= RANK[own] ? pool : own;
  if (action === undefined || (action === 'drain' && pool === 'drain')) return origin;
  if (action === 'drain') return { ...origin, enabled: false };
  return { ...origin, forced: action === 'force-up' ? 'up' : 'down' };
}
