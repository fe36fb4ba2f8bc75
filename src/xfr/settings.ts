// The `transfer:` block of the server config file: which zones secondaries may pull, from where
// and with which TSIG keys, where NOTIFYs go, and how much history the IXFR journal keeps. Plain
// JSON data (it travels to cluster workers), validated here with zod so every problem in the
// file is reported at its line.
import { z } from 'zod';
import { parseNetwork } from '../net/parse.js';
import { parseListenAddress } from '../transport/listen-address.js';
import { canonicalName } from '../wire/name.js';

const network = z.string().superRefine((text, ctx) => {
  const n = parseNetwork(text, { hostAllowed: true });
  if ('problem' in n) ctx.addIssue({ code: 'custom', message: `${n.problem} (expected ADDRESS or ADDRESS/PREFIX)` });
});

const notifyTarget = z.string().superRefine((text, ctx) => {
  try {
    parseListenAddress(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${text}": expected ADDRESS:PORT, e.g. 192.0.2.53:53 or [2001:db8::53]:53` });
  }
});

const keyName = z.string().superRefine((text, ctx) => {
  try {
    canonicalName(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a key name: ${(err as Error).message}` });
  }
});

export const transferZoneSchema = z.strictObject({
  /** Client addresses or networks allowed to transfer the zone. */
  allow: z.array(network).optional(),
  /** When set, a request must also be signed with one of these TSIG keys. */
  keys: z.array(keyName).optional(),
  /** Secondaries told of each new serial (RFC 1996). */
  notify: z.array(notifyTarget).optional(),
  /** Sign NOTIFY messages with this key. */
  notify_key: keyName.optional(),
  /**
   * What secondaries get for load-balanced names: nothing (omit), or the answer a client the
   * server cannot locate gets now, at the load balancer's TTL (snapshot).
   */
  lb: z.enum(['omit', 'snapshot']).optional(),
});

export const transferSchema = z.strictObject({
  key_files: z.array(z.string().min(1)).optional(),
  journal_versions: z.number().int().min(0).max(100_000).optional(),
  journal_bytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .optional(),
  notify_retries: z.number().int().min(0).max(20).optional(),
  notify_timeout: z.number().min(0.01).max(60).optional(),
  /** Seconds between two snapshot serials at most (lb: snapshot); changes in between are coalesced. */
  snapshot_interval: z.number().min(0.05).max(86_400).optional(),
  zones: z.record(z.string().min(1), transferZoneSchema).optional(),
});

export type TransferZoneSettings = z.infer<typeof transferZoneSchema>;
export type TransferSettings = z.infer<typeof transferSchema>;

export const TRANSFER_DEFAULTS = {
  journalVersions: 20,
  journalBytes: 16 * 1024 * 1024,
  notifyRetries: 5,
  notifyTimeoutMs: 1000,
  snapshotIntervalMs: 10_000,
} as const;
