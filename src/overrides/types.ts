// Operator overrides: what an operator decided about one pool or origin of one zone, for how
// long and why. A drained target is never answered (as `enabled: false`); force-up and
// force-down replace its health. A file's `enabled: false` still wins over all of them.
import { z } from 'zod';

export const OVERRIDE_ACTIONS = ['drain', 'force-up', 'force-down'] as const;
export type OverrideAction = (typeof OVERRIDE_ACTIONS)[number];

export interface Override {
  readonly id: string;
  /** Canonical zone origin ("example.com"). */
  readonly zone: string;
  /** A pool name or an origin name of the zone's LB file. */
  readonly target: string;
  readonly action: OverrideAction;
  readonly reason: string;
  /** The name of the token that made it. */
  readonly author: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms it disappears at; null: until deleted. */
  readonly expiresAt: number | null;
}

/** Longest `for`: a year. An override meant to last longer belongs in the LB file. */
const MAX_FOR_SECONDS = 31_536_000;

/** "90s", "30m", "2h", "1d" (or a sum: "1h30m") → seconds; null when malformed. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+[smhd])+$/.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhd])/g))
    total += Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return total > 0 && total <= MAX_FOR_SECONDS ? total : null;
}

export const overrideRequestSchema = z.strictObject({
  zone: z.string({ error: 'zone is required' }).min(1, { error: 'zone is required' }).max(255),
  target: z.string({ error: 'target (a pool or origin name) is required' }).min(1, { error: 'target is required' }).max(255),
  action: z.enum(OVERRIDE_ACTIONS, { error: 'action must be "drain", "force-up" or "force-down"' }),
  reason: z
    .string({ error: 'reason is required' })
    .trim()
    .min(1, { error: 'reason is required' })
    .max(500, { error: 'reason is at most 500 characters' }),
  for: z
    .string()
    .refine((s) => parseDuration(s) !== null, { error: 'for is a duration such as 90s, 30m, 2h or 1d (at most a year)' })
    .optional(),
});

export type OverrideRequest = z.infer<typeof overrideRequestSchema>;
