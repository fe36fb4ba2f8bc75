// Reads zones/: every `<origin>.zone` with its optional `<origin>.lb.yaml`, validated off the
// query path. Per-origin isolation: a broken file keeps that origin's previous good version.
import fs from 'node:fs';
import path from 'node:path';
import { SteerError, steerError } from '../errors.js';
import { loadLbFile } from '../lb/load.js';
import type { LbZoneConfig } from '../lb/types.js';
import { buildZoneFromList } from '../zone/build.js';
import { originFromFileName } from '../zone/load.js';
import { parseZone, readZoneFileText } from '../zone/parser.js';
import type { OriginConfig } from './state.js';

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

/**
 * Load every origin of `dir`. Origins whose files did not change since `previous` are reused
 * as they are, unless `force` is set.
 */
export function loadConfigDir(dir: string, previous: ReadonlyMap<string, OriginConfig>, force = false): LoadOutcome {
  const errors: SteerError[] = [];
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
  for (const entry of entries.sort()) {
    if (!entry.endsWith(ZONE_SUFFIX)) continue;
    const zoneFile = path.join(dir, entry);
    const origin = originFromFileName(zoneFile);
    if (origin === null) {
      errors.push(steerError('STEER_ZONE_SYNTAX', [`cannot take a zone name from the file name ${entry}`], { file: zoneFile }));
      continue;
    }
    const lbName = LB_SUFFIXES.map((s) => `${entry.slice(0, -ZONE_SUFFIX.length)}${s}`).find((n) => names.has(n));
    const lbFile = lbName ? path.join(dir, lbName) : null;
    const stamp = stampOf(zoneFile, lbFile);
    const prev = previousByFile.get(zoneFile);
    if (!force && prev && stamps.get(prev) === stamp) {
      origins.set(prev.origin, prev);
      continue;
    }
    const result = loadOrigin(origin, zoneFile, lbFile, dir);
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
      errors.push(steerError('STEER_LB_REFERENCE', [`load-balancer file has no zone file ${zoneName} beside it`], { file: path.join(dir, entry) }));
    }
  }
  const removed = [...previous.keys()].filter((o) => !origins.has(o));
  return { origins, errors, warnings, loaded, kept, removed };
}

/** Parse and validate one origin's files into a frozen OriginConfig. */
export function loadOrigin(
  fileOrigin: string,
  zoneFile: string,
  lbFile: string | null,
  zonesDir: string,
): { config: OriginConfig; warnings: readonly SteerError[] } | { errors: SteerError[] } {
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
  if (lbFile) {
    const lbResult = loadLbFile(lbFile, parsed.origin);
    if ('errors' in lbResult) errors.push(...lbResult.errors);
    else lb = lbResult.config;
  }
  if (errors.length > 0) return { errors };
  const built = buildZoneFromList(parsed.origin, parsed.list, { file: zoneFile, bindings: lb?.bindings ?? new Map() });
  if ('errors' in built) return { errors: [...built.errors] };
  return {
    config: Object.freeze({ origin: parsed.origin, zone: built.zone, lb, zoneFile, lbFile, loadedAt: Date.now() }),
    warnings: built.warnings,
  };
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
