// What whatif and scenarios both start from: a zones directory loaded and checked exactly as
// `check` does (the same file:line errors), the GeoIP database, and the replay health view.
import path from 'node:path';
import { loadConfigDir } from '../config/config-loader.js';
import type { OriginConfig } from '../config/state.js';
import { SteerError } from '../errors.js';
import { GeoIpService } from '../geo/service.js';
import type { GeoDatabase } from '../geo/types.js';
import { loadReplayHealth, type ReplayHealth } from '../replay/health-source.js';
import { silentLogger } from '../server/logger.js';
import type { CliOptions } from './options.js';
import { resolveGeoIpOption } from './resolve-geoip.js';

/** The origins of `dir`, or null after printing every error as `check` prints them. */
export function loadZonesChecked(dir: string): ReadonlyMap<string, OriginConfig> | null {
  const outcome = loadConfigDir(path.resolve(dir), new Map(), true);
  for (const err of outcome.errors) process.stderr.write(`${err.describe()}\n`);
  if (outcome.errors.length > 0) {
    process.stderr.write(`${dir}: ${outcome.errors.length} error(s); nothing replayed\n`);
    return null;
  }
  return outcome.origins;
}

/** The GeoIP database both sides use (the same one, so a difference is the configuration's). */
export async function openReplayGeo(options: CliOptions): Promise<GeoDatabase | null> {
  const file = resolveGeoIpOption(options.geoip);
  if (!file) return null;
  const service = await GeoIpService.open(file, silentLogger(), { fsWatch: false });
  const db = service.current();
  service.close();
  return db;
}

/** --health, or null after printing why it cannot be had. */
export async function replayHealthOrReport(options: CliOptions): Promise<ReplayHealth | null> {
  try {
    return await loadReplayHealth(options.replay.health);
  } catch (err) {
    if (!(err instanceof SteerError)) throw err;
    process.stderr.write(`steerdns: ${err.describe()}\n`);
    return null;
  }
}

/** Exit code of a run whose gate failed (1 is a broken configuration, 2 a usage error). */
export const EXIT_GATE = 3;
