// Reads zones/: every `<origin>.zone` with its optional `<origin>.lb.yaml`, validated off the
// query path. Per-origin isolation: a broken file keeps that origin's previous good version.
//
// Big zones and reloads: loadConfigDir is synchronous (startup needs nothing else), and parsing
// a zone of a million records takes seconds, during which no query would be answered. So before
// a reload, prepareReload() loads each changed big zone file on a worker thread and rebuilds
// the zone on this thread a few milliseconds at a time between queries; loadConfigDir then
// takes those prepared origins instead of parsing the files again, and the swap stays one
// synchronous step.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type SteerError, steerError } from '../errors.js';
import { loadKeySet, zoneKeyDir } from '../dnssec/key-set.js';
import { ZoneSigning } from '../dnssec/zone-signing.js';
import { loadLbText } from '../lb/load.js';
import type { LbZoneConfig } from '../lb/types.js';
import { buildZoneFromList } from '../zone/build.js';
import { originFromFileName } from '../zone/load.js';
import { ZoneUnpacker, type PackedZone } from '../zone/pack.js';
import { parseZone, readZoneFileText } from '../zone/parser.js';
import type { Zone } from '../zone/types.js';
import type { OriginConfig } from './state.js';
import { loadOriginOffThread } from './zone-load-worker-client.js';

export const ZONE_SUFFIX = '.zone';
export const LB_SUFFIXES = ['.lb.yaml', '.lb.yml'] as const;

export interface LoadOutcome {
  /** The origins to serve: freshly loaded ones plus kept previous versions of broken ones. */
  readonly origins: ReadonlyMap<string, OriginConfig>;
  readonly errors: readonly SteerError[];
  /** Problems that did not stop a file from loading (e.g. TTLs differing inside one RRset). */
  readonly warnings: readonly SteerError[];
  /** Origins that were (re)loaded from changed files. */
  readonly loaded: readonly string[];
  /** Origins whose new files were broken and whose previous version keeps serving. */
  readonly kept: readonly string[];
  readonly removed: readonly string[];
}

interface FileStamp {
  readonly mtimeMs: number;
  readonly size: number;
}

/** What the last successful load of an origin saw on disk, to skip unchanged origins. */
const stamps = new WeakMap<OriginConfig, string>();
/** The same for the origin's DNSSEC keys directory. */
const keyStamps = new WeakMap<OriginConfig, string>();

export type OriginResult = { config: OriginConfig; warnings: readonly SteerError[] } | { errors: SteerError[] };

/** Zone files at least this big are loaded on a worker thread by prepareReload (about 40k records). */
export const OFF_THREAD_BYTES = 1 << 20;
/** Longest stretch the main thread spends rebuilding a prepared zone before answering queries. */
const SLICE_MS = 4;

/** Origins loaded by prepareReload for the coming loadConfigDir, by zone file. */
const prepared = new Map<string, { readonly stamp: string; readonly result: OriginResult }>();
/** The stamp each zone file had when this process last loaded it (what prepareReload compares). */
const lastLoaded = new Map<string, string>();

interface OriginFiles {
  readonly origin: string;
  readonly zoneFile: string;
  readonly lbFile: string | null;
}

/** The origins of a directory's entries, in name order; bad zone file names are reported. */
function originFilesOf(dir: string, entries: readonly string[], errors: SteerError[] | null): OriginFiles[] {
  const names = new Set(entries);
  const out: OriginFiles[] = [];
  for (const entry of [...entries].sort()) {
    if (!entry.endsWith(ZONE_SUFFIX)) continue;
    const zoneFile = path.join(dir, entry);
    const origin = originFromFileName(zoneFile);
    if (origin === null) {
      errors?.push(steerError('STEER_ZONE_SYNTAX', [`cannot take a zone name from the file name ${entry}`], { file: zoneFile }));
      continue;
    }
    const lbName = LB_SUFFIXES.map((s) => `${entry.slice(0, -ZONE_SUFFIX.length)}${s}`).find((n) => names.has(n));
    out.push({ origin, zoneFile, lbFile: lbName ? path.join(dir, lbName) : null });
  }
  return out;
}

/**
 * Load every origin of `dir`. Origins whose files did not change since `previous` are reused
 * as they are, unless `force` is set.
 */
