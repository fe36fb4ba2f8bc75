// What a SIGHUP changed in the settings: the config keys whose effective value (flags still
// win over the file) differs, split into the ones applied live and the ones needing a restart.
import { LIVE_KEYS } from '../config/server-config.js';
import type { CliOptions } from './options.js';

/** Each config key → where CliOptions holds its effective value (group keys: the field inside). */
const FIELD_OF_KEY: Readonly<Record<string, readonly [keyof CliOptions] | readonly ['rrl' | 'tcp' | 'transfer', string]>> = {
  zones: ['zones'],
  listen: ['listen'],
  geoip: ['geoip'],
  asn_db: ['asnDb'],
  log_level: ['logLevel'],
  http: ['http'],
  // The token read from the file: a new token under the same file name counts as a change.
  http_token_file: ['httpToken'],
  query_log: ['queryLog'],
  query_log_sample: ['queryLogSample'],
  query_log_file: ['queryLogFile'],
  query_log_max_size: ['queryLogMaxBytes'],
  query_log_keep: ['queryLogKeep'],
  query_log_truncate: ['queryLogTruncate'],
  workers: ['workers'],
  identity: ['identity'],
  version_string: ['versionString'],
  cookies: ['cookies'],
  // The secrets read from the file: new secrets under the same file name count as a change.
  cookie_secret_file: ['cookieSecrets'],
  keys: ['keys'],
  signature_cache: ['signatureCache'],
  packet_cache: ['packetCache'],
  udp_io: ['udpIo'],
  udp_send_buffer: ['udpSendBuffer'],
  state_dir: ['stateDir'],
  audit_log: ['auditLog'],
  'rrl.rate': ['rrl', 'rate'],
  'rrl.burst': ['rrl', 'burst'],
  'rrl.slip': ['rrl', 'slip'],
  'rrl.ipv4_prefix': ['rrl', 'ipv4Prefix'],
  'rrl.ipv6_prefix': ['rrl', 'ipv6Prefix'],
  'rrl.exempt': ['rrl', 'exempt'],
  'tcp.max_connections': ['tcp', 'maxConnections'],
  'tcp.max_per_client': ['tcp', 'maxConnectionsPerClient'],
  'tcp.idle_timeout': ['tcp', 'idleTimeoutMs'],
  'tcp.message_timeout': ['tcp', 'messageTimeoutMs'],
  'tcp.max_queries': ['tcp', 'maxQueriesPerConnection'],
  'transfer.key_files': ['transfer', 'key_files'],
  'transfer.journal_versions': ['transfer', 'journal_versions'],
  'transfer.journal_bytes': ['transfer', 'journal_bytes'],
  'transfer.notify_retries': ['transfer', 'notify_retries'],
  'transfer.notify_timeout': ['transfer', 'notify_timeout'],
  'transfer.snapshot_interval': ['transfer', 'snapshot_interval'],
  'transfer.zones': ['transfer', 'zones'],
};

/** Fleet-mode keys (cli/fleet-options.ts): read from the nested fleet options, absent without --etcd. */
const FLEET_VALUE_OF_KEY: Readonly<Record<string, (o: CliOptions) => unknown>> = {
  etcd: (o) => o.fleet?.hosts,
  node: (o) => o.fleet?.node,
  site: (o) => o.fleet?.site,
  site_location: (o) => o.fleet?.location,
  etcd_prefix: (o) => o.fleet?.prefix,
  etcd_ca: (o) => o.fleet?.tls?.ca,
  etcd_cert: (o) => o.fleet?.tls?.cert,
  etcd_key: (o) => o.fleet?.tls?.key,
  probers_per_site: (o) => o.fleet?.probersPerSite,
  fleet_grace: (o) => o.fleet?.graceMs,
  fleet_lease_ttl: (o) => o.fleet?.leaseTtl,
  probe_source: (o) => o.probeSource,
};

function effectiveValue(o: CliOptions, key: string): unknown {
  const fleet = FLEET_VALUE_OF_KEY[key];
  if (fleet !== undefined) return fleet(o);
  const [field, inner] = FIELD_OF_KEY[key]!;
  const v = o[field];
  if (inner === undefined) return v;
  return v === null || v === undefined ? undefined : (v as Record<string, unknown>)[inner];
}

export interface SettingsChange {
  readonly key: string;
  readonly live: boolean;
  readonly from: unknown;
  readonly to: unknown;
}

export function diffSettings(before: CliOptions, after: CliOptions): SettingsChange[] {
  const out: SettingsChange[] = [];
  for (const key of [...Object.keys(FIELD_OF_KEY), ...Object.keys(FLEET_VALUE_OF_KEY)]) {
    const from = effectiveValue(before, key);
    const to = effectiveValue(after, key);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    // A secret is not logged, only that it changed.
    const secret = key === 'http_token_file' || key === 'cookie_secret_file';
    out.push({ key, live: LIVE_KEYS.has(key), from: secret ? '(hidden)' : (from ?? null), to: secret ? '(hidden)' : (to ?? null) });
  }
  return out;
}

/** The config keys diffSettings compares, for the tests. */
export function diffedKeys(): readonly string[] {
  return [...Object.keys(FIELD_OF_KEY), ...Object.keys(FLEET_VALUE_OF_KEY)];
}

/** `running` with the live settings (LIVE_KEYS) taken from `next`, frozen. */
export function withLiveSettings(running: CliOptions, next: CliOptions): CliOptions {
  const out: Record<string, unknown> = { ...running };
  for (const key of LIVE_KEYS) {
    const [field, inner] = FIELD_OF_KEY[key] ?? [];
    // Whole fields, and the transfer group (its keys are all live, so it is taken whole); a live
    // key inside rrl/tcp would need the group rebuilt.
    if (field !== undefined && (inner === undefined || field === 'transfer')) out[field] = next[field];
  }
  return Object.freeze(out as unknown as CliOptions);
}
