// External health (NS1 data feeds, gdnsd's extfile): `type: external` targets are not probed;
// their state is pushed through the HTTP API or read from a watched health file, and reported
// into the health table like a probe result, so thresholds, snapshots and events work as for
// probes. A report holds for its TTL and then falls back to the monitor's `expire_to` state.
import fs from 'node:fs';
import type { Logger } from 'pino';
import { parseHealthFile, type HealthFileEntry } from './health-file.js';
import type { HealthTable } from './table.js';
import type { ProbeTarget } from './types.js';

/** One origin of one zone whose health (or one of whose calculated children) is external. */
export interface ExternalBinding {
  readonly zone: string;
  readonly origin: string;
  readonly target: ProbeTarget;
}

export interface ExternalReport {
  readonly up: boolean;
  readonly reason: string;
  /** Seconds the report holds; undefined: the monitor's expire_after; 0: until replaced. */
  readonly ttl?: number;
}

export interface ExternalState {
  readonly key: string;
  readonly up: boolean;
  readonly reason: string;
  readonly source: 'initial' | 'api' | 'file' | 'expired';
  readonly at: number;
  /** Epoch ms when the report falls back to expire_to; null: it does not. */
  readonly expiresAt: number | null;
}

export interface HealthFileStatus {
  readonly path: string;
  readonly ok: boolean;
  /** The last problem ("file:line: ..."), or null. */
  readonly error: string | null;
  /** Epoch ms the contents now applying were read; null before a good read. */
  readonly appliedAt: number | null;
  readonly entries: number;
}

export interface ExternalHealthOptions {
  readonly logger: Logger;
  readonly now?: () => number;
  /** How often watched files are stat'ed (default 1000 ms). */
  readonly fileIntervalMs?: number;
}

interface FileWatch {
  readonly path: string;
  readonly listener: (curr: fs.Stats, prev: fs.Stats) => void;
  status: HealthFileStatus;
}

export class ExternalHealth {
  readonly #table: HealthTable;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #fileIntervalMs: number;
  #bindings: readonly ExternalBinding[] = [];
  #targets = new Map<string, ProbeTarget>();
  #states = new Map<string, ExternalState>();
  #timers = new Map<string, NodeJS.Timeout>();
  #files = new Map<string, FileWatch>();

  constructor(table: HealthTable, options: ExternalHealthOptions) {
    this.#table = table;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#fileIntervalMs = options.fileIntervalMs ?? 1000;
  }

