// The optional server config file (`--config steerdns.yaml`): one key per serve flag. YAML →
// strict schema (an unknown key is an error, with a did-you-mean) → frozen data, every problem
// with file:line. Command-line flags override the file (cli/args.ts merges them).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type SteerError, steerError } from '../errors.js';
import { byLine, issueErrors, knownKeysIn, parseYamlText } from '../lb/yaml-issues.js';
import { transferSchema } from '../xfr/settings.js';
import { loadKeyFiles } from '../xfr/tsig-keys.js';
import { UDP_IO_MODES } from '../transport/udp-io.js';

const whole = (min: number, max: number) => z.number().int().min(min).max(max);
/** Seconds, decimals allowed, from a millisecond to a day (as the --tcp-*-timeout flags). */
const seconds = z.number().min(0.001).max(86_400);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const serverConfigSchema = z.strictObject({
  zones: z.string().min(1).optional(),
  listen: z.array(z.string().min(1)).min(1).optional(),
  geoip: z.string().min(1).optional(),
  asn_db: z.string().min(1).optional(),
  log_level: z.enum(LOG_LEVELS).optional(),
  http: z.string().min(1).optional(),
  http_token_file: z.string().min(1).optional(),
  query_log: z.boolean().optional(),
  query_log_sample: whole(1, Number.MAX_SAFE_INTEGER).optional(),
  query_log_file: z.string().min(1).optional(),
  query_log_max_size: z.union([z.string().min(1), z.number().int()]).optional(),
  query_log_keep: whole(0, 1000).optional(),
  query_log_truncate: z.string().min(1).optional(),
  workers: whole(1, 1024).optional(),
  identity: z.string().min(1).optional(),
  version_string: z.string().min(1).optional(),
  cookies: z.enum(['on', 'off']).optional(),
  cookie_secret_file: z.string().min(1).optional(),
  keys: z.string().min(1).optional(),
  signature_cache: whole(1, 100_000_000).optional(),
  packet_cache: whole(0, 100_000_000).optional(),
  udp_io: z.enum(UDP_IO_MODES).optional(),
  udp_send_buffer: z.union([z.string().min(1), z.number().int()]).optional(),
  state_dir: z.string().min(1).optional(),
  audit_log: z.string().min(1).optional(),
  rrl: z
    .strictObject({
      rate: whole(0, 1_000_000).optional(),
      burst: whole(1, 1_000_000).optional(),
      slip: whole(0, 100).optional(),
      ipv4_prefix: whole(0, 32).optional(),
      ipv6_prefix: whole(0, 128).optional(),
      exempt: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  tcp: z
    .strictObject({
      max_connections: whole(1, 1_000_000).optional(),
      max_per_client: whole(1, 1_000_000).optional(),
      idle_timeout: seconds.optional(),
      message_timeout: seconds.optional(),
      max_queries: whole(1, 1_000_000_000).optional(),
    })
    .optional(),
  transfer: transferSchema.optional(),
  // Fleet mode (src/fleet, docs/fleet.md): the same checks as the flags (cli/fleet-options.ts).
  etcd: z.string().min(1).optional(),
  node: z.string().min(1).optional(),
  site: z.string().min(1).optional(),
  site_location: z.string().min(1).optional(),
  etcd_prefix: z.string().min(1).optional(),
  etcd_ca: z.string().min(1).optional(),
  etcd_cert: z.string().min(1).optional(),
  etcd_key: z.string().min(1).optional(),
  probers_per_site: whole(1, 64).optional(),
  fleet_grace: z.number().min(0).max(86_400).optional(),
  fleet_lease_ttl: whole(2, 3600).optional(),
  probe_source: z.string().min(1).optional(),
});

export type ServerConfig = z.infer<typeof serverConfigSchema>;

export interface LoadedServerConfig {
  readonly file: string;
  readonly config: Readonly<ServerConfig>;
  /** The line of a dotted key (`rrl.exempt`), for problems found after the schema. */
  lineOf(key: string): number;
  /** The line of a key path whose parts may hold dots (a zone name under transfer.zones). */
  lineAt(path: readonly string[]): number;
}

/**
 * Settings a SIGHUP applies to the running server. Every other key is read at start only: the
 * sockets, workers and HTTP listener are bound once, and the rate limiter, query log and HTTP
 * token check are built once with their settings (a changed one is logged as needing a restart).
 */
export const LIVE_KEYS: ReadonlySet<string> = new Set([
  'log_level',
  'cookie_secret_file',
  // Zone transfer settings and TSIG keys are swapped in whole at SIGHUP (a broken key file keeps the old ones).
  'transfer.key_files',
  'transfer.journal_versions',
  'transfer.journal_bytes',
  'transfer.notify_retries',
  'transfer.notify_timeout',
  'transfer.snapshot_interval',
  'transfer.zones',
]);

/** Keys with no command-line flag, and why: per-zone settings have no sensible flag form. */
export const FILE_ONLY_KEYS: Readonly<Record<string, string>> = {
  'transfer.key_files': 'zone transfer settings are per zone and live in the file',
  'transfer.journal_versions': 'zone transfer settings are per zone and live in the file',
  'transfer.journal_bytes': 'zone transfer settings are per zone and live in the file',
  'transfer.notify_retries': 'zone transfer settings are per zone and live in the file',
  'transfer.notify_timeout': 'zone transfer settings are per zone and live in the file',
  'transfer.snapshot_interval': 'zone transfer settings are per zone and live in the file',
  'transfer.zones': 'zone transfer settings are per zone and live in the file',
};

/** Keys of the file that group flags: `--rrl-rate` is `rrl.rate`, `--tcp-max-queries` is `tcp.max_queries`. */
const GROUPS = ['rrl', 'tcp'] as const;

/** The config key of a flag: `log-level` → `log_level`, `rrl-ipv4-prefix` → `rrl.ipv4_prefix`. */
export function configKeyOfFlag(flag: string): string {
  for (const g of GROUPS) if (flag.startsWith(`${g}-`)) return `${g}.${flag.slice(g.length + 1).replace(/-/g, '_')}`;
  return flag.replace(/-/g, '_');
}

/** Every key the file may hold, dotted (`rrl.rate`), in schema order. */
export function configKeys(): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(serverConfigSchema.shape)) {
    const inner = value.unwrap();
    if (inner instanceof z.ZodObject) for (const sub of Object.keys(inner.shape)) out.push(`${key}.${sub}`);
    else out.push(key);
  }
  return out;
}

