import http from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Prober } from './prober.js';
import { type Transition, HealthTable } from './table.js';
import { type ConnectionTracker, closeServer, listen, target, trackConnections } from '../../test/support/loopback.js';
import type { ProbeResult, ProbeTarget } from './types.js';
import { eventually } from '../../test/support/eventually.js';

/** An HTTP origin whose health the test controls, counting the requests it serves. */
interface Backend {
  healthy: boolean;
  hang: boolean;
  requests: number;
  failuresServed: number;
  port: number;
  server: http.Server;
  tracker: ConnectionTracker;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function backend(): Promise<Backend> {
  const b = { healthy: true, hang: false, requests: 0, failuresServed: 0 } as Backend;
  b.server = http.createServer((_req, res) => {
    b.requests++;
    if (b.hang) return;
    if (b.healthy) return void res.end('ok');
    b.failuresServed++;
    res.writeHead(503).end();
  });
  b.tracker = trackConnections(b.server);
  b.port = await listen(b.server);
  cleanups.push(() => closeServer(b.server, b.tracker));
  return b;
}

function start(table: HealthTable, options: ConstructorParameters<typeof Prober>[1] = {}): Prober {
  const prober = new Prober(table, options);
  cleanups.push(() => prober.stop());
  return prober;
}

const fast = { interval: 0.05, timeout: 0.5 };

describe('Prober', () => {
  it('sees a backend that starts failing as down after consecutive_down probes, and back up after consecutive_up', async () => {
    const b = await backend();
    const t = target(b.port, { ...fast, consecutive_down: 3, consecutive_up: 2 });
    const table = new HealthTable();
    const transitions: Transition[] = [];
    table.on('transition', (e) => transitions.push(e));
    const prober = start(table);
    prober.update([t]);
    await prober.ready;
    expect(table.snapshot().get(t.key)).toMatchObject({ up: true, known: true });

    b.healthy = false;
    await eventually('the down transition', () => transitions.length === 1);
    expect(transitions[0]).toMatchObject({ key: t.key, up: false, previousUp: true, reason: 'HTTP 503 (expected 200)' });
    expect(table.statsFor(t.key)?.consecutiveFailed).toBe(3);
    expect(b.failuresServed).toBeGreaterThanOrEqual(3);
    expect(table.snapshot().isUp(t.key)).toBe(false);

    b.healthy = true;
    await eventually('the up transition', () => transitions.length === 2);
    expect(transitions[1]).toMatchObject({ key: t.key, up: true, previousUp: false, reason: 'HTTP 200' });
    expect(table.statsFor(t.key)?.consecutivePassed).toBe(2);
  });

  it('excludes a dead origin right after its first probe', async () => {
    const b = await backend();
    b.healthy = false;
    const t = target(b.port, { ...fast, interval: 10, consecutive_down: 5 });
    const table = new HealthTable();
    const prober = start(table);
    prober.update([t]);
    await prober.ready;
    expect(b.requests).toBe(1);
    expect(table.snapshot().isUp(t.key)).toBe(false);
  });

  it('resolves ready after the first round, and again after an update adds targets', async () => {
    const [b1, b2, b3] = await Promise.all([backend(), backend(), backend()]);
    const t1 = target(b1.port, fast);
    const t2 = target(b2.port, fast);
    const t3 = target(b3.port, fast);
    const table = new HealthTable();
    const prober = start(table);
    expect(prober.isReady()).toBe(true); // nothing to wait for yet
    prober.update([t1, t2]);
    expect(prober.isReady()).toBe(false);
    const ready = prober.ready;
    expect(table.snapshot().get(t1.key)?.known).toBe(false);
    await ready;
    expect(prober.isReady()).toBe(true);
    expect([t1, t2].map((t) => table.snapshot().get(t.key)?.known)).toEqual([true, true]);

    prober.update([t1, t2, t3]);
    expect(prober.isReady()).toBe(false);
    await prober.ready;
    expect(table.snapshot().get(t3.key)?.known).toBe(true);
  });

  it('stops probing removed targets and ignores their late results', async () => {
    const [keep, drop] = await Promise.all([backend(), backend()]);
    const tKeep = target(keep.port, fast);
    const tDrop = target(drop.port, fast);
    const table = new HealthTable();
    const prober = start(table);
    prober.update([tKeep, tDrop]);
    await eventually('a few probes of the target to be removed', () => drop.requests >= 3);

    prober.update([tKeep]);
    const dropAtRemoval = drop.requests;
    const keepAtRemoval = keep.requests;
    expect(table.has(tDrop.key)).toBe(false);
    expect(prober.size).toBe(1);
    await eventually('the kept target to be probed on', () => keep.requests >= keepAtRemoval + 6);
    // At most one request was already on its way when the target was removed.
    expect(drop.requests).toBeLessThanOrEqual(dropAtRemoval + 1);
    expect(table.statsFor(tDrop.key)).toBeUndefined();
  });

  it('aborts an in-flight probe of a removed target and does not report it', async () => {
    const signals = new Map<string, AbortSignal>();
    const reported: string[] = [];
    const runProbe = (t: ProbeTarget, signal?: AbortSignal): Promise<ProbeResult> => {
      if (signal) signals.set(t.key, signal);
      return new Promise((resolve) =>
        signal?.addEventListener('abort', () => resolve({ ok: false, reason: 'aborted', durationMs: 0, at: Date.now() })),
      );
    };
    const table = new HealthTable();
    const report = table.report.bind(table);
    table.report = (key, result) => {
      reported.push(key);
      return report(key, result);
    };
    const prober = start(table, { runProbe });
    const t = target(1, { interval: 0.05 });
    prober.update([t]);
    await eventually('the probe to start', () => signals.has(t.key));
    prober.update([]);
    expect(signals.get(t.key)?.aborted).toBe(true);
    await eventually('the aborted probe to settle', () => prober.running === 0);
    expect(reported).toEqual([]);
    expect(prober.isReady()).toBe(true);
  });

  it('keeps the schedule of unchanged keys across updates and probes new keys promptly', async () => {
    const starts = new Map<string, number[]>();
    const runProbe = async (t: ProbeTarget): Promise<ProbeResult> => {
      const list = starts.get(t.key) ?? [];
      list.push(Date.now());
      starts.set(t.key, list);
      return { ok: true, reason: 'stub', durationMs: 0, at: Date.now() };
    };
    const table = new HealthTable();
    const prober = start(table, { runProbe });
    const a = target(1, { interval: 0.1 });
    prober.update([a]);
    await prober.ready;
    // Hammer update() with the same target for ~400 ms: it must not trigger extra probes.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      prober.update([target(1, { interval: 0.1 })]);
      // Pacing of the hammering (the behaviour under test), not a wait for a state.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const count = starts.get(a.key)?.length ?? 0;
    // ~4 expected; a busy machine can only make it fewer. 50 updates must not add probes.
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(7);

    const b = target(2, { interval: 0.1 });
    const added = Date.now();
    prober.update([a, b]);
    await prober.ready;
    expect((starts.get(b.key)?.[0] ?? Infinity) - added).toBeLessThan(150);
  });

  it('spaces probes of one target by interval ± 10%', async () => {
    const starts: number[] = [];
    const runProbe = async (): Promise<ProbeResult> => {
      starts.push(Date.now());
      return { ok: true, reason: 'stub', durationMs: 0, at: Date.now() };
    };
    const prober = start(new HealthTable(), { runProbe });
    prober.update([target(1, { interval: 0.1 })]);
    await eventually('eight probes', () => starts.length >= 8, { timeoutMs: 5000 });
    const gaps = starts.slice(1).map((s, i) => s - (starts[i] as number));
    // Never early (90 ms floor, minus the 5 ms batching window and timer rounding)...
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(84);
    // ...and not systematically late (tolerant of a busy machine; twice the interval would fail).
    expect(gaps.reduce((s, g) => s + g, 0) / gaps.length).toBeLessThan(180);
  });

  it('never runs more probes at once than its concurrency', async () => {
    let running = 0;
    let peak = 0;
    const runProbe = async (): Promise<ProbeResult> => {
      running++;
      peak = Math.max(peak, running);
      // A probe that takes 20 ms: the overlap this creates is what the test measures.
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return { ok: true, reason: 'stub', durationMs: 20, at: Date.now() };
    };
    const table = new HealthTable();
    const prober = start(table, { runProbe, concurrency: 4 });
    const targets = Array.from({ length: 40 }, (_, i) => target(1000 + i, { interval: 0.05 }));
    prober.update(targets);
    expect(prober.running).toBe(0);
    await prober.ready;
    expect(peak).toBe(4);
    expect(targets.every((t) => table.snapshot().get(t.key)?.known)).toBe(true);
  });

  it('lets a hanging origin hold only its own slot', async () => {
    const [hanging, ok1, ok2] = await Promise.all([backend(), backend(), backend()]);
    hanging.hang = true;
    const tHang = target(hanging.port, { interval: 0.05, timeout: 1.5 });
    const tOk = [ok1, ok2].map((b) => target(b.port, { interval: 0.05, timeout: 1.5 }));
    const table = new HealthTable();
    const prober = start(table, { concurrency: 2 });
    prober.update([tHang, ...tOk]);
    await eventually('the hanging probe to start', () => hanging.requests === 1);
    const passed = () => tOk.reduce((s, t) => s + (table.statsFor(t.key)?.probesPassed ?? 0), 0);
    await eventually('the healthy targets to be probed on the free slot', () => passed() >= 6, { timeoutMs: 1400 });
    expect(table.statsFor(tHang.key)?.probesFailed ?? 0).toBe(0); // still in its first, hanging probe
    await eventually('the hanging probe to time out', () => table.statsFor(tHang.key)?.probesFailed === 1, { timeoutMs: 3000 });
    expect(table.statsFor(tHang.key)?.lastResult?.reason).toBe('timeout after 1500ms');
  });

  it('logs transitions with key and reason on a child logger', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const b = await backend();
    b.healthy = false;
    const t = target(b.port, fast);
    const prober = start(new HealthTable(), { logger });
    prober.update([t]);
    await prober.ready;
    await eventually('a log line', () => lines.length > 0);
    expect(lines[0]).toMatchObject({ level: 40, key: t.key, reason: 'HTTP 503 (expected 200)', module: 'health' });
  });

  it('survives a throwing runProbe stand-in and a throwing listener', async () => {
    let calls = 0;
    const runProbe = (): Promise<ProbeResult> => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return Promise.reject(new Error('kaput'));
    };
    const table = new HealthTable();
    table.on('snapshot', () => {
      throw new Error('listener bug');
    });
    const prober = start(table, { runProbe });
    const t = target(1, { interval: 0.02 });
    prober.update([t]);
    await eventually('probing to go on', () => calls >= 3);
    expect(table.statsFor(t.key)?.lastResult?.reason).toMatch(/^probe error: /);
  });

