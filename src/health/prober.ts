// The prober: probes every target on its monitor's interval and reports results to the table.
//
// Scheduling is one min-heap of due times and one timer armed for the earliest, so 10k targets
// cost one timer, not 10k. Due probes go to a run queue drained up to `concurrency` at a time;
// runProbe() bounds each probe by (1 + retries) × timeout, so a hanging origin holds only its
// own slot, and only that long. The next probe of a target is scheduled from the start of its
// previous one (interval ± 10%), never overlapping it.
//
// Hanging origins must not delay the probes of the rest:
// - By default the concurrency is sized to the targets: enough slots for every target to be
//   probed on its interval even if every probe ran to its full timeout (Σ timeout / interval,
//   with headroom), bounded by a share of the open-file limit. Fewer slots than that (set by
//   hand, or the bound) are reported once per update as a warning, with the figures.
// - A target whose last probe took at least half its timeout waits in a slow queue, and slow
//   probes may hold at most 3/4 of the slots, so quick probes always find a free slot.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { type DueItem, DueQueue } from './due-queue.js';
import { type ProbeOptions, type RunProbe, runProbe as defaultRunProbe, timeoutMs } from './monitors/index.js';
import type { HealthTable, Transition } from './table.js';
import { isProbed, type ProbeResult, type ProbeTarget } from './types.js';

export interface ProberOptions {
  /**
   * Most probes running at once. Default: sized to the targets (see capacity()), at least 256
   * and at most `maxConcurrency`.
   */
  readonly concurrency?: number;
  /** Bound of the automatic concurrency (default: half the open-file limit, 4096 if unknown). */
  readonly maxConcurrency?: number;
  /** Stand-in for the real monitors (tests). */
  readonly runProbe?: RunProbe;
  /** Local address every probe is sent from (--probe-source); default: the system's choice. */
  readonly sourceAddress?: string;
  readonly logger?: Logger;
  /** Clock and randomness (tests). */
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Probes due within this window of the timer firing run in the same batch: fewer wake-ups. */
const BATCH_WINDOW_MS = 5;
/** The first round of new targets is spread over min(interval, this)... */
const FIRST_ROUND_SPREAD_MS = 1000;
/**
 * ...or over new targets / this many per second if that is longer. A probe start costs 0.1–0.3 ms
 * of CPU (more for TLS): 10k targets started within one second would hold the event loop for
 * seconds, and a probe whose reply waits behind that backlog can time out though the origin
 * answered at once. Later rounds keep the first round's spread (each probe is scheduled from
 * the start of the previous one).
 */
const FIRST_ROUND_RATE = 2000;
/** Later rounds are interval × (1 ± this). */
const JITTER = 0.1;
/** Shortest interval honoured, whatever the config says. */
const MIN_INTERVAL_MS = 10;
/** The automatic concurrency: at least this many slots... */
const MIN_AUTO_CONCURRENCY = 256;
/** ...and this many times the slots needed if every probe hung (room for bursts and the slow-queue cap). */
const AUTO_HEADROOM = 1.5;
/** A probe that took this share of its per-attempt timeout or more marks its target slow. */
const SLOW_FRACTION = 0.5;
/** Share of the slots slow probes may hold at once; the rest stays free for quick probes. */
const SLOW_SHARE = 0.75;
/** A probe starting this much after its due time counts as late (stats). */
const LATE_MS = 1000;

type Phase = 'waiting' | 'queued' | 'running' | 'removed';

interface Scheduled extends DueItem {
  readonly key: string;
  target: ProbeTarget;
  phase: Phase;
  controller: AbortController | null;
  /** The last probe took at least SLOW_FRACTION of its timeout (e.g. the origin hangs). */
  slow: boolean;
}

/** Whether the slots suffice to probe every target on its interval when probes hang. */
export interface ProberCapacity {
  /** Probes allowed to run at once. */
  readonly concurrency: number;
  /**
   * Slots needed to keep every target on its interval even if every probe ran to its full
   * timeout: Σ (1 + retries) × timeout / (0.9 × interval), divided by the share of the slots
   * slow probes may hold.
   */
  readonly needed: number;
  /** concurrency ≥ needed. */
  readonly sufficient: boolean;
  /** The concurrency was sized automatically (not set by hand). */
  readonly automatic: boolean;
}

export interface ProberStats extends ProberCapacity {
  readonly targets: number;
  readonly running: number;
  readonly queued: number;
  /** Probes started since construction. */
  readonly started: number;
  /** Probes that started more than 1 s after they were due, and the worst delay. */
  readonly late: number;
  readonly maxLateMs: number;
}

const intervalMs = (target: ProbeTarget): number => {
  const ms = target.monitor.interval * 1000;
  return Number.isFinite(ms) && ms > MIN_INTERVAL_MS ? ms : MIN_INTERVAL_MS;
};

/** Longest a probe of `target` can run: every attempt to its timeout. */
const worstProbeMs = (target: ProbeTarget): number => (1 + Math.max(0, Math.floor(target.monitor.retries) || 0)) * timeoutMs(target);

/** Average slots a target holds if its every probe runs to the end: at most one (probes never overlap). */
const slotShare = (target: ProbeTarget): number => Math.min(1, worstProbeMs(target) / (intervalMs(target) * (1 - JITTER)));

/** Half the soft open-file limit (Linux), else 4096: sockets for the rest of the server stay free. */
function defaultMaxConcurrency(): number {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (match) return Math.max(MIN_AUTO_CONCURRENCY, Math.floor(Number(match[1]) / 2));
  } catch {
    // not Linux
  }
  return 4096;
}

