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

  // --- load balancer files (src/lb) ---
  STEER_LB_SCHEMA: '%s',
  STEER_LB_REFERENCE: '%s',
  STEER_LB_CONFLICT: '%s',

  // --- geoip (src/geo) ---
  STEER_GEOIP_OPEN: 'cannot open GeoIP database %s: %s',

  // --- server / cli ---
  STEER_LISTEN: 'cannot listen on %s: %s',
  STEER_CLI_USAGE: '%s',
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