export function loadConfigDir(
  dir: string,
  previous: ReadonlyMap<string, OriginConfig>,
  force = false,
  keysDir: string | null = null,
): LoadOutcome {
  const errors: SteerError[] = [];
  if (keysDir !== null && isWithin(path.resolve(keysDir), path.resolve(dir))) {
    errors.push(steerError('STEER_DNSSEC_KEYS_DIR', [`${keysDir} is inside the zones directory ${dir}: keep keys away from served data`]));
    return { origins: new Map(previous), errors, warnings: [], loaded: [], kept: [...previous.keys()], removed: [] };
  }
  const warnings: SteerError[] = [];
  const origins = new Map<string, OriginConfig>();
  const loaded: string[] = [];
  const kept: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    errors.push(steerError('STEER_FILE_READ', [dir, (err as Error).message]));
    return { origins: new Map(previous), errors, warnings, loaded, kept, removed: [] };
  }
  const names = new Set(entries);
  const previousByFile = new Map([...previous.values()].map((o) => [o.zoneFile, o]));
  for (const { origin, zoneFile, lbFile } of originFilesOf(dir, entries, errors)) {
    const stamp = stampOf(zoneFile, lbFile);
    const prev = previousByFile.get(zoneFile);
    const keyStamp = keysDir === null ? '' : keyStampOf(zoneKeyDir(keysDir, prev?.origin ?? origin));
    if (!force && prev && stamps.get(prev) === stamp) {
      if (keyStamps.get(prev) === keyStamp) {
        origins.set(prev.origin, prev);
        continue;
      }
      // Only the keys changed: the zone is kept, its signing state is made again.
      const resigned = withSigning(prev, keysDir);
      if ('errors' in resigned) {
        errors.push(...resigned.errors);
        origins.set(prev.origin, prev);
        kept.push(prev.origin);
        continue;
      }
      stamps.set(resigned.config, stamp);
      keyStamps.set(resigned.config, keyStamp);
      origins.set(prev.origin, resigned.config);
      loaded.push(prev.origin);
      continue;
    }
    const ready = prepared.get(zoneFile);
    if (ready !== undefined) prepared.delete(zoneFile);
    const read = ready !== undefined && ready.stamp === stamp ? ready.result : loadOrigin(origin, zoneFile, lbFile, dir);
    const result = 'errors' in read ? read : withSigning(read.config, keysDir, read.warnings);
    if ('errors' in result) {
      errors.push(...result.errors);
      if (prev) {
        origins.set(prev.origin, prev);
        kept.push(prev.origin);
      }
      continue;
    }
    warnings.push(...result.warnings);
    stamps.set(result.config, stamp);
    keyStamps.set(result.config, keysDir === null ? '' : keyStampOf(zoneKeyDir(keysDir, result.config.origin)));
    lastLoaded.set(zoneFile, stamp);
    if (origins.has(result.config.origin)) {
      errors.push(steerError('STEER_ZONE_SYNTAX', [`zone ${result.config.origin} is defined by more than one file`], { file: zoneFile }));
      continue;
    }
    origins.set(result.config.origin, result.config);
    loaded.push(result.config.origin);
  }
  // An LB file without its zone file is a mistake worth reporting.
  for (const entry of entries) {
    const suffix = LB_SUFFIXES.find((s) => entry.endsWith(s));
    if (!suffix) continue;
    const zoneName = `${entry.slice(0, -suffix.length)}${ZONE_SUFFIX}`;
    if (!names.has(zoneName)) {
      errors.push(
        steerError('STEER_LB_REFERENCE', [`load-balancer file has no zone file ${zoneName} beside it`], { file: path.join(dir, entry) }),
      );
    }
  }
  // Files gone from the directory need no stamp any more.
  for (const file of lastLoaded.keys())
    if (path.join(dir, path.basename(file)) === file && !names.has(path.basename(file))) lastLoaded.delete(file);
  const removed = [...previous.keys()].filter((o) => !origins.has(o));
  return { origins, errors, warnings, loaded, kept, removed };
}

/**
 * `config` with the signing state of its keys directory (none without --keys or without a
 * directory for the zone); broken or inactive keys are errors, so the previous version is kept.
 */
