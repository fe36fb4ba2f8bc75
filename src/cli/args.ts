// Command line → CliOptions: flags first, then the config file (--config), then the defaults.
// Values from the file are turned into flag values and go through the same checks as flags,
// so a setting means the same thing wherever it is written.
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { steerError } from '../errors.js';
import { ConfigFileError, configKeyOfFlag, configValue, type LoadedServerConfig, loadServerConfig } from '../config/server-config.js';
import { FLEET_FLAGS, parseFleetFlags } from './fleet-options.js';
import { LIMIT_FLAGS, parseLimitFlags } from './limits.js';
import {
  parseQueryLogFileFlags,
  parseReplayFlags,
  parseSize,
  QUERY_LOG_FILE_FLAGS,
  REPLAY_FLAG_ONLY,
  REPLAY_FLAGS,
} from './replay-flags.js';
import type { CliOptions } from './options.js';
import { UDP_IO_MODES, type UdpIoMode } from '../transport/udp-io.js';
import { UDP_SOCKET_BUFFER } from '../transport/udp.js';
import { DEFAULT_PACKET_CACHE_SIZE } from '../query/packet-cache.js';

/** parseArgs specs of every flag. No defaults here: an absent flag lets the config file speak. */
export const CLI_FLAGS = {
  config: { type: 'string' },
  zones: { type: 'string' },
  listen: { type: 'string', multiple: true },
  geoip: { type: 'string' },
  'asn-db': { type: 'string' },
  'log-level': { type: 'string' },
  client: { type: 'string' },
  http: { type: 'string' },
  'http-token': { type: 'string' },
  'http-token-file': { type: 'string' },
  'query-log': { type: 'boolean' },
  'query-log-sample': { type: 'string' },
  workers: { type: 'string' },
  identity: { type: 'string' },
  'version-string': { type: 'string' },
  cookies: { type: 'string' },
  'cookie-secret-file': { type: 'string' },
  keys: { type: 'string' },
  'signature-cache': { type: 'string' },
  'packet-cache': { type: 'string' },
  algorithm: { type: 'string' },
  ksk: { type: 'boolean' },
  zsk: { type: 'boolean' },
  'udp-io': { type: 'string' },
  'udp-send-buffer': { type: 'string' },
  'state-dir': { type: 'string' },
  'audit-log': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  ...LIMIT_FLAGS,
  ...FLEET_FLAGS,
  ...QUERY_LOG_FILE_FLAGS,
  ...REPLAY_FLAGS,
} as const;

/** Flags with no config key, and why. Every other flag has one (configKeyOfFlag). */
export const FLAG_ONLY: Readonly<Record<string, string>> = {
  config: 'names the file itself',
  client: 'a question for explain, not a server setting',
  algorithm: 'an argument of keygen, not a server setting',
  ksk: 'an argument of keygen, not a server setting',
  zsk: 'an argument of keygen, not a server setting',
  help: 'prints the usage',
  version: 'prints the version',
  'http-token': 'a secret does not belong in a config file others may read: the file names http_token_file',
  ...REPLAY_FLAG_ONLY,
};