export class Prober {
  readonly #table: HealthTable;
  /** Set by hand, or null for automatic. */
  readonly #fixedConcurrency: number | null;
  readonly #maxConcurrency: number;
  #concurrency: number;
  /** Σ over targets of the slots each holds if its probes run to their timeout. */
  #demand = 0;
  readonly #runProbe: RunProbe;
  readonly #probeOptions: ProbeOptions;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #random: () => number;

  readonly #scheduled = new Map<string, Scheduled>();
  readonly #due = new DueQueue<Scheduled>();
  /** FIFOs of due probes waiting for a slot: quick targets, and targets whose last probe was slow. */
  readonly #queue = new RunQueue();
  readonly #slowQueue = new RunQueue();
  #running = 0;
  #runningSlow = 0;
  #started = 0;
  #late = 0;
  #maxLateMs = 0;
  /** The last capacity warning, so an unchanged shortfall is not logged on every update. */
  #warned = '';
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
    this.#fixedConcurrency = options.concurrency === undefined ? null : Math.max(1, Math.floor(options.concurrency) || 1);
    this.#maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency ?? defaultMaxConcurrency()) || 1);
    this.#concurrency = this.#fixedConcurrency ?? Math.min(MIN_AUTO_CONCURRENCY, this.#maxConcurrency);
    this.#runProbe = options.runProbe ?? defaultRunProbe;
    this.#probeOptions = options.sourceAddress === undefined ? {} : { localAddress: options.sourceAddress };
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
  update(allTargets: readonly ProbeTarget[]): void {
    if (this.#stopped) return;
    // External and calculated targets live in the table but are never probed.
    const targets = allTargets.filter(isProbed);
    try {
      this.#table.setTargets(allTargets);
    } catch (err) {
      // The table committed the new set before a listener threw; probing must still follow it.
      this.#logger?.error({ err }, 'health: listener failed on a target update');
    }
    const now = this.#now();
    let fresh = 0;
    for (const target of targets) if (!this.#scheduled.has(target.key)) fresh++;
    const spreadMs = Math.max(FIRST_ROUND_SPREAD_MS, (fresh / FIRST_ROUND_RATE) * 1000);
    const keep = new Set<string>();
    let demand = 0;
    for (const target of targets) {
      if (!keep.has(target.key)) demand += slotShare(target);
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
        due: now + this.#random() * Math.min(intervalMs(target), spreadMs),
        heapIndex: -1,
        phase: 'waiting',
        controller: null,
        slow: false,
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
    this.#size(demand);
    this.#settleReady();
    this.#arm();
    this.#drain();
  }

  /** Sizes the automatic concurrency to the demand, and warns if the slots fall short. */
  #size(demand: number): void {
    this.#demand = demand;
    if (this.#fixedConcurrency === null) {
      const wanted = Math.max(MIN_AUTO_CONCURRENCY, Math.ceil(demand * AUTO_HEADROOM));
      this.#concurrency = Math.min(wanted, this.#maxConcurrency);
    }
    const { concurrency, needed, sufficient } = this.capacity();
    if (sufficient) {
      this.#warned = '';
      return;
    }
    const figures = `${concurrency}/${needed}`;
    if (figures === this.#warned) return;
    this.#warned = figures;
    this.#logger?.warn(
      { concurrency, needed, targets: this.#scheduled.size },
      'health: too few probe slots to keep every target on its interval if origins hang; hanging origins will be probed late',
    );
  }

  /** The slots, and whether they keep every target on its interval even when probes hang. */
  capacity(): ProberCapacity {
    const needed = Math.ceil(this.#demand / SLOW_SHARE);
    return {
      concurrency: this.#concurrency,
      needed,
      sufficient: this.#concurrency >= needed,
      automatic: this.#fixedConcurrency === null,
    };
  }

  stats(): ProberStats {
    return {
      ...this.capacity(),
      targets: this.#scheduled.size,
      running: this.#running,
      queued: this.queued,
      started: this.#started,
      late: this.#late,
      maxLateMs: this.#maxLateMs,
    };
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
    return this.#queue.size + this.#slowQueue.size;
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
      this.#queue.clear();
      this.#slowQueue.clear();
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
      (next.slow ? this.#slowQueue : this.#queue).push(next);
    }
    this.#drain();
    this.#arm();
  };

  /** Starts queued probes while slots are free: quick ones first; slow ones up to their share. */
  #drain(): void {
    if (this.#stopped) return;
    while (this.#running < this.#concurrency) {
      const entry = this.#queue.shift();
      if (entry === undefined) break;
      if (entry.phase === 'queued') this.#start(entry);
    }
    // With one slot there is nothing to keep free.
    const slowLimit = this.#concurrency === 1 ? 1 : Math.max(1, Math.floor(this.#concurrency * SLOW_SHARE));
    while (this.#running < this.#concurrency && this.#runningSlow < slowLimit) {
      const entry = this.#slowQueue.shift();
      if (entry === undefined) break;
      if (entry.phase === 'queued') this.#start(entry);
    }
  }

  #start(entry: Scheduled): void {
    entry.phase = 'running';
    const controller = new AbortController();
    entry.controller = controller;
    const slow = entry.slow;
    this.#running++;
    if (slow) this.#runningSlow++;
    this.#started++;
    const startedAt = this.#now();
    const lateMs = startedAt - entry.due;
    if (lateMs > LATE_MS) {
      this.#late++;
      if (lateMs > this.#maxLateMs) this.#maxLateMs = lateMs;
    }
    let probe: Promise<ProbeResult>;
    try {
      probe = this.#runProbe(entry.target, controller.signal, this.#probeOptions);
    } catch (err) {
      probe = Promise.reject(err);
    }
    probe.then(
      (result) => this.#finish(entry, result, startedAt, slow),
      (err: unknown) => {
        // runProbe never rejects; a stand-in might. Count it as a failed probe.
        const at = this.#now();
        this.#finish(
          entry,
          { ok: false, reason: `probe error: ${String(err)}`.slice(0, 80), durationMs: at - startedAt, at },
          startedAt,
          slow,
        );
      },
    );
  }

  #finish(entry: Scheduled, result: ProbeResult, startedAt: number, wasSlow: boolean): void {
    this.#running--;
    if (wasSlow) this.#runningSlow--;
    entry.controller = null;
    entry.slow = result.durationMs >= timeoutMs(entry.target) * SLOW_FRACTION;
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

/** A FIFO with O(1) shift (a head index, compacted now and then). */
class RunQueue {
  #items: Scheduled[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(entry: Scheduled): void {
    this.#items.push(entry);
  }

  shift(): Scheduled | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const entry = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
