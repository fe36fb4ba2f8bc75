// Watches zones/ and reloads what changed, debounced, so an editor's burst of writes becomes
// one reload. Reloads never overlap; a request during a reload runs once it finishes.
//
// Half-written files: an editor that saves in place (truncate, then write) can be
// caught mid-save, and the first half of a zone or LB file may parse — serving half a zone. So
// a watcher-triggered reload also waits for the files named by the watch events to settle: while
// one was modified less than `settleMs` ago, the reload is put off until it is that old (at most
// 5 x settleMs in all, so a file with a future mtime cannot stall reloads). Explicit reloads
// (SIGHUP, the API, run()) are not delayed.
//
// Big zones: before calling `reload`, a reload loads the changed big zone files on a
// worker thread and rebuilds them between queries (config-loader's prepareReload), so the
// synchronous reload that follows finds them ready instead of parsing for seconds.
import fs from 'node:fs';
import path from 'node:path';
import { discardPrepared, prepareReload, type PrepareOptions } from './config-loader.js';
import type { Logger } from '../server/logger.js';

export interface ReloaderOptions {
  readonly dir: string;
  readonly debounceMs: number;
  readonly logger: Logger;
  /** Performs the reload; `force` reparses every file even if its stamp did not change. */
  readonly reload: (force: boolean) => Promise<void> | void;
  /** A changed file must be this old (by mtime) before a watcher reload reads it (default 1000 ms). */
  readonly settleMs?: number;
  /** Load big zone files off the main thread before `reload` (default true). */
  readonly prepare?: boolean;
  /** Passed to prepareReload (tests lower the size from which a zone goes off the thread). */
  readonly prepareOptions?: PrepareOptions;
}

export class Reloader {
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private forceNext = false;
  /** Files named by watch events since the last watcher reload, and when waiting for them ends. */
  private readonly changed = new Set<string>();
  private settleDeadline = 0;

  constructor(private readonly opts: ReloaderOptions) {}

  start(): void {
    try {
      this.watcher = fs.watch(this.opts.dir, { persistent: false }, (_event, file) => {
        // Any change under zones/ (including $INCLUDEd files) schedules a reload; a changed
        // non-zone file forces a full reparse because we cannot tell which zone includes it.
        const name = file?.toString() ?? '';
        // Editor scratch files (.x.swp, #x#, x~) are never read; their churn must not delay reloads.
        if (name && !/^[.#]|~$/.test(name)) this.changed.add(name);
        this.schedule(!(name.endsWith('.zone') || /\.lb\.ya?ml$/.test(name)));
      });
      this.watcher.on('error', (err) => this.opts.logger.warn({ err }, 'zones directory watch failed'));
    } catch (err) {
      this.opts.logger.warn({ err, dir: this.opts.dir }, 'cannot watch zones directory; reload with SIGHUP');
    }
  }

  schedule(force = false): void {
    this.forceNext ||= force;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runWhenSettled(), this.opts.debounceMs);
  }

  private runWhenSettled(): void {
    this.timer = null;
    const settleMs = this.opts.settleMs ?? 1000;
    const now = Date.now();
    if (this.settleDeadline === 0) this.settleDeadline = now + 5 * settleMs;
    let wait = 0;
    for (const name of this.changed) {
      try {
        const age = now - fs.statSync(path.join(this.opts.dir, name)).mtimeMs;
        wait = Math.max(wait, Math.min(settleMs, settleMs - age));
      } catch {
        // Gone (deleted or renamed away): nothing to wait for.
      }
    }
    if (wait > 0 && now < this.settleDeadline) {
      this.timer = setTimeout(() => this.runWhenSettled(), Math.min(wait, this.settleDeadline - now));
      return;
    }
    this.changed.clear();
    this.settleDeadline = 0;
    void this.run();
  }

  /** Reload now (SIGHUP, API); resolves when a reload that started after this call is done. */
  async run(force = this.forceNext): Promise<void> {
    this.forceNext = false;
    if (this.running) {
      this.again = true;
      this.forceNext ||= force;
      await this.running;
      return this.running ?? undefined;
    }
    this.running = (async () => {
      try {
        if (this.opts.prepare !== false) await prepareReload(this.opts.dir, force, this.prepareOptions());
        await this.opts.reload(force);
      } catch (err) {
        this.opts.logger.error({ err }, 'reload failed');
      } finally {
        discardPrepared(this.opts.dir);
      }
    })();
    await this.running;
    this.running = null;
    if (this.again) {
      this.again = false;
      await this.run(this.forceNext);
    }
  }

  private prepareOptions(): PrepareOptions {
    const logger = this.opts.logger;
    return {
      onFallback: (zoneFile, why) =>
        logger.warn({ file: zoneFile, reason: why }, 'zone file is loaded on the main thread: queries wait until it is parsed'),
      ...this.opts.prepareOptions,
    };
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
