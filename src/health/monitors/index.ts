// runProbe(): one probe of one target = up to 1 + retries attempts, each bounded by the
// monitor's timeout. Never throws, never outlives (retries + 1) × timeout, leaks nothing.
import type { ProbeResult, ProbeTarget } from '../types.js';
import { type AttemptOutcome, type Monitor, type ProbeOptions, errorReason, fail } from './common.js';
import { probeDns } from './dns.js';
import { probeHttp } from './http.js';
import { probeSmtp } from './smtp.js';
import { probeTcp } from './tcp.js';

export type { AttemptOutcome, Monitor, ProbeOptions } from './common.js';

const monitors: Readonly<Record<ProbeTarget['monitor']['type'], Monitor>> = {
  http: probeHttp,
  https: probeHttp,
  tcp: probeTcp,
  dns: probeDns,
  smtp: probeSmtp,
  // Pushed or derived health: the server never hands these to the prober (see server.ts).
  external: async () => fail('external health is reported, not probed'),
  calculated: async () => fail('calculated health is derived, not probed'),
};

/** Signature of runProbe, so the prober can take a stand-in in tests. */
export type RunProbe = (target: ProbeTarget, signal?: AbortSignal, options?: ProbeOptions) => Promise<ProbeResult>;

/** Smallest per-attempt timeout we honour, so a zero/negative timeout still means "try". */
const MIN_TIMEOUT_MS = 1;

export function timeoutMs(target: ProbeTarget): number {
  const ms = Math.round(target.monitor.timeout * 1000);
  return Number.isFinite(ms) && ms >= MIN_TIMEOUT_MS ? ms : MIN_TIMEOUT_MS;
}

/**
 * Probes `target`. `signal` (optional) aborts the probe early, e.g. on shutdown or when the
 * target is removed; the result then says "aborted".
 */
export async function runProbe(target: ProbeTarget, signal?: AbortSignal, options?: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const monitor = monitors[target.monitor.type] as Monitor | undefined;
  let outcome: AttemptOutcome = fail(`unknown monitor type ${String(target.monitor.type)}`);
  if (monitor !== undefined) {
    const attempts = 1 + Math.max(0, Math.floor(target.monitor.retries) || 0);
    const limit = timeoutMs(target);
    for (let i = 0; i < attempts; i++) {
      outcome = await attempt(monitor, target, limit, signal, options);
      if (outcome.ok || signal?.aborted) break;
    }
  }
  const at = Date.now();
  // Inverted (Route 53 style): the probe ran as configured, only its verdict flips.
  if (target.monitor.invert === true && !signal?.aborted) {
    return { ok: !outcome.ok, reason: `inverted: ${outcome.reason}`, durationMs: at - started, at };
  }
  return { ok: outcome.ok, reason: outcome.reason, durationMs: at - started, at };
}

/**
 * One attempt under a hard deadline: the result is decided at the deadline even if the monitor
 * were slow to notice the abort, and the abort makes it destroy its sockets.
 */
function attempt(
  monitor: Monitor,
  target: ProbeTarget,
  limitMs: number,
  outer?: AbortSignal,
  options?: ProbeOptions,
): Promise<AttemptOutcome> {
  if (outer?.aborted) return Promise.resolve(fail('aborted'));
  return new Promise((resolve) => {
    const controller = new AbortController();
    let settled = false;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      outer?.removeEventListener('abort', onOuterAbort);
      resolve(outcome);
    };
    // Only a monitor still running needs the abort (which costs an exception object).
    const cutShort = (reason: string): void => {
      if (settled) return;
      finish(fail(reason));
      controller.abort();
    };
    const onOuterAbort = (): void => cutShort('aborted');
    // The verdict waits for the poll phase of the loop turn in which the timer fired: when the
    // event loop runs late (a busy server), a reply that is already in the socket's buffer gets
    // read first, instead of a healthy origin failing with a timeout it did not cause.
    let immediate: NodeJS.Immediate | undefined;
    const timer = setTimeout(() => {
      immediate = setImmediate(() => cutShort(`timeout after ${limitMs}ms`));
    }, limitMs);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let running: Promise<AttemptOutcome>;
    try {
      running = monitor(target, controller.signal, options);
    } catch (err) {
      cutShort(errorReason(err));
      return;
    }
    running.then(finish, (err: unknown) => cutShort(errorReason(err)));
  });
}
