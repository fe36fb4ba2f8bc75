// The health table: owns each target's state, the anti-flap thresholds and the events.
// Monitors only say pass/fail; steering only reads the immutable snapshots published here.
//
// Decision: a target's FIRST result sets its state directly. A target starts as up/unknown so
// that steering has something to serve before any probe finished; if its first probe fails it
// goes down at once instead of after consecutive_down more rounds (minutes of answers pointing
// at a dead origin right after start or after it was added). From the second result on,
// consecutive_up / consecutive_down decide transitions.
//
// RTT: for targets with trackRtt (origins of `dynamic` load balancers) each successful probe's
// duration feeds an exponentially weighted moving average, alpha = 2 / (RTT_WINDOW + 1) = 1/3,
// i.e. roughly the last 5 successful probes dominate; failed probes do not count. Every such
// success publishes a new snapshot (so steering follows RTT within one probe interval); other
// targets publish only on a state change, as before.
import { EventEmitter } from 'node:events';
import { TableSnapshot } from './snapshot.js';
import type { HealthSnapshot, ProbeResult, ProbeTarget, TargetHealth } from './types.js';

export interface Transition {
  readonly key: string;
  readonly up: boolean;
  readonly previousUp: boolean;
  readonly reason: string;
  /** Epoch ms of the result that caused it. */
  readonly at: number;
}

/** Per-target detail for the status API and metrics. */
export interface TargetStats {
  readonly key: string;
  readonly target: ProbeTarget;
  readonly up: boolean;
  readonly known: boolean;
  readonly since: number;
  /** Why the target is in its current state. */
  readonly reason: string;
  /** The newest result (snapshots carry the one that caused the last change). */
  readonly lastResult: ProbeResult | null;
  readonly probesPassed: number;
  readonly probesFailed: number;
  /** Current run of passes or failures counted toward a threshold. */
  readonly consecutivePassed: number;
  readonly consecutiveFailed: number;
}

export interface HealthTableEvents {
  transition: [Transition];
  snapshot: [HealthSnapshot];
}

export interface HealthTableOptions {
  /** Clock for `since` of new targets (tests). */
  readonly now?: () => number;
  /** How many transitions recentTransitions() keeps. */
  readonly historySize?: number;
}

interface Entry {
  target: ProbeTarget;
  /** The published, frozen state; replaced (never mutated) on every change. */
  health: TargetHealth;
  lastResult: ProbeResult | null;
  passStreak: number;
  failStreak: number;
  probesPassed: number;
  probesFailed: number;
  /** Smoothed RTT of successful probes (trackRtt targets), null before the first. */
  rttMs: number | null;
  rttSamples: number;
  /** Times of the latest probes (at most RECENT_PROBES), oldest first, and whether each passed. */
  recentAt: number[];
  recentOk: boolean[];
}

/** Probes per target kept for error rates over a window (a ramp's abort_if). */
export const RECENT_PROBES = 1000;

const threshold = (n: number): number => (Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1);

/** Successful probes the RTT average mostly reflects; alpha = 2 / (window + 1). */
export const RTT_WINDOW = 5;
const RTT_ALPHA = 2 / (RTT_WINDOW + 1);

export class HealthTable extends EventEmitter<HealthTableEvents> {
  readonly #now: () => number;
  #entries = new Map<string, Entry>();
  #published: TableSnapshot = TableSnapshot.of(0, []);
  #emitting = false;
  #emitAgain = false;
  readonly #history: (Transition | undefined)[];
  #historyNext = 0;
  #historyCount = 0;

  constructor(options: HealthTableOptions = {}) {
    super();
    this.#now = options.now ?? Date.now;
    this.#history = new Array<Transition | undefined>(Math.max(1, options.historySize ?? 200));
  }

  /**
   * Makes `targets` the set of targets. Keys that stay keep their state (and take the new
   * target, e.g. new thresholds); new keys start up and unknown; missing keys are dropped.
   * Publishes a new snapshot only if the key set changed.
   */
  setTargets(targets: readonly ProbeTarget[]): void {
    const previous = this.#entries;
    const next = new Map<string, Entry>();
    const now = this.#now();
    let changed = false;
    for (const target of targets) {
      const entry = next.get(target.key) ?? previous.get(target.key);
      if (entry) {
        entry.target = target;
        next.set(target.key, entry);
        continue;
      }
      changed = true;
      next.set(target.key, {
        target,
        health: Object.freeze({ up: true, known: false, since: now, reason: 'not probed yet', lastResult: null }),
        lastResult: null,
        passStreak: 0,
        failStreak: 0,
        probesPassed: 0,
        probesFailed: 0,
        rttMs: null,
        recentAt: [],
        recentOk: [],
        rttSamples: 0,
      });
    }
    if (next.size !== previous.size) changed = true;
    this.#entries = next;
    if (changed) {
      const entries = Array.from(next, ([key, entry]) => [key, entry.health] as const);
      this.#published = TableSnapshot.of(this.#published.generation + 1, entries);
      this.#emitSnapshot();
    }
  }

