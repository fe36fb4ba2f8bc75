// `notifications:` in an LB file: webhook receivers told about origin, pool and load balancer
// health transitions (and ramp aborts, operator overrides). Defaults: format json · events all · coalesce 10 s ·
// retries 5 · backoff 1 s (doubling, at most 60 s) · timeout 5 s.
import { z } from 'zod';

export const NOTIFY_EVENTS = ['origin', 'pool', 'load_balancer', 'ramp', 'override'] as const;

export const receiverSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'url must be an http:// or https:// URL' }),
  /** File holding the HMAC-SHA256 key for X-Steerdns-Signature, relative to the LB file. */
  secret_file: z.string().min(1).optional(),
  format: z.enum(['json', 'slack']).default('json'),
  events: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1)
    .default([...NOTIFY_EVENTS]),
  coalesce: z.number().min(0).max(3600).default(10),
  retries: z.number().int().min(0).max(20).default(5),
  backoff: z.number().min(0.01).max(60).default(1),
  timeout: z.number().min(0.1).max(60).default(5),
});

export type ReceiverInput = z.output<typeof receiverSchema>;

export const notificationsSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, { error: 'receiver names may hold letters, digits, "_", "-" and "."' }),
    receiverSchema,
  )
  .default({});
