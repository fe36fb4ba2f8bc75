// PUT /api/v1/health/{zone}/{origin}: health pushed from outside into `type: external`
// monitors. A write: only with a token of the write role (server.ts checks). Bad input gets a
// 4xx naming the problem and changes nothing.
import type http from 'node:http';
import { z } from 'zod';
import { canonicalOrigin } from '../lb/names.js';
import type { RunningServer } from '../server/server.js';

export const HEALTH_API_PREFIX = '/api/v1/health/';

/** Bodies are a few dozen bytes; anything much bigger is not a health report. */
const MAX_BODY = 4096;

const reportSchema = z.strictObject({
  state: z.enum(['up', 'down'], { error: 'state must be "up" or "down"' }),
  reason: z.string().max(200, { error: 'reason is at most 200 characters' }).optional(),
  ttl: z.number().min(0).max(31_536_000, { error: 'ttl is seconds, 0 to 31536000' }).optional(),
});

export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** Handles one PUT (the caller checked the method and the token). */
export async function healthReport(req: http.IncomingMessage, path: string, dns: RunningServer): Promise<ApiReply> {
  const parts = path.slice(HEALTH_API_PREFIX.length).split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return { status: 404, body: { error: 'expected /api/v1/health/{zone}/{origin}' } };
  }
  let zone: string;
  let origin: string;
  try {
    zone = canonicalOrigin(decodeURIComponent(parts[0]!));
    origin = decodeURIComponent(parts[1]!);
  } catch {
    return { status: 400, body: { error: 'bad percent-encoding in the path' } };
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return { status: 415, body: { error: 'send the report as Content-Type: application/json' } };
  const body = await readBody(req);
  if (body === null) return { status: 413, body: { error: `the body exceeds ${MAX_BODY} bytes` } };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { status: 400, body: { error: 'the body is not JSON: expected {"state":"up"|"down","reason":"...","ttl":SECONDS}' } };
  }
  const parsed = reportSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`);
    return { status: 400, body: { error: problems.join('; ') } };
  }

  const config = dns.state.current.origins.get(zone);
  if (config === undefined) return { status: 404, body: { error: `no zone ${zone}` } };
  const known = [...(config.lb?.pools.values() ?? [])].some((p) => p.origins.some((o) => o.name === origin));
  if (!known) return { status: 404, body: { error: `zone ${zone} has no origin named "${origin}"` } };
  const { state, reason, ttl } = parsed.data;
  const applied = dns.external.report(zone, origin, {
    up: state === 'up',
    reason: reason ?? `reported ${state}`,
    ...(ttl === undefined ? {} : { ttl }),
  });
  if (applied === null) {
    return { status: 409, body: { error: `origin "${origin}" of zone ${zone} is not watched by a type: external monitor` } };
  }
  return {
    status: 200,
    body: {
      zone,
      origin,
      targets: applied.map((s) => ({ target: s.key, up: s.up, reason: s.reason, expiresAt: s.expiresAt })),
    },
  };
}

/** The whole body, or null when it is longer than MAX_BODY. */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
