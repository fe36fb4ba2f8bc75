// `ramp:` on an origin's weight: move it step by step from the file's weight to `to` over a
// duration, and back to the start if the origin turns unhealthy on the way.
import { z } from 'zod';

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

export const rampSchema = z
  .strictObject({
    to: z.number().positive({ error: 'ramp.to must be above 0 (drain an origin with enabled: false)' }).max(1_000_000),
    over: durationSchema,
    step: durationSchema,
    abort_if: z.enum(['unhealthy']).default('unhealthy'),
  })
  .superRefine((r, ctx) => {
    if (r.over < r.step) ctx.addIssue({ code: 'custom', path: ['over'], message: `over (${r.over}s) is shorter than step (${r.step}s)` });
  });

export type RampInput = z.output<typeof rampSchema>;
