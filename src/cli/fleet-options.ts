// `serve` flags of fleet mode (src/fleet) and --probe-source: their parseArgs specs, usage text
// and validation. Without --etcd none of the fleet flags may be given and nothing changes.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { steerError } from '../errors.js';
import { NAME_PATTERN } from '../fleet/records.js';

export const FLEET_FLAGS = {
  etcd: { type: 'string' },
  node: { type: 'string' },
  site: { type: 'string' },
  'site-location': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  'etcd-ca': { type: 'string' },
  'etcd-cert': { type: 'string' },
  'etcd-key': { type: 'string' },
  'probers-per-site': { type: 'string' },
  'fleet-grace': { type: 'string' },
  'fleet-lease-ttl': { type: 'string' },
  'probe-source': { type: 'string' },
} as const;

/** Keys of the file that are paths (relative to the file's directory). */
export const FLEET_PATH_KEYS = ['etcd_ca', 'etcd_cert', 'etcd_key'] as const;

export const FLEET_USAGE = `
Fleet mode (several nameservers, one health truth, on etcd v3; see docs/fleet.md):
  --etcd URL[,URL...]  etcd client URLs; turns fleet mode on
  --node NAME          this node's name, unique in the fleet (required with --etcd)
  --site NAME          where it probes from; sites vote on health (required with --etcd)
  --site-location LAT,LON  where the site is (degrees): dynamic steering maps each client
                       to the nearest site's RTTs (every node of a site gives the same)
  --etcd-prefix P      key prefix in etcd (default /steerdns/)
  --etcd-ca FILE       CA bundle for https:// etcd URLs; --etcd-cert FILE and
  --etcd-key FILE      a client certificate. User and password: the STEERDNS_ETCD_USER and
                       STEERDNS_ETCD_PASSWORD environment variables
  --probers-per-site N live nodes of a site that probe each origin (default 2)
  --fleet-lease-ttl SEC  membership lease; a dead node's share moves after this (default 10)
  --fleet-grace SEC    without etcd this long, probe every origin and decide alone
                       (default 30)
  --probe-source ADDR  send health probes from this local address
`;

type FlagValues = { readonly [K in keyof typeof FLEET_FLAGS]?: string };

export interface FleetCliOptions {
  readonly hosts: readonly string[];
  readonly node: string;
  readonly site: string;
  /** --site-location, degrees; null when not given. */
  readonly location: { readonly latitude: number; readonly longitude: number } | null;
  readonly prefix: string;
  readonly probersPerSite: number;
  readonly leaseTtl: number;
  readonly graceMs: number;
  /** File paths; read when serve starts. */
  readonly tls: { readonly ca: string; readonly cert?: string; readonly key?: string } | null;
  readonly auth: { readonly username: string; readonly password: string } | null;
}

export interface FleetFlagOptions {
  /** null: no --etcd, the server runs alone. */
  readonly fleet: FleetCliOptions | null;
  readonly probeSource: string | undefined;
}

export function parseFleetFlags(values: FlagValues, env: NodeJS.ProcessEnv): FleetFlagOptions {
  const probeSource = values['probe-source'];
  if (probeSource !== undefined && isIP(probeSource) === 0) throw new Error(`--probe-source ${probeSource}: expected an IP address`);
  if (values.etcd === undefined) {
    const stray = (Object.keys(FLEET_FLAGS) as (keyof FlagValues)[]).find((k) => k !== 'probe-source' && values[k] !== undefined);
    if (stray !== undefined) throw new Error(`--${stray} needs --etcd (fleet mode is off without it)`);
    return { fleet: null, probeSource };
  }
  const hosts = values.etcd
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (const h of hosts) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(h)) throw new Error(`--etcd ${h}: expected http://HOST:PORT or https://HOST:PORT`);
  }
  if (hosts.length === 0) throw new Error('--etcd: expected one or more URLs separated by commas');
  const node = values.node;
  const site = values.site;
  if (node === undefined) throw new Error("--node: fleet mode needs this node's name (--node NAME)");
  if (site === undefined) throw new Error("--site: fleet mode needs this node's site (--site NAME)");
  for (const [flag, v] of [
    ['node', node],
    ['site', site],
  ] as const) {
    if (!NAME_PATTERN.test(v)) throw new Error(`--${flag} ${v}: letters, digits, "_", "-" and "." only (up to 63)`);
  }
  const prefix = values['etcd-prefix'] ?? '/steerdns/';
  if (!/^\/[\x21-\x7e]*$/.test(prefix)) throw new Error(`--etcd-prefix ${prefix}: expected a key prefix starting with "/"`);
  const probersPerSite = whole(values['probers-per-site'], 'probers-per-site', 1, 64, 2);
  const leaseTtl = whole(values['fleet-lease-ttl'], 'fleet-lease-ttl', 2, 3600, 10);
  const grace = seconds(values['fleet-grace'], 'fleet-grace', 30);
  const ca = values['etcd-ca'];
  if ((values['etcd-cert'] === undefined) !== (values['etcd-key'] === undefined)) {
    throw new Error('--etcd-cert and --etcd-key go together (a client certificate and its key)');
  }
  if (ca === undefined && values['etcd-cert'] !== undefined) throw new Error('--etcd-cert needs --etcd-ca');
  if (ca !== undefined && hosts.some((h) => h.startsWith('http://'))) throw new Error('--etcd-ca: every --etcd URL must be https://');
  const user = env.STEERDNS_ETCD_USER;
  const password = env.STEERDNS_ETCD_PASSWORD;
  const auth = user !== undefined && user !== '' ? { username: user, password: password ?? '' } : null;
  return {
    fleet: {
      hosts,
      node,
      site,
      location: parseSiteLocation(values['site-location']),
      prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
      probersPerSite,
      leaseTtl,
      graceMs: grace * 1000,
      tls: ca === undefined ? null : { ca, cert: values['etcd-cert'], key: values['etcd-key'] },
      auth,
    },
    probeSource,
  };
}

/** Reads the TLS files named by the options (at start; a missing file stops the start). */
export function readFleetTls(tls: FleetCliOptions['tls']): { ca: Buffer; cert?: Buffer; key?: Buffer } | null {
  if (tls === null) return null;
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw steerError('STEER_FLEET_TLS', [file, (err as Error).message]);
    }
  };
  return {
    ca: read(tls.ca),
    cert: tls.cert === undefined ? undefined : read(tls.cert),
    key: tls.key === undefined ? undefined : read(tls.key),
  };
}

/** "LAT,LON" in degrees (e.g. "50.11,8.68"), or undefined → null. */
export function parseSiteLocation(text: string | undefined): { latitude: number; longitude: number } | null {
  if (text === undefined) return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  const latitude = Number(m?.[1]);
  const longitude = Number(m?.[2]);
  if (m === null || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    throw new Error(`--site-location ${text}: expected LAT,LON in degrees (latitude -90 to 90, longitude -180 to 180)`);
  }
  return { latitude, longitude };
}

function whole(text: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`--${flag} ${text}: expected a whole number from ${min} to ${max}`);
  return n;
}

function seconds(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n < 0 || n > 86_400) throw new Error(`--${flag} ${text}: expected seconds from 0 to 86400`);
  return n;
}
