// `ramp:` on an origin's weight: move it step by step from the file's weight to `to` over a
// duration, and back to the start if the origin turns unhealthy (or fails too many probes) on the
// way. Pool weights take the same ramp.
import { z } from 'zod';
import type { RampSpec } from './types.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, as a number or "500ms", "45s", "10m", "1h", "1d". */
export const durationSchema = z.union(
  [
    z.number().min(0.1).max(31_536_000),
    z
      .string()
      .regex(/^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/, { error: 'a duration is seconds or a number with ms, s, m, h or d, e.g. "90s", "1h"' })
      .transform((text, ctx) => {
        const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)!;
        const seconds = Number(m[1]) * UNIT_SECONDS[m[2]!]!;
        if (seconds < 0.1 || seconds > 31_536_000) {
          ctx.addIssue({ code: 'custom', message: 'a duration is 100ms to 365d' });
          return z.NEVER;
        }
        return seconds;
      }),
  ],
  { error: 'a duration is seconds (0.1 to 31536000) or a number with ms, s, m, h or d, e.g. "90s", "1h"' },
);

/** `unhealthy`, or a share of failed probes over a window (the health table counts them). */
const abortIfSchema = z.union(
  [
    z.literal('unhealthy'),
    z.strictObject({
      error_rate_above: z
        .number()
        .gt(0, { error: 'error_rate_above is a fraction above 0 and at most 1, e.g. 0.2' })
        .max(1, { error: 'error_rate_above is a fraction above 0 and at most 1, e.g. 0.2' }),
      window: durationSchema,
    }),
  ],
  { error: 'abort_if is "unhealthy" or { error_rate_above: FRACTION, window: DURATION }' },
);

export const rampSchema = z
  .strictObject({
    to: z.number().positive({ error: 'ramp.to must be above 0 (drain an origin with enabled: false)' }).max(1_000_000),
    over: durationSchema,
    step: durationSchema,
    abort_if: abortIfSchema.default('unhealthy'),
  })
  .superRefine((r, ctx) => {
    if (r.over < r.step) ctx.addIssue({ code: 'custom', path: ['over'], message: `over (${r.over}s) is shorter than step (${r.step}s)` });
  });

export type RampInput = z.output<typeof rampSchema>;

/** A `random_steering.pool_weights` entry: a weight, or `{ weight, ramp }` (load-balancer level only). */
export const poolWeightSchema = z.union([
  z.number().min(0).max(1_000_000),
  z.strictObject({ weight: z.number().min(0).max(1_000_000), ramp: rampSchema }),
]);

export type PoolWeightInput = z.output<typeof poolWeightSchema>;

/** The weight the file gives, whatever the entry's shape. */
export const fileWeight = (w: PoolWeightInput): number => (typeof w === 'number' ? w : w.weight);

/** The compiled ramp: milliseconds, camel case. */
export function rampSpec(r: RampInput): RampSpec {
  const abortIf =
    r.abort_if === 'unhealthy' ? 'unhealthy' : { errorRateAbove: r.abort_if.error_rate_above, windowMs: r.abort_if.window * 1000 };
  return { to: r.to, overMs: r.over * 1000, stepMs: r.step * 1000, abortIf };
}
