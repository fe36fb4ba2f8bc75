// Status document parts for notifications and external health (see status-schema.ts).
import { z } from 'zod';

const epochMs = z.number().int().nonnegative().describe('Unix time in milliseconds');
const count = z.number().int().nonnegative();

export const NotificationStatusSchema = z.object({
  zone: z.string(),
  receiver: z.string(),
  endpoint: z.string().describe('Scheme, host and port of the webhook URL (its path may hold a secret)'),
  delivered: count,
  failed: count.describe('Messages given up after their retries'),
  retried: count,
  dropped: count.describe('Messages dropped because the queue was full'),
  coalesced: count.describe('Transitions merged into a later message'),
  pending: count,
  lastError: z.string().nullable(),
  lastDeliveredAt: epochMs.nullable(),
});

export const ExternalReportStatusSchema = z.object({
  target: z.string(),
  up: z.boolean(),
  reason: z.string(),
  source: z.enum(['initial', 'api', 'file', 'expired']),
  at: epochMs,
  expiresAt: epochMs.nullable().describe('When the report falls back to expire_to; null: it holds until replaced'),
});

export const HealthFileStatusSchema = z.object({
  path: z.string(),
  ok: z.boolean(),
  error: z.string().nullable().describe('"file:line: message [CODE]" of the last rejected read'),
  appliedAt: epochMs.nullable(),
  entries: count,
});

export const RampStatusSchema = z.object({
  zone: z.string(),
  kind: z
    .enum(['origin', 'pool'])
    .describe("An origin's weight in its pool, or a pool's weight in a load balancer (random_steering.pool_weights)"),
  pool: z.string(),
  origin: z.string().describe("The ramped origin; '' for a pool ramp"),
  loadBalancer: z.string().describe("Owner name of a pool ramp's load balancer; '' for an origin ramp"),
  from: z.number().nonnegative().describe('Weight the ramp started from (back to it when aborted)'),
  to: z.number().nonnegative(),
  weight: z.number().nonnegative().describe('Weight served now'),
  state: z.enum(['running', 'done', 'aborted']),
  startedAt: epochMs,
  endsAt: epochMs,
  reason: z.string(),
});
