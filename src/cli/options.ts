// What every command gets once the command line and the config file are merged (cli/args.ts).
// A module of its own so the commands and the parser depend on it, not on each other.
import type { LimitOptions } from './limits.js';
import type { QueryLogFileOptions, ReplayOptions } from './replay-flags.js';

export interface CliOptions extends LimitOptions, QueryLogFileOptions {
  readonly zones: string;
  readonly listen: readonly string[];
  readonly geoip: string;
  readonly logLevel: string;
  readonly client: string | undefined;
  /** "ADDR:PORT" or "off". */
  readonly http: string;
  /** --http-token, else the http_token_file's contents, else STEERDNS_HTTP_TOKEN. */
  readonly httpToken: string | undefined;
  readonly queryLog: boolean;
  readonly queryLogSample: number;
  /** serve: worker processes (1: no cluster, one process does everything). */
  readonly workers: number;
  /** whatif / scenarios: what to replay and how to report it. */
  readonly replay: ReplayOptions;
  readonly positionals: readonly string[];
}
