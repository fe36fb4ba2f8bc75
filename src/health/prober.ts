// The prober: probes every target on its monitor's interval and reports results to the table.
//
// Scheduling is one min-heap of due times and one timer armed for the earliest, so 10k targets
// cost one timer, not 10k. Due probes go to a FIFO run queue drained up to `concurrency` at a
// time; runProbe() bounds each probe by (1 + retries) × timeout, so a hanging origin holds only
// its own slot, and only that long. The next probe of a target is scheduled from the start of
// its previous one (interval ± 10%), never overlapping it.
import type { Logger } from 'pino';
import { type DueItem, DueQueue } from './due-queue.js';
import { type RunProbe, runProbe as defaultRunProbe } from './monitors/index.js';
import type { HealthTable, Transition } from './table.js';
import type { ProbeResult, ProbeTarget } from './types.js';

export interface ProberOptions {
  /** Probes running at once (default 256). */
  readonly concurrency?: number;
  /** Stand-in for the real monitors (tests). */
  readonly runProbe?: RunProbe;
  readonly logger?: Logger;
  /** Clock and randomness (tests). */
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Probes due within this window of the timer firing run in the same batch: fewer wake-ups. */
const BATCH_WINDOW_MS = 5;
/** The first round is spread over min(interval, this). */
const FIRST_ROUND_SPREAD_MS = 1000;
/** Later rounds are interval × (1 ± this). */
const JITTER = 0.1;
/** Shortest interval honoured, whatever the config says. */
const MIN_INTERVAL_MS = 10;

type Phase = 'waiting' | 'queued' | 'running' | 'removed';

interface Scheduled extends DueItem {
  readonly key: string;
  target: ProbeTarget;
  phase: Phase;
  controller: AbortController | null;
}

const intervalMs = (target: ProbeTarget): number => {
  const ms = target.monitor.interval * 1000;
  return Number.isFinite(ms) && ms > MIN_INTERVAL_MS ? ms : MIN_INTERVAL_MS;
};

export class Prober {
  readonly #table: HealthTable;
  readonly #concurrency: number;
  readonly #runProbe: RunProbe;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #random: () => number;

  readonly #scheduled = new Map<string, Scheduled>();
  readonly #due = new DueQueue<Scheduled>();
  /** FIFO of due probes waiting for a slot; #queueHead avoids O(n) shift(). */
  #queue: Scheduled[] = [];
  #queueHead = 0;
  #running = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #stopped = false;

  /** Keys still waiting for their first result. */
  readonly #pending = new Set<string>();
  #ready: { promise: Promise<void>; resolve: () => void } | null = null;
  #idle: { promise: Promise<void>; resolve: () => void } | null = null;

  readonly #onTransition = (t: Transition): void => {
    const fields = { key: t.key, reason: t.reason, previousUp: t.previousUp };
    if (t.up) this.#logger?.info(fields, 'health: target up');
    else this.#logger?.warn(fields, 'health: target down');
  };

  constructor(table: HealthTable, options: ProberOptions = {}) {
    this.#table = table;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 256));
    this.#runProbe = options.runProbe ?? defaultRunProbe;
    this.#logger = options.logger?.child({ module: 'health' });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    table.on('transition', this.#onTransition);
  }