type Flag = keyof typeof CLI_FLAGS;
export type FlagValues = {
  -readonly [K in Flag]?: (typeof CLI_FLAGS)[K] extends { multiple: true }
    ? string[]
    : (typeof CLI_FLAGS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

export interface CommandLine {
  readonly command: string;
  readonly flags: Readonly<FlagValues>;
  readonly positionals: readonly string[];
}

/** Flags and positionals only (no file is read); throws on an unknown flag or a missing value. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: CLI_FLAGS });
  const [first, ...rest] = positionals;
  const flags = values as FlagValues;
  if (flags.version) return { command: 'version', flags, positionals: [] };
  // `steerdns serve --help` is `steerdns help serve`.
  if (flags.help) return { command: 'help', flags, positionals: first === undefined ? [] : [first] };
  return { command: first ?? 'help', flags, positionals: rest };
}

/** The flag values a config file stands for (numbers as their text, as if typed). */
export function flagValuesOfConfig(loaded: LoadedServerConfig): FlagValues {
  const out: Record<string, unknown> = {};
  for (const flag of Object.keys(CLI_FLAGS)) {
    if (flag in FLAG_ONLY) continue;
    const v = configValue(loaded.config, configKeyOfFlag(flag));
    if (v === undefined) continue;
    out[flag] = typeof v === 'number' ? String(v) : Array.isArray(v) ? [...(v as string[])] : v;
  }
  return out as FlagValues;
}

/** Flags over file over defaults, checked; throws an Error (or SteerError) naming the bad setting. */
export function resolveOptions(line: CommandLine, loaded: LoadedServerConfig | null, env: NodeJS.ProcessEnv = process.env): CliOptions {
  const given = Object.fromEntries(Object.entries(line.flags).filter(([, v]) => v !== undefined)) as FlagValues;
  const values: FlagValues = { ...(loaded ? flagValuesOfConfig(loaded) : {}), ...given };
  try {
    return { ...checkedOptions(values, given, line, env), transfer: loaded?.config.transfer ?? null };
  } catch (err) {
    throw loaded ? inFile(err, given, loaded) : err;
  }
}

function checkedOptions(values: FlagValues, given: FlagValues, line: CommandLine, env: NodeJS.ProcessEnv): Omit<CliOptions, 'transfer'> {
  const sampleText = values['query-log-sample'] ?? '1';
  const queryLogSample = Number(sampleText);
  if (!/^\d+$/.test(sampleText) || !Number.isSafeInteger(queryLogSample) || queryLogSample < 1) {
    throw new Error(`--query-log-sample ${sampleText}: expected a whole number of at least 1`);
  }
  const limits = parseLimitFlags(values);
  const fleet = parseFleetFlags(values, env);
  return {
    zones: values.zones ?? 'zones',
    listen: values.listen && values.listen.length > 0 ? values.listen : ['127.0.0.1:5300', '[::1]:5300'],
    geoip: values.geoip ?? 'default',
    asnDb: values['asn-db'],
    logLevel: values['log-level'] ?? 'info',
    client: values.client,
    http: values.http ?? '127.0.0.1:9153',
    httpToken: values['http-token'] ?? (values['http-token-file'] !== undefined ? readTokenFile(values['http-token-file']) : undefined),
    queryLog: values['query-log'] ?? false,
    queryLogSample,
    workers: parseWorkers(given.workers, env.STEERDNS_WORKERS, values.workers),
    keys: values.keys,
    algorithm: values.algorithm,
    ksk: values.ksk ?? false,
    zsk: values.zsk ?? false,
    signatureCache: parseSignatureCache(values['signature-cache']),
    packetCache: parsePacketCache(values['packet-cache']),
    udpIo: parseUdpIo(values['udp-io']),
    udpSendBuffer: parseUdpSendBuffer(values['udp-send-buffer']),
    stateDir: values['state-dir'] ?? null,
    auditLog: values['audit-log'] ?? null,
    rrl: limits.rrl,
    tcp: limits.tcp,
    // In a fleet the node name is the identity unless one is given: NSID then says which node answered.
    identity: checkIdentity('--identity', values.identity ?? fleet.fleet?.node ?? os.hostname()),
    versionString: values['version-string'] === undefined ? null : checkIdentity('--version-string', values['version-string']),
    cookies: parseOnOff('--cookies', values.cookies ?? 'on'),
    cookieSecrets: values['cookie-secret-file'] === undefined ? null : readCookieSecrets(values['cookie-secret-file']),
    fleet: fleet.fleet,
    probeSource: fleet.probeSource,
    ...parseQueryLogFileFlags(values),
    replay: parseReplayFlags(values),
    positionals: line.positionals,
  };
}

/**
 * A problem the flag checks found in a value that came from the file (every message starts with
 * the flag it is about): reported at the key's line, under the key's name.
 */
function inFile(err: unknown, given: FlagValues, loaded: LoadedServerConfig): unknown {
  const m = err instanceof Error && !(err instanceof ConfigFileError) ? /^--([a-z0-9-]+)\b ?(.*)$/s.exec(err.message) : null;
  if (!m || m[1]! in given || !(m[1]! in CLI_FLAGS)) return err;
  const key = configKeyOfFlag(m[1]!);
  if (configValue(loaded.config, key) === undefined) return err;
  return new ConfigFileError([steerError('STEER_CONFIG_INVALID', [`${key} ${m[2]}`], { file: loaded.file, line: loaded.lineOf(key) })]);
}

export interface ParsedCli {
  readonly command: string;
  readonly options: CliOptions;
  /** The --config file, absolute; null without one. */
  readonly configFile: string | null;
  /** Re-reads the config file and merges the same command line again (SIGHUP). */
  reread(): CliOptions;
}

/** The whole of it: flags, the config file, defaults. Throws ConfigFileError for a broken file. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedCli {
  const line = parseCommandLine(argv);
  const file = line.flags.config;
  const usesOptions = line.command !== 'help' && line.command !== 'version';
  const load = (): LoadedServerConfig | null => (file !== undefined ? loadServerConfig(file) : null);
  const loaded = usesOptions ? load() : null;
  return {
    command: line.command,
    options: resolveOptions(line, loaded, env),
    configFile: loaded?.file ?? null,
    reread: () => resolveOptions(line, load(), env),
  };
}

/**
 * The bearer token in `file`, without its trailing newline. Refused when group or others may
 * read it: whoever reads the token can read the status API and the explain endpoint.
 */
function readTokenFile(file: string): string {
  let text: string;
  try {
    if (process.platform !== 'win32') {
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new ConfigFileError([
          steerError('STEER_HTTP_TOKEN', [`file ${file} may be read by group or others (mode ${mode.toString(8)}): chmod 600 it`]),
        ]);
      }
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    throw new ConfigFileError([steerError('STEER_FILE_READ', [file, (err as Error).message])]);
  }
  return text.replace(/\r?\n$/, '');
}

/** An identity or version string: sent in TXT and NSID, so 1 to 255 bytes of printable text. */
function checkIdentity(flag: string, text: string): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes < 1 || bytes > 255 || hasControlCharacter(text)) {
    throw new Error(`${flag} ${JSON.stringify(text)}: expected 1 to 255 bytes of printable text`);
  }
  return text;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function parseOnOff(flag: string, text: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new Error(`${flag} ${text}: expected on or off`);
}

/**
 * The cookie secrets in `file`: the current one on the first line, the previous one (still
 * accepted during a rotation) optionally on the second; 32 hex digits each, # comments allowed.
 * Refused when group or others may read it: whoever has the secret can forge server cookies.
 */
function readCookieSecrets(file: string): string[] {
  const fail = (why: string): never => {
    throw new ConfigFileError([steerError('STEER_COOKIE_SECRET', [file, why])]);
  };
  let text = '';
  try {
    if (process.platform !== 'win32') {
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0) fail(`may be read by group or others (mode ${mode.toString(8)}): chmod 600 it`);
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigFileError) throw err;
    fail((err as Error).message);
  }
  const secrets: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (!/^[0-9a-fA-F]{32}$/.test(line)) fail(`line ${i + 1}: expected a secret of 32 hex digits (16 bytes)`);
    secrets.push(line.toLowerCase());
  }
  if (secrets.length === 0 || secrets.length > 2) fail(`expected one or two secrets (current, then previous), found ${secrets.length}`);
  return secrets;
}

