// Which origins read their health from pushed (external) targets, directly or as a child of a
// calculated monitor: what the health API and health files address by (zone, origin name).
import type { ExternalBinding } from '../health/external.js';
import type { ProbeTarget } from '../health/types.js';
import type { LbZoneConfig } from './types.js';

export function externalBindings(config: LbZoneConfig): ExternalBinding[] {
  const byKey = new Map(config.probeTargets.map((t) => [t.key, t]));
  const out: ExternalBinding[] = [];
  const seen = new Set<string>();
  const walk = (origin: string, target: ProbeTarget | undefined, depth: number): void => {
    if (target === undefined || depth > byKey.size) return;
    if (target.monitor.external !== undefined) {
      const id = `${origin}\u0000${target.key}`;
      if (!seen.has(id)) {
        seen.add(id);
        out.push({ zone: config.origin, origin, target });
      }
    }
    for (const child of target.children ?? []) walk(origin, byKey.get(child), depth + 1);
  };
  for (const pool of config.pools.values()) {
    for (const o of pool.origins) if (o.healthKey !== null) walk(o.name, byKey.get(o.healthKey), 0);
  }
  return out;
}