function withSigning(config: OriginConfig, keysDir: string | null, warnings: readonly SteerError[] = []): OriginResult {
  if (keysDir === null) return { config, warnings };
  const loaded = loadKeySet(keysDir, config.origin);
  if ('errors' in loaded) return { errors: loaded.errors };
  const signing = loaded.keys === null ? null : new ZoneSigning(loaded.keys, config.zone.soa.ttl);
  if (signing === null && (config.signing ?? null) === null) return { config, warnings };
  return { config: Object.freeze({ ...config, signing }), warnings };
}

/** What a keys directory holds (names, sizes, mtimes): a change re-reads the keys. */
function keyStampOf(keyDir: string): string {
  try {
    return JSON.stringify(
      fs
        .readdirSync(keyDir)
        .sort()
        .map((f) => {
          const st = fs.statSync(path.join(keyDir, f));
          return [f, st.size, st.mtimeMs, st.mode];
        }),
    );
  } catch {
    return 'none';
  }
}

function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Parse and validate one origin's files into a frozen OriginConfig. */
export function loadOrigin(fileOrigin: string, zoneFile: string, lbFile: string | null, zonesDir: string): OriginResult {
  const read = readOrigin(fileOrigin, zoneFile, lbFile, zonesDir);
  if ('errors' in read) return read;
  const { origin, zone, lb, warnings } = read;
  return { config: Object.freeze({ origin, zone, lb, zoneFile, lbFile, loadedAt: Date.now() }), warnings };
}

/** What loadOrigin reads, before it becomes an OriginConfig; lbText is the LB file's text. */
export type OriginRead =
  | { origin: string; zone: Zone; lb: LbZoneConfig | null; lbText: string | null; warnings: readonly SteerError[] }
  | { errors: SteerError[] };

/**
 * Parses and checks one origin's files (also what a zone-load worker thread runs). `lbTextGiven`
 * stands in for the LB file's contents (a candidate posted to the what-if API), checked exactly
 * as the file would be and reported under the name `lbFile`.
 */
export function readOrigin(
  fileOrigin: string,
  zoneFile: string,
  lbFile: string | null,
  zonesDir: string,
  lbTextGiven?: string,
): OriginRead {
  let text: string;
  try {
    text = readZoneFileText(zoneFile);
  } catch (err) {
    return { errors: [steerError('STEER_FILE_READ', [zoneFile, (err as Error).message], { file: zoneFile })] };
  }
  // The zone file may name its origin with a leading $ORIGIN; the LB file follows the zone.
  const parsed = parseZone(text, { file: zoneFile, origin: fileOrigin, zonesDir });
  const errors: SteerError[] = [...parsed.errors];
  let lb: LbZoneConfig | null = null;
  let lbText: string | null = null;
  if (lbFile) {
    try {
      lbText = lbTextGiven ?? fs.readFileSync(lbFile, 'utf8');
    } catch (err) {
      errors.push(steerError('STEER_FILE_READ', [lbFile, (err as Error).message]));
    }
    if (lbText !== null) {
      const lbResult = loadLbText(lbText, { file: lbFile, origin: parsed.origin });
      if ('errors' in lbResult) errors.push(...lbResult.errors);
      else lb = lbResult.config;
    }
  }
  if (errors.length > 0) return { errors };
  const built = buildZoneFromList(parsed.origin, parsed.list, { file: zoneFile, bindings: lb?.bindings ?? new Map() });
  if ('errors' in built) return { errors: [...built.errors] };
  return { origin: parsed.origin, zone: built.zone, lb, lbText, warnings: built.warnings };
}

export interface PrepareOptions {
  /** Zone files smaller than this are left to loadConfigDir (default OFF_THREAD_BYTES). */
  readonly minBytes?: number;
  /** Told about a big zone that could not be loaded off the main thread (loadConfigDir will). */
  readonly onFallback?: (zoneFile: string, why: string) => void;
}

export interface PrepareSummary {
  /** Zone files loaded off the main thread (or found broken there), waiting for loadConfigDir. */
  readonly prepared: string[];
  /** Big zone files the worker could not load: loadConfigDir will, on the main thread. */
  readonly fallbacks: string[];
}