  /**
   * The external origins of the current configuration. New targets start in their expire_to
   * state; targets that stay keep their report; health files are (re)read and watched.
   */
  setBindings(bindings: readonly ExternalBinding[]): void {
    this.#bindings = bindings;
    const targets = new Map<string, ProbeTarget>();
    for (const b of bindings) targets.set(b.target.key, b.target);
    for (const key of this.#targets.keys()) if (!targets.has(key)) this.#forget(key);
    this.#targets = targets;
    for (const target of targets.values()) {
      if (!this.#states.has(target.key)) this.#fallBack(target, 'initial', 'no report yet');
    }
    const paths = new Set<string>();
    for (const t of targets.values()) if (t.monitor.external?.healthFile) paths.add(t.monitor.external.healthFile);
    for (const [path, watch] of this.#files) {
      if (paths.has(path)) continue;
      fs.unwatchFile(path, watch.listener);
      this.#files.delete(path);
    }
    for (const path of paths) {
      if (!this.#files.has(path)) this.#watch(path);
      this.#readFile(path);
    }
  }

  /**
   * Applies a report to every external target of `origin` in `zone`. Returns the states now
   * in force, or null when the origin has no external health there.
   */
  report(zone: string, origin: string, report: ExternalReport): ExternalState[] | null {
    const targets = this.targetsOf(zone, origin);
    if (targets.length === 0) return null;
    return targets.map((t) => this.#apply(t, report.up, report.reason, 'api', report.ttl ?? t.monitor.external?.expireAfter ?? 0));
  }

  /** The distinct external targets of `origin` in `zone`. */
  targetsOf(zone: string, origin: string): ProbeTarget[] {
    const out = new Map<string, ProbeTarget>();
    for (const b of this.#bindings) if (b.zone === zone && b.origin === origin) out.set(b.target.key, b.target);
    return [...out.values()];
  }

  state(key: string): ExternalState | undefined {
    return this.#states.get(key);
  }

  states(): ExternalState[] {
    return [...this.#states.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  files(): HealthFileStatus[] {
    return [...this.#files.values()].map((w) => w.status);
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const [path, watch] of this.#files) fs.unwatchFile(path, watch.listener);
    this.#files.clear();
  }

  #apply(target: ProbeTarget, up: boolean, reason: string, source: ExternalState['source'], ttlSeconds: number): ExternalState {
    const at = this.#now();
    const expiresAt = ttlSeconds > 0 ? at + ttlSeconds * 1000 : null;
    const state: ExternalState = Object.freeze({ key: target.key, up, reason, source, at, expiresAt });
    this.#states.set(target.key, state);
    const old = this.#timers.get(target.key);
    if (old !== undefined) clearTimeout(old);
    this.#timers.delete(target.key);
    if (expiresAt !== null) {
      const timer = setTimeout(() => {
        this.#timers.delete(target.key);
        if (this.#states.get(target.key) === state) this.#fallBack(target, 'expired', `report expired (was: ${reason})`);
      }, ttlSeconds * 1000);
      timer.unref();
      this.#timers.set(target.key, timer);
    }
    this.#table.report(target.key, { ok: up, reason, durationMs: 0, at });
    return state;
  }

  #fallBack(target: ProbeTarget, source: ExternalState['source'], reason: string): void {
    this.#apply(target, (target.monitor.external?.expireTo ?? 'down') === 'up', reason, source, 0);
  }

  #forget(key: string): void {
    const timer = this.#timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(key);
    this.#states.delete(key);
  }

  #watch(path: string): void {
    const listener = (curr: fs.Stats, prev: fs.Stats): void => {
      if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
      this.#readFile(path);
    };
    this.#files.set(path, { path, listener, status: { path, ok: false, error: null, appliedAt: null, entries: 0 } });
    fs.watchFile(path, { interval: this.#fileIntervalMs, persistent: false }, listener);
  }

  /** Reads and applies one health file; a broken file changes nothing and is logged. */
  #readFile(path: string): void {
    const watch = this.#files.get(path);
    if (watch === undefined) return;
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (err) {
      const error = `${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      watch.status = { ...watch.status, ok: false, error };
      this.#logger.warn({ file: path }, `health file ${error}; the last good contents keep applying`);
      return;
    }
    const parsed = parseHealthFile(text, path);
    if ('error' in parsed) {
      watch.status = { ...watch.status, ok: false, error: parsed.error.describe() };
      this.#logger.error(
        { code: parsed.error.code, file: path, line: parsed.error.line },
        `${parsed.error.describe()}; the last good contents keep applying`,
      );
      return;
    }
    this.#applyFile(path, parsed.entries);
    watch.status = { path, ok: true, error: null, appliedAt: this.#now(), entries: parsed.entries.length };
  }

  /** The file is the whole truth for its monitors: origins it does not list fall back to expire_to. */
  #applyFile(path: string, entries: readonly HealthFileEntry[]): void {
    const byOrigin = new Map(entries.map((e) => [e.origin, e]));
    const known = new Set<string>();
    for (const b of this.#bindings) {
      if (b.target.monitor.external?.healthFile !== path) continue;
      known.add(b.origin);
      const entry = byOrigin.get(b.origin);
      if (entry !== undefined) this.#apply(b.target, entry.up, entry.reason, 'file', 0);
      else this.#fallBack(b.target, 'file', 'not listed in the health file');
    }
    for (const e of entries) {
      if (!known.has(e.origin))
        this.#logger.warn({ file: path, line: e.line }, `health file ${path}:${e.line}: no external origin named "${e.origin}"`);
    }
  }
}
