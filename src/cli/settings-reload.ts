// SIGHUP for the settings: re-read the config file, validate it, and swap in what can change
// live; name every changed setting that needs a restart. A broken file keeps what runs.
import { ConfigFileError } from '../config/server-config.js';
import { SteerError } from '../errors.js';
import type { Logger } from '../server/logger.js';
import type { CliOptions } from './options.js';
import { diffSettings, withLiveSettings } from './settings-diff.js';

export interface SettingsSource {
  /** The --config file; null: no file, nothing to reload. */
  readonly configFile: string | null;
  /** The command line merged with the file as it is now; throws ConfigFileError when broken. */
  reread(): CliOptions;
}

/** The settings to run with after a SIGHUP: `running`, with the live settings of the file applied by `apply`. */
export function reloadSettings(running: CliOptions, source: SettingsSource, logger: Logger, apply: (next: CliOptions) => void): CliOptions {
  if (source.configFile === null) return running;
  let next: CliOptions;
  try {
    next = source.reread();
  } catch (err) {
    const errors = err instanceof ConfigFileError ? err.errors : null;
    if (errors) for (const e of errors) logger.error({ code: e.code, file: e.file, line: e.line }, e.describe());
    else logger.error({ err }, err instanceof SteerError ? err.describe() : (err as Error).message);
    logger.error({ file: source.configFile }, `config file ${source.configFile} is broken; the previous settings stay in force`);
    return running;
  }
  const changes = diffSettings(running, next);
  if (changes.length === 0) {
    logger.info({ file: source.configFile }, 'config file reloaded: no setting changed');
    return running;
  }
  // Live settings are swapped in together, as one frozen object.
  const updated = withLiveSettings(running, next);
  apply(updated);
  for (const c of changes) {
    if (c.live) logger.info({ setting: c.key, from: c.from, to: c.to }, `setting ${c.key} changed: applied`);
    else
      logger.warn(
        { setting: c.key, from: c.from, to: c.to },
        `setting ${c.key} changed in ${source.configFile} but needs a restart; the running value stays until then`,
      );
  }
  return updated;
}
