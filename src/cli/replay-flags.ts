// Flags of the replayable query log (serve --query-log-file ...) and of the replay commands
// (whatif, scenarios): their parseArgs specs, usage text and validation. Kept apart from
// args.ts, as limits.ts is, so they can be tested without running the CLI.
import { parseTruncation, type Truncation } from '../replay/record.js';

/** Server settings: each has a config key (query_log_file, ...). */
export const QUERY_LOG_FILE_FLAGS = {
  'query-log-file': { type: 'string' },
  'query-log-max-size': { type: 'string' },
  'query-log-keep': { type: 'string' },
  'query-log-truncate': { type: 'string' },
} as const;

/** Questions for whatif / scenarios, not server settings: no config keys. */
export const REPLAY_FLAGS = {
  candidate: { type: 'string' },
  log: { type: 'string', multiple: true },
  health: { type: 'string' },
  format: { type: 'string' },
  top: { type: 'string' },
  'fail-if-shift': { type: 'string' },
  'fail-if-nodata': { type: 'boolean' },
  'fail-on-overload': { type: 'boolean' },
  strict: { type: 'boolean' },
  pairs: { type: 'boolean' },
  from: { type: 'string' },
} as const;

/** Why each replay flag has no config key (FLAG_ONLY in args.ts). */
export const REPLAY_FLAG_ONLY: Readonly<Record<keyof typeof REPLAY_FLAGS, string>> = {
  candidate: 'a question for whatif, not a server setting',
  log: 'a question for whatif and scenarios, not a server setting',
  health: 'a question for whatif and scenarios, not a server setting',
  format: 'output of whatif and scenarios, not a server setting',
  top: 'output of whatif and scenarios, not a server setting',
  'fail-if-shift': 'a CI gate of whatif, not a server setting',
  'fail-if-nodata': 'a CI gate of whatif, not a server setting',
  'fail-on-overload': 'a CI gate of scenarios, not a server setting',
  strict: 'a question for whatif and scenarios, not a server setting',
  pairs: 'a question for scenarios, not a server setting',
  from: 'the server record pulls from, not a server setting',
};

export const QUERY_LOG_FILE_USAGE = `  --query-log-file FILE  write the replayable query record (JSON lines, docs/whatif.md) to
                       FILE; --query-log-sample applies. With --workers, worker N writes
                       FILE.wN
  --query-log-max-size SIZE  rotate FILE at this size: bytes, or with K, M or G (default 100M)
  --query-log-keep N   rotated files kept, FILE.1 newest (default 5)
  --query-log-truncate V4/V6  cut client addresses and ECS subnets to these prefixes,
                       e.g. 24/56 (default: whole addresses)`;

export const WHATIF_USAGE = `  --candidate DIR      the zones directory to compare with --zones
  --log FILE           a query record file; repeatable (whatif and scenarios)
  --health all-up|file:SNAPSHOT|live:URL  health both sides are replayed with (default
                       all-up; SNAPSHOT: a saved /api/v1/status; URL: a server to read it from)
  --format table|json|markdown  output (default table)
  --top N              rows of the top-N lists (default 10)
  --fail-if-shift PCT  exit 3 when some load balancer moves more than PCT % of its queries
                       to another pool or origin
  --fail-if-nodata     exit 3 when some query that had an answer would get none
  --strict             a bad log line is fatal (default: counted and reported)`;

export const RECORD_USAGE = `  --from URL           record: the server (its HTTP listener) to pull recent queries from;
                       ?minutes=N in the URL (default 15). The token: STEERDNS_HTTP_TOKEN`;

export const SCENARIOS_USAGE = `  --pairs              also every pair of pool failures
  --fail-on-overload   exit 3 when a scenario pushes a pool past its capacity or leaves
                       clients without an answer`;

type Values<T> = {
  readonly [K in keyof T]?: T[K] extends { multiple: true } ? string[] : T[K] extends { type: 'boolean' } ? boolean : string;
};

export interface QueryLogFileOptions {
  readonly queryLogFile: string | null;
  readonly queryLogMaxBytes: number;
  readonly queryLogKeep: number;
  readonly queryLogTruncate: Truncation | null;
}

export type ReplayFormat = 'table' | 'json' | 'markdown';

export interface ReplayOptions {
  readonly candidate: string | undefined;
  readonly logs: readonly string[];
  readonly health: string;
  readonly format: ReplayFormat;
  readonly top: number;
  /** Percent; null: no gate. */
  readonly failIfShift: number | null;
  readonly failIfNodata: boolean;
  readonly failOnOverload: boolean;
  readonly strict: boolean;
  readonly pairs: boolean;
  /** record: the running server to pull recent queries from. */
  readonly from: string | undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "100M" → bytes. */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(text);
  const n = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]! : Number.NaN;
  if (!m || !Number.isSafeInteger(n) || n < 4096) throw new Error(`--${flag} ${text}: expected a size of at least 4096 bytes, e.g. 100M`);
  return n;
}

function whole(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`--${flag} ${text}: expected a whole number from ${min} to ${max}`);
  return n;
}

export function parseQueryLogFileFlags(values: Values<typeof QUERY_LOG_FILE_FLAGS>): QueryLogFileOptions {
  return {
    queryLogFile: values['query-log-file'] ?? null,
    queryLogMaxBytes: parseSize('query-log-max-size', values['query-log-max-size'] ?? '100M'),
    queryLogKeep: whole('query-log-keep', values['query-log-keep'] ?? '5', 0, 1000),
    queryLogTruncate: values['query-log-truncate'] === undefined ? null : parseTruncation(values['query-log-truncate']),
  };
}

const FORMATS: readonly ReplayFormat[] = ['table', 'json', 'markdown'];

export function parseReplayFlags(values: Values<typeof REPLAY_FLAGS>): ReplayOptions {
  const format = values.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) throw new Error(`--format ${format}: expected table, json or markdown`);
  const shift = values['fail-if-shift'];
  let failIfShift: number | null = null;
  if (shift !== undefined) {
    failIfShift = Number(shift.replace(/%$/, ''));
    if (!/^\d+(\.\d+)?%?$/.test(shift) || failIfShift > 100)
      throw new Error(`--fail-if-shift ${shift}: expected a percentage from 0 to 100`);
  }
  const health = values.health ?? 'all-up';
  if (health !== 'all-up' && !health.startsWith('file:') && !health.startsWith('live:')) {
    throw new Error(`--health ${health}: expected all-up, file:SNAPSHOT or live:URL`);
  }
  return {
    candidate: values.candidate,
    logs: values.log ?? [],
    health,
    format: format as ReplayFormat,
    top: whole('top', values.top ?? '10', 1, 100_000),
    failIfShift,
    failIfNodata: values['fail-if-nodata'] ?? false,
    failOnOverload: values['fail-on-overload'] ?? false,
    strict: values.strict ?? false,
    pairs: values.pairs ?? false,
    from: values.from,
  };
}