/** --udp-send-buffer: SO_SNDBUF of every UDP socket, in bytes or with K, M or G (default 8M). */
function parseUdpSendBuffer(text: string | undefined): number {
  if (text === undefined) return UDP_SOCKET_BUFFER;
  const bytes = parseSize('udp-send-buffer', text);
  // setsockopt takes an int; the kernel doubles the value and caps it at net.core.wmem_max anyway.
  if (bytes > 1024 ** 3) throw new Error(`--udp-send-buffer ${text}: expected at most 1G`);
  return bytes;
}

/** --udp-io: auto (default), batch or dgram. */
function parseUdpIo(text: string | undefined): UdpIoMode {
  if (text === undefined) return 'auto';
  if (!(UDP_IO_MODES as readonly string[]).includes(text)) throw new Error(`--udp-io ${text}: expected ${UDP_IO_MODES.join(', ')}`);
  return text as UdpIoMode;
}

/** --workers, else STEERDNS_WORKERS (empty: unset), else the file's, else one per core. */
function parseWorkers(flag: string | undefined, env: string | undefined, file: string | undefined): number {
  const [text, source] =
    flag !== undefined
      ? [flag, '--workers']
      : env !== undefined && env !== ''
        ? [env, 'STEERDNS_WORKERS']
        : file !== undefined
          ? [file, 'workers']
          : [null, ''];
  if (text === null) return Math.max(1, os.availableParallelism());
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1024) throw new Error(`${source} ${text}: expected a whole number from 1 to 1024`);
  return n;
}

/** --packet-cache: UDP replies kept by query message (default 50000; 0: none). */
function parsePacketCache(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PACKET_CACHE_SIZE;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 100_000_000) throw new Error(`--packet-cache ${text}: expected a whole number from 0 to 100000000`);
  return n;
}

/** --signature-cache: RRsets whose signatures are kept (default 100000). */
function parseSignatureCache(text: string | undefined): number {
  if (text === undefined) return 100_000;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 100_000_000)
    throw new Error(`--signature-cache ${text}: expected a whole number from 1 to 100000000`);
  return n;
}