  /**
   * Makes `targets` the set to probe (and the table's target set). Unchanged keys keep their
   * schedule; new keys are probed promptly; removed keys stop, and an in-flight probe of one is
   * aborted and its result ignored.
   */
  update(targets: readonly ProbeTarget[]): void {
    if (this.#stopped) return;
    try {
      this.#table.setTargets(targets);
    } catch (err) {
      // The table committed the new set before a listener threw; probing must still follow it.
      this.#logger?.error({ err }, 'health: listener failed on a target update');
    }
    const now = this.#now();
    const keep = new Set<string>();
    for (const target of targets) {
      keep.add(target.key);
      const existing = this.#scheduled.get(target.key);
      if (existing) {
        const interval = intervalMs(target);
        existing.target = target;
        // A shorter interval takes effect now rather than after the old, longer wait.
        if (existing.phase === 'waiting' && existing.due - now > interval * (1 + JITTER)) {
          existing.due = now + this.#jittered(interval);
          this.#due.update(existing);
        }
        continue;
      }
      const entry: Scheduled = {
        key: target.key,
        target,
        due: now + this.#random() * Math.min(intervalMs(target), FIRST_ROUND_SPREAD_MS),
        heapIndex: -1,
        phase: 'waiting',
        controller: null,
      };
      this.#scheduled.set(target.key, entry);
      this.#due.push(entry);
      this.#pending.add(target.key);
    }
    for (const [key, entry] of this.#scheduled) {
      if (keep.has(key)) continue;
      this.#scheduled.delete(key);
      this.#pending.delete(key);
      this.#due.remove(entry);
      entry.phase = 'removed';
      entry.controller?.abort();
    }
    this.#settleReady();
    this.#arm();
  }

  /** Resolves once every target known so far has a first result (or the prober stopped). */
  get ready(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    this.#ready ??= deferred();
    return this.#ready.promise;
  }

  isReady(): boolean {
    return this.#pending.size === 0;
  }

  /** Targets being probed. */
  get size(): number {
    return this.#scheduled.size;
  }

  /** Probes running now. */
  get running(): number {
    return this.#running;
  }

  /** Probes due and waiting for a free slot. */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Stops probing: clears the timer, drops the queue, aborts running probes. Resolves when the
   * last running probe has settled (their sockets are closed by then). Idempotent.
   */
  stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#table.off('transition', this.#onTransition);
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#due.clear();
      this.#queue = [];
      this.#queueHead = 0;
      for (const entry of this.#scheduled.values()) {
        entry.phase = 'removed';
        entry.controller?.abort();
      }
      this.#scheduled.clear();
      this.#pending.clear();
      this.#settleReady();
    }
    if (this.#running === 0) return Promise.resolve();
    this.#idle ??= deferred();
    return this.#idle.promise;
  }

  #jittered(interval: number): number {
    return interval * (1 - JITTER + 2 * JITTER * this.#random());
  }

  /** Keeps the one timer armed for the earliest due probe. */
  #arm(): void {
    if (this.#stopped) return;
    const next = this.#due.peek();
    if (next === undefined) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerAt = Infinity;
      return;
    }
    // A timer that fires at or before the earliest due time is good enough: it re-arms.
    if (this.#timer && this.#timerAt <= next.due) return;
    if (this.#timer) clearTimeout(this.#timer);
    const delay = Math.max(0, next.due - this.#now());
    this.#timerAt = next.due;
    this.#timer = setTimeout(this.#onTimer, delay);
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    const horizon = this.#now() + BATCH_WINDOW_MS;
    for (let next = this.#due.peek(); next !== undefined && next.due <= horizon; next = this.#due.peek()) {
      this.#due.pop();
      next.phase = 'queued';
      this.#queue.push(next);
    }
    this.#drain();
    this.#arm();
  };

  #drain(): void {
    while (this.#running < this.#concurrency && this.#queueHead < this.#queue.length) {
      const entry = this.#queue[this.#queueHead++] as Scheduled;
      if (entry.phase === 'queued') this.#start(entry);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #start(entry: Scheduled): void {
    entry.phase = 'running';
    const controller = new AbortController();
    entry.controller = controller;
    this.#running++;
    const startedAt = this.#now();
    let probe: Promise<ProbeResult>;
    try {
      probe = this.#runProbe(entry.target, controller.signal);
    } catch (err) {
      probe = Promise.reject(err);
    }
    probe.then(
      (result) => this.#finish(entry, result, startedAt),
      (err: unknown) => {
        // runProbe never rejects; a stand-in might. Count it as a failed probe.
        const at = this.#now();
        this.#finish(entry, { ok: false, reason: `probe error: ${String(err)}`.slice(0, 80), durationMs: at - startedAt, at }, startedAt);
      },
    );
  }

  #finish(entry: Scheduled, result: ProbeResult, startedAt: number): void {
    this.#running--;
    entry.controller = null;
    if (this.#stopped) {
      if (this.#running === 0 && this.#idle) this.#idle.resolve();
      return;
    }
    if (entry.phase !== 'removed' && this.#scheduled.get(entry.key) === entry) {
      try {
        this.#table.report(entry.key, result);
      } catch (err) {
        // A throwing event listener must not stop probing.
        this.#logger?.error({ err, key: entry.key }, 'health: listener failed on a probe result');
      }
      if (this.#pending.delete(entry.key)) this.#settleReady();
      entry.phase = 'waiting';
      entry.due = Math.max(startedAt + this.#jittered(intervalMs(entry.target)), this.#now());
      this.#due.push(entry);
      this.#arm();
    }
    this.#drain();
  }

  #settleReady(): void {
    if (this.#pending.size === 0 && this.#ready) {
      this.#ready.resolve();
      this.#ready = null;
    }
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
