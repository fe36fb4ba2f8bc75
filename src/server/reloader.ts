// Watches zones/ and reloads what changed, debounced, so an editor's burst of writes becomes
// one reload. Reloads never overlap; a request during a reload runs once it finishes.
import fs from 'node:fs';
import type { Logger } from './logger.js';

export interface ReloaderOptions {
  readonly dir: string;
  readonly debounceMs: number;
  readonly logger: Logger;
  /** Performs the reload; `force` reparses every file even if its stamp did not change. */
  readonly reload: (force: boolean) => Promise<void> | void;
}

export class Reloader {
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private forceNext = false;

  constructor(private readonly opts: ReloaderOptions) {}

  start(): void {
    try {
      this.watcher = fs.watch(this.opts.dir, { persistent: false }, (_event, file) => {
        // Any change under zones/ (including $INCLUDEd files) schedules a reload; a changed
        // non-zone file forces a full reparse because we cannot tell which zone includes it.
        const name = file?.toString() ?? '';
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
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.opts.debounceMs);
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
        await this.opts.reload(force);
      } catch (err) {
        this.opts.logger.error({ err }, 'reload failed');
      }
    })();
    await this.running;
    this.running = null;
    if (this.again) {
      this.again = false;
      await this.run(this.forceNext);
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