/**
 * Before a reload: loads each big zone file of `dir` that changed since this process last
 * loaded it (every big one with `force`) on a worker thread, rebuilds it here in slices of a few
 * milliseconds, and keeps the result for the next loadConfigDir(dir, ...). Nothing is served
 * from here; errors are kept too, so a broken big file is not parsed twice. A zone the worker
 * cannot load is left to loadConfigDir.
 */
export async function prepareReload(dir: string, force: boolean, opts: PrepareOptions = {}): Promise<PrepareSummary> {
  const minBytes = opts.minBytes ?? OFF_THREAD_BYTES;
  const summary: PrepareSummary = { prepared: [], fallbacks: [] };
  const fallback = (zoneFile: string, why: string): void => {
    summary.fallbacks.push(zoneFile);
    opts.onFallback?.(zoneFile, why);
  };
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return summary; // loadConfigDir reports it
  }
  for (const { origin, zoneFile, lbFile } of originFilesOf(dir, entries, null)) {
    let size: number;
    try {
      size = fs.statSync(zoneFile).size;
    } catch {
      continue;
    }
    if (size < minBytes) continue;
    const stamp = stampOf(zoneFile, lbFile);
    if (!force && lastLoaded.get(zoneFile) === stamp) continue;
    const off = await loadOriginOffThread({ origin, zoneFile, lbFile, zonesDir: dir });
    if ('unavailable' in off) {
      fallback(zoneFile, off.unavailable);
      continue;
    }
    let result: OriginResult;
    try {
      result = 'errors' in off ? { errors: off.errors } : await originFromPacked(off.packed, off.lbText, zoneFile, lbFile, off.warnings);
    } catch (err) {
      fallback(zoneFile, (err as Error).message);
      continue;
    }
    prepared.set(zoneFile, { stamp, result });
    summary.prepared.push(zoneFile);
  }
  return summary;
}

/** Forgets what prepareReload kept for `dir` and no loadConfigDir took. */
export function discardPrepared(dir: string): void {
  for (const file of prepared.keys()) if (path.join(dir, path.basename(file)) === file) prepared.delete(file);
}

/** A worker's packed zone → an OriginConfig, the zone rebuilt between queries. */
async function originFromPacked(
  packed: PackedZone,
  lbText: string | null,
  zoneFile: string,
  lbFile: string | null,
  warnings: readonly SteerError[],
): Promise<OriginResult> {
  let lb: LbZoneConfig | null = null;
  if (lbFile !== null) {
    // The worker checked this very text; reading it here gives this thread its own objects.
    if (lbText === null) throw new Error('the worker sent no load-balancer text');
    const lbResult = loadLbText(lbText, { file: lbFile, origin: packed.origin });
    if ('errors' in lbResult) return { errors: [...lbResult.errors] };
    lb = lbResult.config;
    await yieldToEventLoop();
  }
  const unpacker = new ZoneUnpacker(packed, lb?.bindings ?? new Map());
  while (!unpacker.step(performance.now() + SLICE_MS)) await yieldToEventLoop();
  const zone = unpacker.zone();
  return { config: Object.freeze({ origin: packed.origin, zone, lb, zoneFile, lbFile, loadedAt: Date.now() }), warnings };
}

/**
 * What a set of loaded origins was read from: each origin's name, SOA serial and the stamps
 * (mtime, size) of its files when they were loaded, hashed. Two processes that loaded the same
 * files agree; a file that changed between their reads makes them differ (cluster reloads
 * compare these before switching workers over).
 */
export function configFingerprint(origins: ReadonlyMap<string, OriginConfig>): string {
  const hash = createHash('sha256');
  for (const o of [...origins.values()].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0))) {
    hash.update(`${o.origin}\u0000${o.zone.serial}\u0000${stamps.get(o) ?? '?'}\n`);
  }
  return hash.digest('hex').slice(0, 32);
}

function stampOf(zoneFile: string, lbFile: string | null): string {
  const s = (f: string | null): FileStamp | null => {
    if (!f) return null;
    try {
      const st = fs.statSync(f);
      return { mtimeMs: st.mtimeMs, size: st.size };
    } catch {
      return null;
    }
  };
  return JSON.stringify([s(zoneFile), s(lbFile)]);
}
