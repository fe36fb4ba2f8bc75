// An operator override as a fleet keeps it in etcd: the Override itself, as JSON. Each node
// reads every one of them; a value that does not parse is skipped (never applied half-read).
import { z } from 'zod';
import { OVERRIDE_ACTIONS, type Override } from '../overrides/types.js';

const recordSchema = z.strictObject({
  id: z.string().min(1),
  zone: z.string().min(1),
  target: z.string().min(1),
  action: z.enum(OVERRIDE_ACTIONS),
  reason: z.string(),
  author: z.string(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
});

export function parseOverrideRecord(text: string, id: string): Override | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success || parsed.data.id !== id) return null;
  return Object.freeze({ ...parsed.data });
}