/** The value at a dotted key, or undefined. */
export function configValue(config: ServerConfig, key: string): unknown {
  let v: unknown = config;
  for (const part of key.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** Keys whose values are paths: relative ones are taken from the config file's directory. */
const PATH_KEYS: ReadonlySet<string> = new Set([
  'zones',
  'geoip',
  'http_token_file',
  'cookie_secret_file',
  'keys',
  'asn_db',
  'etcd_ca',
  'etcd_cert',
  'etcd_key',
  'query_log_file',
  'state_dir',
  'audit_log',
]);
/** --geoip words that are not file names. */
const GEOIP_WORDS: ReadonlySet<string> = new Set(['off', 'none', 'default']);

/** A broken config file: every problem, with file:line. */
export class ConfigFileError extends Error {
  constructor(readonly errors: readonly SteerError[]) {
    super(errors.map((e) => e.describe()).join('\n'));
    this.name = 'ConfigFileError';
  }
}

/** Reads, validates and freezes the config file; throws ConfigFileError listing every problem. */
export function loadServerConfig(file: string): LoadedServerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError([steerError('STEER_FILE_READ', [file, (err as Error).message])]);
  }
  const loaded = parseServerConfig(text, file);
  checkTransferKeys(loaded);
  return loaded;
}

/**
 * The TSIG key files the transfer settings name must load, and every key a zone names must be
 * in one of them; a problem is reported at the file's or the setting's line.
 */
export function checkTransferKeys(loaded: LoadedServerConfig): void {
  const transfer = loaded.config.transfer;
  if (transfer === undefined) return;
  const result = loadKeyFiles(transfer.key_files ?? []);
  if ('errors' in result) throw new ConfigFileError([...result.errors]);
  const errors: SteerError[] = [];
  for (const [zone, z] of Object.entries(transfer.zones ?? {})) {
    for (const [field, names] of [
      ['keys', z.keys ?? []],
      ['notify_key', z.notify_key === undefined ? [] : [z.notify_key]],
    ] as const) {
      for (const name of names) {
        if (result.keys.has(name.toLowerCase().replace(/\.$/, ''))) continue;
        errors.push(
          steerError(
            'STEER_TRANSFER_CONFIG',
            [`zone ${zone}: ${field} names the key "${name}", which no file in transfer.key_files defines`],
            {
              file: loaded.file,
              line: loaded.lineAt(['transfer', 'zones', zone, field]),
            },
          ),
        );
      }
    }
  }
  if (errors.length > 0) throw new ConfigFileError(errors);
}

export function parseServerConfig(text: string, file: string): LoadedServerConfig {
  const yaml = parseYamlText(text, file, 'STEER_CONFIG_INVALID');
  if ('errors' in yaml) throw new ConfigFileError(yaml.errors);
  if (yaml.raw === null || typeof yaml.raw !== 'object' || Array.isArray(yaml.raw)) {
    throw new ConfigFileError([steerError('STEER_CONFIG_INVALID', ['expected a mapping of settings (key: value)'], { file, line: 1 })]);
  }
  const parsed = serverConfigSchema.safeParse(yaml.raw, { reportInput: true });
  if (!parsed.success) {
    const errors: SteerError[] = [];
    const known = (p: readonly PropertyKey[]) => knownKeysIn(serverConfigSchema, p);
    for (const issue of parsed.error.issues) errors.push(...issueErrors(issue, yaml.locator, file, 'STEER_CONFIG_INVALID', known));
    throw new ConfigFileError(byLine(errors));
  }
  const config = resolvePaths(parsed.data, path.dirname(path.resolve(file)));
  const locator = yaml.locator;
  return Object.freeze({
    file: path.resolve(file),
    config: deepFreeze(config),
    lineOf: (key: string) => locator.lineOf(key.split('.')),
    lineAt: (keyPath: readonly string[]) => locator.lineOf(keyPath),
  });
}

function resolvePaths(config: ServerConfig, dir: string): ServerConfig {
  const out: Record<string, unknown> = { ...config };
  for (const key of PATH_KEYS) {
    const v = out[key];
    if (typeof v === 'string' && !(key === 'geoip' && GEOIP_WORDS.has(v))) out[key] = path.resolve(dir, v);
  }
  if (config.transfer?.key_files !== undefined) {
    out.transfer = { ...config.transfer, key_files: config.transfer.key_files.map((f) => path.resolve(dir, f)) };
  }
  return out as ServerConfig;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
