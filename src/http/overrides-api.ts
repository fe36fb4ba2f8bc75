// POST /api/v1/overrides, DELETE /api/v1/overrides/{id}, GET /api/v1/overrides: the operator's
// drain / force-up / force-down (src/overrides). The caller checked the token and its role.
// Bad input gets a 4xx naming the problem and changes nothing.
import type http from 'node:http';
import { steerError } from '../errors.js';
import { canonicalOrigin } from '../lb/names.js';
import type { OverrideStore } from '../overrides/store.js';
import { overrideRequestSchema, parseDuration, type Override } from '../overrides/types.js';
import type { RunningServer } from '../server/server.js';
import type { ApiReply } from './health-api.js';
import { readBody } from './whatif-api.js';

export const OVERRIDES_PATH = '/api/v1/overrides';
const MAX_BODY = 4096;

/** The JSON shape of one override (times as ISO 8601). */
export function overrideView(o: Override): unknown {
  return {
    id: o.id,
    zone: o.zone,
    target: o.target,
    action: o.action,
    reason: o.reason,
    author: o.author,
    createdAt: new Date(o.createdAt).toISOString(),
    expiresAt: o.expiresAt === null ? null : new Date(o.expiresAt).toISOString(),
  };
}

export function listOverrides(store: OverrideStore): ApiReply {
  return { status: 200, body: { overrides: store.list().map(overrideView) } };
}

export async function createOverride(
  req: http.IncomingMessage,
  dns: RunningServer,
  store: OverrideStore,
  author: string,
): Promise<ApiReply> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    return { status: 415, body: { error: 'send the override as Content-Type: application/json' } };
  }
  const body = await readBody(req, MAX_BODY);
  if (body === null) return { status: 413, body: { error: `the body exceeds ${MAX_BODY} bytes` } };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { status: 400, body: { error: 'the body is not JSON: expected {"zone","target","action","reason","for"}' } };
  }
  const parsed = overrideRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`);
    return { status: 400, body: { error: problems.join('; ') } };
  }
  const { target, action, reason } = parsed.data;
  const zone = canonicalOrigin(parsed.data.zone);
  const config = dns.state.current.origins.get(zone);
  if (config === undefined) return { status: 404, body: { error: `no zone ${zone}` } };
  const pools = config.lb?.pools;
  const known = pools !== undefined && (pools.has(target) || [...pools.values()].some((p) => p.origins.some((o) => o.name === target)));
  if (!known) return { status: 404, body: { error: `zone ${zone} has no pool or origin named "${target}"` } };
  const forSeconds = parsed.data.for === undefined ? null : parseDuration(parsed.data.for);
  try {
    const o = await store.create({ zone, target, action, reason, forSeconds }, author);
    return { status: 201, body: overrideView(o) };
  } catch (err) {
    return unavailable(err);
  }
}

/** A fleet's override write that did not reach etcd: nothing changed, anywhere. */
function unavailable(err: unknown): ApiReply {
  const e = steerError('STEER_FLEET_OVERRIDES_WRITE', [(err as Error).message]);
  return { status: 503, body: { error: e.message, code: e.code } };
}

export async function deleteOverride(path: string, store: OverrideStore, by: string): Promise<ApiReply> {
  let id: string;
  try {
    id = decodeURIComponent(path.slice(OVERRIDES_PATH.length + 1));
  } catch {
    return { status: 400, body: { error: 'bad percent-encoding in the path' } };
  }
  let o: Override | null;
  try {
    o = await store.remove(id, by);
  } catch (err) {
    return unavailable(err);
  }
  if (o === null) return { status: 404, body: { error: `no override with id ${JSON.stringify(id.slice(0, 64))}` } };
  return { status: 200, body: overrideView(o) };
}
