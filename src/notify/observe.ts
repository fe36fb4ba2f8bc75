// What notifications watch, read from one serving state: each enabled, monitored origin
// (up/down), each enabled pool (healthy/unhealthy) and each load balancer (ok, degraded,
// fallback, down) of the zones that have receivers. Comparing two readings gives the events.
import type { ServingState } from '../config/state.js';
import { evaluatePool, type PreparedLb } from '../lb/prepare.js';
import type { NotifyEvent, NotifyEventKind } from './types.js';

export interface Observed {
  readonly kind: NotifyEventKind;
  readonly zone: string;
  readonly subject: string;
  readonly state: string;
  readonly reason: string;
}

export function observe(state: ServingState, zones: ReadonlySet<string>): Map<string, Observed> {
  const out = new Map<string, Observed>();
  const put = (o: Observed): void => {
    out.set(`${o.kind}\u0000${o.zone}\u0000${o.subject}`, o);
  };
  for (const zone of zones) {
    const config = state.origins.get(zone)?.lb;
    if (!config) continue;
    for (const pool of config.pools.values()) {
      if (!pool.enabled) continue;
      for (const o of pool.origins) {
        if (o.healthKey === null) continue;
        const h = state.health.get(o.healthKey);
        put({
          kind: 'origin',
          zone,
          subject: `${pool.name}/${o.name}`,
          state: h === undefined || h.up ? 'up' : 'down',
          reason: h?.reason ?? '',
        });
      }
      const ph = evaluatePool(pool, state.health);
      put({
        kind: 'pool',
        zone,
        subject: pool.name,
        state: ph.healthy ? 'healthy' : 'unhealthy',
        reason: `${ph.upOrigins.length} of ${ph.enabledOrigins.length} origins up (minimum ${ph.minimumOrigins})`,
      });
    }
    for (const p of state.lb.get(zone)?.loadBalancers.values() ?? []) {
      put({ kind: 'load_balancer', zone, subject: p.owner, state: lbState(p), reason: lbReason(p) });
    }
  }
  return out;
}

/** Events for every subject present in both readings whose state differs. */
export function diff(before: ReadonlyMap<string, Observed>, after: ReadonlyMap<string, Observed>, at: number): NotifyEvent[] {
  const events: NotifyEvent[] = [];
  for (const [key, now] of after) {
    const was = before.get(key);
    if (was === undefined || was.state === now.state) continue;
    events.push({ kind: now.kind, zone: now.zone, subject: now.subject, oldState: was.state, newState: now.state, reason: now.reason, at });
  }
  return events;
}

/** As on the status page: every default pool healthy, some, none but the fallback, nothing. */
function lbState(p: PreparedLb): string {
  const healthy = p.defaultOrder.filter((i) => p.pools[i]!.healthy).length;
  if (healthy === p.defaultOrder.length && healthy > 0) return 'ok';
  if (healthy > 0) return 'degraded';
  return p.fallback >= 0 ? 'fallback' : 'down';
}

function lbReason(p: PreparedLb): string {
  const primary = p.firstHealthyDefault >= 0 ? p.pools[p.firstHealthyDefault]!.name : null;
  if (primary !== null) return `answering from pool ${primary}`;
  return p.fallback >= 0 ? `no default pool healthy; answering from fallback ${p.pools[p.fallback]!.name}` : 'no pool healthy';
}
