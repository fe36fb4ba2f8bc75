// Trace wording shared by the policies (only called when a trace is being recorded).
import type { PreparedLb, PreparedPool } from '../prepare.js';

export function poolState(pool: PreparedPool): string {
  const h = pool.health;
  if (!h.enabled) return `${pool.name} disabled`;
  return `${pool.name} ${h.healthy ? 'healthy' : 'unhealthy'} (${h.upOrigins.length}/${h.enabledOrigins.length} origins up, minimum ${h.minimumOrigins})`;
}

/** "us-east unhealthy (0/2 …), eu-west healthy (2/2 …)" up to and including the first healthy pool. */
export function listState(p: PreparedLb, indices: readonly number[]): string {
  const out: string[] = [];
  for (const i of indices) {
    const pool = p.pools[i]!;
    out.push(poolState(pool));
    if (pool.healthy) break;
  }
  return out.join('; ');
}

export function namesState(p: PreparedLb, names: readonly string[]): string {
  return listState(
    p,
    names.map((n) => p.pools.findIndex((pool) => pool.name === n)),
  );
}
