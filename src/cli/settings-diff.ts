// What a SIGHUP changed in the settings: the config keys whose effective value (flags still
// win over the file) differs, split into the ones applied live and the ones needing a restart.
import { LIVE_KEYS } from '../config/server-config.js';
import type { CliOptions } from './options.js';

/** Each config key, as the CliOptions field that holds its effective value. */
const FIELD_OF_KEY: Readonly<Record<string, keyof CliOptions>> = {
  zones: 'zones',
  listen: 'listen',
  geoip: 'geoip',
  log_level: 'logLevel',
  http: 'http',
  http_token_file: 'httpToken',
  query_log: 'queryLog',
  query_log_sample: 'queryLogSample',
  workers: 'workers',
  rrl: 'rrl',
  tcp: 'tcp',
};

export interface SettingsChange {
  readonly key: string;
  readonly live: boolean;
  readonly from: unknown;
  readonly to: unknown;
}

export function diffSettings(before: CliOptions, after: CliOptions): SettingsChange[] {
  const out: SettingsChange[] = [];
  for (const [key, field] of Object.entries(FIELD_OF_KEY)) {
    const from = before[field];
    const to = after[field];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    // A secret is not logged, only that it changed.
    const secret = key === 'http_token_file';
    out.push({ key, live: LIVE_KEYS.has(key), from: secret ? '(hidden)' : from, to: secret ? '(hidden)' : to });
  }
  return out;
}

/** The config keys FIELD_OF_KEY covers (a group covers its sub-keys), for the tests. */
export function diffedKeys(): readonly string[] {
  return Object.keys(FIELD_OF_KEY);
}

/** `running` with the live settings (LIVE_KEYS) taken from `next`, frozen. */
export function withLiveSettings(running: CliOptions, next: CliOptions): CliOptions {
  const out: Record<string, unknown> = { ...running };
  for (const key of LIVE_KEYS) {
    const field = FIELD_OF_KEY[key];
    if (field !== undefined) out[field] = next[field];
  }
  return Object.freeze(out as unknown as CliOptions);
}