  it('leaves nothing behind after stop(), even with probes in flight', async () => {
    const [slow, ok] = await Promise.all([backend(), backend()]);
    slow.hang = true;
    const baseline = activeHandles();
    const table = new HealthTable();
    const prober = new Prober(table);
    prober.update([target(slow.port, { interval: 0.05, timeout: 30 }), target(ok.port, fast)]);
    await eventually('probes to run', () => slow.requests >= 1 && ok.requests >= 2);
    const started = Date.now();
    await prober.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(prober.running).toBe(0);
    await eventually('the origins to see every connection closed', () => slow.tracker.open.size === 0 && ok.tracker.open.size === 0);
    await eventually('handles back to baseline', () => sameHandles(activeHandles(), baseline)).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(baseline)} → ${JSON.stringify(activeHandles())}`);
    });
    const requests = slow.requests + ok.requests;
    await new Promise((resolve) => setTimeout(resolve, 150)); // three intervals: nothing may be probed
    expect(slow.requests + ok.requests).toBe(requests);
    expect(table.listenerCount('transition')).toBe(0);
    await prober.stop(); // idempotent
    prober.update([target(ok.port, fast)]); // ignored after stop
    expect(prober.size).toBe(0);
  });
});

/** Active libuv resources by kind, e.g. { TCPServerWrap: 2, Timeout: 1 }. */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** No more sockets or timers than at the baseline (the test runner's own may come and go). */
function sameHandles(now: Record<string, number>, baseline: Record<string, number>): boolean {
  const kinds = new Set([...Object.keys(now), ...Object.keys(baseline)]);
  return [...kinds].every((k) => (now[k] ?? 0) <= (baseline[k] ?? 0));
}

describe('Prober capacity', () => {
  /** A stand-in probe that hangs until aborted or until its timeout, like a silent origin. */
  const hangUntilTimeout = (t: ProbeTarget, signal?: AbortSignal): Promise<ProbeResult> =>
    new Promise((resolve) => {
      const started = Date.now();
      const done = (reason: string): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve({ ok: false, reason, durationMs: Date.now() - started, at: Date.now() });
      };
      const onAbort = (): void => done('aborted');
      const timer = setTimeout(() => done('timeout'), t.monitor.timeout * 1000);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  const many = (n: number, overrides: Parameters<typeof target>[1]): ProbeTarget[] =>
    Array.from({ length: n }, (_, i) => target(10_000 + i, overrides));

  it('sizes its concurrency so every target keeps its interval even if every probe hangs', () => {
    const prober = start(new HealthTable(), { runProbe: hangUntilTimeout, maxConcurrency: 100_000 });
    expect(prober.capacity()).toMatchObject({ concurrency: 256, needed: 0, sufficient: true, automatic: true });
    // 1000 targets, timeout 2 s every 5 s (at worst 4.5 s with jitter): 444 slots busy if all
    // hang; slow probes may hold 3/4 of the slots → 593 needed; sized with headroom to 667.
    prober.update(many(1000, { interval: 5, timeout: 2 }));
    expect(prober.capacity()).toEqual({ concurrency: 667, needed: 593, sufficient: true, automatic: true });
    // A small set keeps the floor of 256.
    prober.update(many(10, { interval: 5, timeout: 2 }));
    expect(prober.capacity()).toMatchObject({ concurrency: 256, sufficient: true });
  });

  it('says when the slots cannot keep every target on its interval', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const capped = start(new HealthTable(), { runProbe: hangUntilTimeout, maxConcurrency: 300, logger });
    const targets = many(1000, { interval: 5, timeout: 2 });
    capped.update(targets);
    expect(capped.capacity()).toEqual({ concurrency: 300, needed: 593, sufficient: false, automatic: true });
    const fixed = start(new HealthTable(), { runProbe: hangUntilTimeout, concurrency: 50, logger });
    fixed.update(targets);
    expect(fixed.capacity()).toEqual({ concurrency: 50, needed: 593, sufficient: false, automatic: false });
    const warnings = lines.filter((l) => String(l.msg).startsWith('health: too few probe slots'));
    expect(warnings).toMatchObject([
      { level: 40, concurrency: 300, needed: 593, targets: 1000 },
      { level: 40, concurrency: 50, needed: 593, targets: 1000 },
    ]);
    fixed.update(targets); // the same shortfall is not logged again
    expect(lines.filter((l) => String(l.msg).startsWith('health: too few probe slots')).length).toBe(2);
  });

  it('keeps quick targets probed when hanging ones outnumber the slots', async () => {
    // 4 slots, 8 targets whose probes hang for 0.3 s, 2 quick ones; all due every 50 ms.
    // In one FIFO the hanging probes would hold every slot and the quick ones would get one
    // probe per ~0.75 s; with slow targets held to 3 slots, a slot stays free for them.
    let slowRunning = 0;
    let peakSlow = 0;
    const runProbe = async (t: ProbeTarget, signal?: AbortSignal): Promise<ProbeResult> => {
      if (t.port >= 2000) return { ok: true, reason: 'quick', durationMs: 1, at: Date.now() };
      slowRunning++;
      peakSlow = Math.max(peakSlow, slowRunning);
      try {
        return await hangUntilTimeout(t, signal);
      } finally {
        slowRunning--;
      }
    };
    const table = new HealthTable();
    const prober = start(table, { runProbe, concurrency: 4 });
    const hanging = Array.from({ length: 8 }, (_, i) => target(1000 + i, { interval: 0.05, timeout: 0.3 }));
    const quick = [target(2000, { interval: 0.05, timeout: 0.3 }), target(2001, { interval: 0.05, timeout: 0.3 })];
    prober.update([...hanging, ...quick]);
    // Once every hanging target has been seen slow, the quick ones run about every 50 ms.
    await eventually('a first probe of each hanging target', () => hanging.every((t) => (table.statsFor(t.key)?.probesFailed ?? 0) >= 1), {
      timeoutMs: 5000,
    });
    const quickDone = () => quick.map((t) => table.statsFor(t.key)?.probesPassed ?? 0);
    const before = quickDone();
    // From here on every hanging probe is known slow: at most 3 of them may run at once.
    peakSlow = slowRunning;
    // 20 more probes each: ~1 s at the interval; ~6 s when all 4 slots may go to hanging probes.
    await eventually('20 more probes of each quick target', () => quickDone().every((n, i) => n - (before[i] ?? 0) >= 20), {
      timeoutMs: 4000,
    });
    expect(peakSlow).toBeLessThanOrEqual(3);
    expect(prober.stats().concurrency).toBe(4);
  });

  it('spreads the first round of a big target set (2000 per second) instead of starting it at once', async () => {
    const starts: number[] = [];
    const runProbe = async (): Promise<ProbeResult> => {
      starts.push(Date.now());
      return { ok: true, reason: 'stub', durationMs: 0, at: Date.now() };
    };
    // random() = 0.5: each first probe is due halfway through the spread.
    const prober = start(new HealthTable(), { runProbe, random: () => 0.5 });
    const updated = Date.now();
    prober.update(many(4000, { interval: 60 })); // 4000 targets → spread over 2 s, not 1 s
    await prober.ready;
    expect(Math.min(...starts) - updated).toBeGreaterThanOrEqual(900);
  });
});
