// Status document part for operator overrides (see status-schema.ts).
import { z } from 'zod';
import { OVERRIDE_ACTIONS } from '../overrides/types.js';

const epochMs = z.number().int().nonnegative().describe('Unix time in milliseconds');

export const OverrideStatusSchema = z.object({
  id: z.string(),
  zone: z.string(),
  target: z.string().describe('A pool or origin name of the zone'),
  action: z.enum(OVERRIDE_ACTIONS),
  reason: z.string(),
  author: z.string().describe('The name of the token that created it'),
  createdAt: epochMs,
  expiresAt: epochMs.nullable().describe('When it disappears by itself; null: until deleted'),
});
