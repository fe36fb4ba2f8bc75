// The contract every monitor implements, and how errors become short reasons.
import type { ProbeTarget } from '../types.js';

/** One attempt's verdict. Timing and retries are added by runProbe(). */
export interface AttemptOutcome {
  readonly ok: boolean;
  readonly reason: string;
}

/**
 * One probe attempt against one target. It must settle soon after `signal` aborts (the
 * per-attempt timeout or a shutdown) and must destroy every socket it opened on every path,
 * so a probe never outlives its timeout. It should not reject; runProbe() guards anyway.
 */
export type Monitor = (target: ProbeTarget, signal: AbortSignal, options?: ProbeOptions) => Promise<AttemptOutcome>;

/** How to probe, the same for every target of one prober. */
export interface ProbeOptions {
  /** Local address probes are sent from (--probe-source): a multi-homed host picks its path. */
  readonly localAddress?: string;
}

export const pass = (reason: string): AttemptOutcome => ({ ok: true, reason });
export const fail = (reason: string): AttemptOutcome => ({ ok: false, reason });

/** Socket-level error → "ECONNREFUSED", "ENOTFOUND", ... or a trimmed message. */
export function errorReason(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return trimReason(message);
  }
  return trimReason(String(err));
}

const MAX_REASON = 80;

/** Reasons end up in logs, metrics labels and the status page: keep them one short line. */
export function trimReason(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ').trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

/** Runs `onAbort` once if the signal aborts; the returned function detaches it. */
export function onAbort(signal: AbortSignal, handler: () => void): () => void {
  if (signal.aborted) {
    queueMicrotask(handler);
    return () => {};
  }
  signal.addEventListener('abort', handler, { once: true });
  return () => signal.removeEventListener('abort', handler);
}
