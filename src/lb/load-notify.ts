// Turns `notifications:` into receivers, reading each secret file when the LB file is loaded
// (a changed secret takes effect at the next load of the LB file).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type SteerError, steerError } from '../errors.js';
import type { NotificationReceiver } from '../notify/types.js';
import type { LbFileInput } from './schema.js';

export function buildReceivers(
  input: LbFileInput,
  origin: string,
  file: string,
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
): { readonly receivers: readonly NotificationReceiver[] } | { readonly errors: readonly SteerError[] } {
  const receivers: NotificationReceiver[] = [];
  const errors: SteerError[] = [];
  for (const [name, r] of Object.entries(input.notifications)) {
    let secret: string | null = null;
    if (r.secret_file !== undefined) {
      const where = path.resolve(path.dirname(file), r.secret_file);
      const line = lineOf(['notifications', name, 'secret_file']);
      try {
        secret = readFileSync(where, 'utf8').trim();
        if (secret === '') errors.push(steerError('STEER_NOTIFY_SECRET', [name, where, 'the file is empty'], { file, line }));
      } catch (err) {
        errors.push(steerError('STEER_NOTIFY_SECRET', [name, where, (err as NodeJS.ErrnoException).code ?? String(err)], { file, line }));
      }
    }
    receivers.push(
      Object.freeze({
        zone: origin,
        name,
        url: r.url,
        secret,
        format: r.format,
        events: Object.freeze([...r.events]),
        coalesceMs: r.coalesce * 1000,
        retries: r.retries,
        backoffMs: r.backoff * 1000,
        timeoutMs: r.timeout * 1000,
      }),
    );
  }
  return errors.length > 0 ? { errors } : { receivers: Object.freeze(receivers) };
}