  /**
   * Records one probe result. Returns false (and changes nothing) if `key` is not a current
   * target, e.g. a late result for a target removed meanwhile.
   */
  report(key: string, result: ProbeResult): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    entry.lastResult = result;
    entry.recentAt.push(result.at);
    entry.recentOk.push(result.ok);
    if (entry.recentAt.length > RECENT_PROBES) {
      entry.recentAt.shift();
      entry.recentOk.shift();
    }
    if (result.ok) {
      entry.probesPassed++;
      entry.passStreak++;
      entry.failStreak = 0;
    } else {
      entry.probesFailed++;
      entry.failStreak++;
      entry.passStreak = 0;
    }
    const before = entry.health;
    let up = before.up;
    if (!before.known) {
      up = result.ok;
    } else if (before.up && entry.failStreak >= threshold(entry.target.monitor.consecutive_down)) {
      up = false;
    } else if (!before.up && entry.passStreak >= threshold(entry.target.monitor.consecutive_up)) {
      up = true;
    }
    const rttChanged = result.ok && entry.target.trackRtt === true;
    if (rttChanged) {
      entry.rttMs = entry.rttMs === null ? result.durationMs : entry.rttMs + RTT_ALPHA * (result.durationMs - entry.rttMs);
      entry.rttSamples++;
    }
    if (before.known && up === before.up && !rttChanged) return true;

    const transition = up !== before.up;
    entry.health = Object.freeze({
      up,
      known: true,
      since: transition ? result.at : before.since,
      reason: transition || !before.known ? result.reason : before.reason,
      lastResult: transition || !before.known ? result : before.lastResult,
      ...(entry.target.trackRtt === true ? { rttMs: entry.rttMs, rttSamples: entry.rttSamples } : {}),
    });
    // Publish before emitting, so listeners of either event read the new state.
    this.#published = this.#published.with(new Map([[key, entry.health]]));
    if (transition) {
      const event: Transition = Object.freeze({ key, up, previousUp: before.up, reason: result.reason, at: result.at });
      this.#remember(event);
      this.emit('transition', event);
    }
    this.#emitSnapshot();
    return true;
  }

  /**
   * Failed and total probe results of these targets at or after `since` (epoch ms), over the
   * latest RECENT_PROBES of each. Failures are probe failures (after `invert`), not client errors.
   */
  probeCounts(keys: readonly string[], since: number): { failed: number; total: number } {
    let failed = 0;
    let total = 0;
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry === undefined) continue;
      for (let i = entry.recentAt.length - 1; i >= 0 && entry.recentAt[i]! >= since; i--) {
        total++;
        if (!entry.recentOk[i]) failed++;
      }
    }
    return { failed, total };
  }

  /** The current published snapshot: frozen, never changes; O(1). */
  snapshot(): HealthSnapshot {
    return this.#published;
  }

  /**
   * Emits 'snapshot' with the newest snapshot. A listener that reports while the event is going
   * out (a calculated monitor deriving its verdict) makes a newer one: that one goes out once the
   * first has reached every listener, never nested inside it — a nested emit would reach the
   * later listeners before the older snapshot does, and the serving state would keep the older
   * one until the next change.
   */
  #emitSnapshot(): void {
    if (this.#emitting) {
      this.#emitAgain = true;
      return;
    }
    this.#emitting = true;
    try {
      do {
        this.#emitAgain = false;
        this.emit('snapshot', this.#published);
      } while (this.#emitAgain);
    } finally {
      this.#emitting = false;
    }
  }

  /** Number of targets. */
  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Live detail of one target. */
  statsFor(key: string): TargetStats | undefined {
    const entry = this.#entries.get(key);
    return entry ? statsOf(key, entry) : undefined;
  }

  /** Live detail of every target, in key order. */
  stats(): TargetStats[] {
    return Array.from(this.#entries, ([key, entry]) => statsOf(key, entry)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The last transitions (up to historySize), oldest first. */
  recentTransitions(): Transition[] {
    const size = this.#history.length;
    const out: Transition[] = [];
    for (let i = 0; i < this.#historyCount; i++) {
      const event = this.#history[(this.#historyNext - this.#historyCount + i + size) % size];
      if (event) out.push(event);
    }
    return out;
  }

  #remember(event: Transition): void {
    this.#history[this.#historyNext] = event;
    this.#historyNext = (this.#historyNext + 1) % this.#history.length;
    this.#historyCount = Math.min(this.#historyCount + 1, this.#history.length);
  }
}

function statsOf(key: string, entry: Entry): TargetStats {
  const { health } = entry;
  return {
    key,
    target: entry.target,
    up: health.up,
    known: health.known,
    since: health.since,
    reason: health.reason,
    lastResult: entry.lastResult,
    probesPassed: entry.probesPassed,
    probesFailed: entry.probesFailed,
    consecutivePassed: entry.passStreak,
    consecutiveFailed: entry.failStreak,
  };
}
