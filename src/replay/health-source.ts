// The one health view both sides of a replay share (--health): every origin up, the health a
// saved status document recorded (file:SNAPSHOT, a GET /api/v1/status saved with curl), or the
// health a running server reports now (live:URL; the only network access of a replay, and
// made once before it starts).
import { readFileSync } from 'node:fs';
import { SteerError } from '../errors.js';
import { HealthTable } from '../health/table.js';
import { TableSnapshot } from '../health/snapshot.js';
import type { HealthSnapshot, TargetHealth } from '../health/types.js';

export interface ReplayHealth {
  readonly snapshot: HealthSnapshot;
  /** "all-up", or where it came from and how many targets are down. */
  readonly description: string;
  /** Health keys that are down. */
  readonly down: readonly string[];
}

export async function loadReplayHealth(spec: string, env: NodeJS.ProcessEnv = process.env): Promise<ReplayHealth> {
  if (spec === 'all-up') return { snapshot: new HealthTable().snapshot(), description: 'all-up (every origin healthy)', down: [] };
  if (spec.startsWith('file:')) {
    const file = spec.slice('file:'.length);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SteerError('STEER_REPLAY_HEALTH', [spec, (err as Error).message]);
    }
    return healthOfStatus(text, spec);
  }
  if (spec.startsWith('live:')) {
    const url = statusUrl(spec.slice('live:'.length));
    const token = env.STEERDNS_HTTP_TOKEN;
    let text: string;
    try {
      const res = await fetch(url, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      throw new SteerError('STEER_REPLAY_HEALTH', [spec, (err as Error).message]);
    }
    return healthOfStatus(text, spec);
  }
  throw new SteerError('STEER_REPLAY_HEALTH', [spec, 'expected all-up, file:SNAPSHOT or live:URL']);
}

/** "http://host:9153" → its status endpoint; a URL with a path is taken as it is. */
function statusUrl(text: string): string {
  const u = new URL(text);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/api/v1/status';
  return u.toString();
}

/** The health in a status document: every origin target marked "down" is down, the rest up. */
export function healthOfStatus(text: string, spec: string): ReplayHealth {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SteerError('STEER_REPLAY_HEALTH', [spec, 'not JSON (expected a saved GET /api/v1/status)']);
  }
  const lbs = (doc as { loadBalancers?: unknown }).loadBalancers;
  if (!Array.isArray(lbs)) throw new SteerError('STEER_REPLAY_HEALTH', [spec, 'no "loadBalancers" (expected a saved GET /api/v1/status)']);
  const entries = new Map<string, TargetHealth>();
  for (const lb of lbs as { pools?: { origins?: { target?: unknown; health?: unknown; reason?: unknown }[] }[] }[]) {
    for (const pool of lb.pools ?? []) {
      for (const o of pool.origins ?? []) {
        if (typeof o.target !== 'string' || (o.health !== 'down' && o.health !== 'up')) continue;
        const up = o.health === 'up';
        entries.set(o.target, { up, known: true, since: 0, reason: typeof o.reason === 'string' ? o.reason : '', lastResult: null });
      }
    }
  }
  const down = [...entries].filter(([, h]) => !h.up).map(([k]) => k);
  return { snapshot: TableSnapshot.of(1, entries), description: `${spec} (${down.length} target(s) down)`, down };
}
