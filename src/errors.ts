// One catalogue of coded errors (fastify style). Every error the project reports to an
// operator has a stable code here; messages are templates filled with %s in order.
// Add new codes to the section of your area; never reuse or renumber a code.

export interface SteerErrorInfo {
  readonly code: string;
  readonly message: string;
}

const catalogue = {
  // --- config / files (generic) ---
  STEER_FILE_READ: 'cannot read %s: %s',
  STEER_CONFIG_INVALID: '%s',

  // --- zone files (src/zone) ---
  STEER_ZONE_SYNTAX: '%s',
  STEER_ZONE_UNKNOWN_TYPE: 'unknown record type %s',
  STEER_ZONE_BAD_RDATA: 'bad %s record data: %s',
  STEER_ZONE_OUT_OF_ZONE: 'name %s is outside the zone %s',
  STEER_ZONE_NO_SOA: 'zone %s has no SOA record at its apex',
  STEER_ZONE_MULTIPLE_SOA: 'zone %s has more than one SOA record',
  STEER_ZONE_CNAME_CONFLICT: 'CNAME and other data at %s',
  STEER_ZONE_INCLUDE: '$INCLUDE %s: %s',
  STEER_ZONE_NO_TTL: 'no TTL for the record and no $TTL before it',
  STEER_ZONE_NO_NS: 'zone %s has no NS records at its apex',
  STEER_ZONE_BAD_TTL: '%s',
  STEER_ZONE_BAD_CLASS: 'class %s is not supported (only IN)',
  STEER_ZONE_BAD_NAME: '%s',
  STEER_ZONE_GENERIC_ONLY: 'type %s is read only in RFC 3597 generic form (\\# length hex)',
  STEER_ZONE_META_TYPE: 'type %s cannot appear in zone data',
  STEER_ZONE_TOO_MANY_ERRORS: 'stopped after %s errors',
  STEER_ZONE_SOA_NOT_APEX: 'SOA record at %s, which is not the zone apex %s',
  STEER_ZONE_MULTIPLE_CNAME: 'more than one CNAME record at %s',
  STEER_ZONE_OCCLUDED: '%s record at %s is hidden by the delegation at %s (only NS, DS and A/AAAA glue may be at or below a zone cut)',
  STEER_ZONE_WILDCARD_NS: 'NS records at the wildcard name %s',
  STEER_ZONE_TTL_MISMATCH: 'records of the %s %s RRset have different TTLs; using the smallest, %s (RFC 2181 §5.2)',
  STEER_ZONE_DYNAMIC_CONFLICT: 'load balancer %s at %s: %s',
  STEER_ZONE_DUPLICATE_ORIGIN: 'zone %s is loaded twice',
  STEER_ZONE_DS_NOT_AT_CUT:
    'DS record at %s, which is not a delegation point (DS belongs to the parent side of a zone cut, next to NS records; RFC 4035 §2.4)',
  STEER_ZONE_DS_AT_APEX:
    'DS record at the zone apex %s: it belongs to the parent zone, which answers DS queries for this name when steerdns serves it too',
  STEER_ZONE_MULTIPLE_DNAME: 'more than one DNAME record at %s (RFC 6672 §2.4)',
  STEER_ZONE_BELOW_DNAME: '%s record at %s is below the DNAME at %s (nothing may exist below a DNAME owner; RFC 6672 §2.3)',

  // --- load balancer files (src/lb) ---
  STEER_LB_SCHEMA: '%s',
  STEER_LB_REFERENCE: '%s',
  STEER_LB_CONFLICT: '%s',

  // --- external health, notifications (src/health, src/notify) ---
  STEER_HEALTH_FILE: 'health file: %s',
  STEER_NOTIFY_SECRET: 'notification receiver %s: cannot read secret_file %s: %s',

  // --- geoip (src/geo) ---
  STEER_GEOIP_OPEN: 'cannot open GeoIP database %s: %s',

  // --- DNSSEC keys and signing (src/dnssec) ---
  STEER_DNSSEC_KEY_FORMAT: 'bad DNSSEC key file: %s',
  STEER_DNSSEC_KEY_MISMATCH: 'the private key does not match the public key in %s',
  STEER_DNSSEC_KEY_PERMISSIONS: 'DNSSEC private key file may be read by others (mode %s): chmod 600 it',
  STEER_DNSSEC_NO_ACTIVE_KEY: 'zone %s has DNSSEC keys in %s but none is active now (check their Activate/Inactive/Delete times)',
  STEER_DNSSEC_KEYS_DIR: 'DNSSEC keys directory %s',

  // --- server / cli ---
  STEER_LISTEN: 'cannot listen on %s: %s',
  STEER_CLI_USAGE: '%s',
  STEER_RRL_CONFIG: 'response rate limiting: %s',
  STEER_HTTP_TOKEN_REQUIRED:
    'the HTTP listener on %s is not a loopback address: set a bearer token with --http-token or STEERDNS_HTTP_TOKEN (or listen on 127.0.0.1)',
  STEER_HTTP_TOKEN: 'the HTTP bearer token %s',
  STEER_COOKIE_SECRET: 'cookie secret file %s: %s',
  STEER_HTTP_TOKEN_FILE: 'token file %s line %s: %s',
  STEER_OVERRIDES_FILE: 'overrides state file %s: %s; fix or remove it (the overrides would otherwise be lost)',
  STEER_FLEET_OVERRIDES_WRITE:
    'fleet: the override could not be written to etcd (%s); nothing was changed on any node (in a fleet, overrides live only in etcd); retry when etcd is reachable',

  // --- zone transfers (src/xfr) ---
  STEER_TSIG_KEY_FILE: 'TSIG key file: %s',
  STEER_TRANSFER_CONFIG: 'transfer settings: %s',
  STEER_TRANSFER_SERIAL: 'zone %s: serial %s does not increase on %s; this version is served to queries but not offered to secondaries',
  STEER_UDP_IO: '--udp-io batch: the batched UDP addon is not available (%s); use --udp-io auto or dgram',

  // --- fleet (src/fleet) ---
  STEER_FLEET_OPTIONS: 'fleet mode: %s',
  STEER_FLEET_TLS: 'fleet mode: cannot read the etcd TLS file %s: %s',

  // --- query record file and replay (src/replay, whatif, scenarios) ---
  STEER_QUERY_LOG_FILE: 'cannot open the query log file %s: %s',
  STEER_REPLAY_LOG: 'query log %s: %s',
  STEER_REPLAY_BAD_LINE: 'bad query record: %s',
  STEER_REPLAY_HEALTH: 'health for the replay (%s): %s',
} as const;

export type SteerErrorCode = keyof typeof catalogue;

export class SteerError extends Error {
  readonly code: SteerErrorCode;
  /** File and line, when the error is about a file. */
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: SteerErrorCode, args: readonly (string | number)[], where?: { file?: string; line?: number }) {
    let i = 0;
    const text = catalogue[code].replace(/%s/g, () => String(args[i++] ?? ''));
    super(text);
    this.name = 'SteerError';
    this.code = code;
    this.file = where?.file;
    this.line = where?.line;
  }

  /** "file:line: message [CODE]" — the one format operators see. */
  describe(): string {
    const where = this.file ? `${this.file}${this.line ? `:${this.line}` : ''}: ` : '';
    return `${where}${this.message} [${this.code}]`;
  }
}

export function steerError(
  code: SteerErrorCode,
  args: readonly (string | number)[] = [],
  where?: { file?: string; line?: number },
): SteerError {
  return new SteerError(code, args, where);
}
