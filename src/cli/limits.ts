// `serve` flags for response rate limiting (transport/rrl.ts) and the TCP limits (transport/tcp.ts):
// their parseArgs specs, their usage text, and their validation into the options startServer
// takes. Kept apart from main.ts so they can be tested without running the CLI.
import { parseNetwork } from '../net/parse.js';
import type { RrlOptions } from '../transport/rrl.js';
import type { TcpOptions } from '../transport/tcp.js';

/** parseArgs option specs, spread into main.ts's. Values are strings: numbers are checked here. */
export const LIMIT_FLAGS = {
  'rrl-rate': { type: 'string' },
  'rrl-burst': { type: 'string' },
  'rrl-slip': { type: 'string' },
  'rrl-ipv4-prefix': { type: 'string' },
  'rrl-ipv6-prefix': { type: 'string' },
  'rrl-exempt': { type: 'string', multiple: true },
  'tcp-max-connections': { type: 'string' },
  'tcp-max-per-client': { type: 'string' },
  'tcp-idle-timeout': { type: 'string' },
  'tcp-message-timeout': { type: 'string' },
  'tcp-max-queries': { type: 'string' },
} as const;

export const LIMITS_USAGE = `
Response rate limiting (UDP only; off by default):
  --rrl-rate N         responses per second per client network and kind of reply; 0 = off
                       (default 0; 200 is NSD's default and a good start when exposed)
  --rrl-burst N        responses a bucket holds for a burst (default: the rate)
  --rrl-slip N         every Nth limited reply goes out as a TC=1 stub so real resolvers
                       retry over TCP; 0 = drop all (default 2)
  --rrl-ipv4-prefix N  IPv4 client network size (default 24)
  --rrl-ipv6-prefix N  IPv6 client network size (default 56)
  --rrl-exempt CIDR    never limit this network (e.g. monitoring); repeatable

TCP limits (per listen address):
  --tcp-max-connections N  open connections (default 1024; when full, the connection idle
                           longest is closed for the new one)
  --tcp-max-per-client N   connections one client address may hold (default 64)
  --tcp-idle-timeout SEC   close a connection silent this long (default 10)
  --tcp-message-timeout SEC  a started message must complete within this (default 5)
  --tcp-max-queries N      queries per connection, then close after the replies (default 1000)
`;

type FlagValues = { readonly [K in keyof typeof LIMIT_FLAGS]?: (typeof LIMIT_FLAGS)[K] extends { multiple: true } ? string[] : string };

export interface LimitOptions {
  /** null: RRL off (no --rrl-rate, or 0). Plain data: the cluster primary forwards it to workers. */
  readonly rrl: Partial<RrlOptions> | null;
  readonly tcp: Partial<TcpOptions>;
}

/** Validate the limit flags; throws an Error naming the flag and what was expected. */
export function parseLimitFlags(values: FlagValues): LimitOptions {
  const rate = whole(values, 'rrl-rate', 0, 1_000_000);
  const rrlOthers = (['rrl-burst', 'rrl-slip', 'rrl-ipv4-prefix', 'rrl-ipv6-prefix', 'rrl-exempt'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (rate === undefined && rrlOthers.length > 0) {
    throw new Error(`--${rrlOthers[0]} needs --rrl-rate (response rate limiting is off without it)`);
  }
  let rrl: Partial<RrlOptions> | null = null;
  const burst = whole(values, 'rrl-burst', 1, 1_000_000);
  const slip = whole(values, 'rrl-slip', 0, 100);
  const ipv4Prefix = whole(values, 'rrl-ipv4-prefix', 0, 32);
  const ipv6Prefix = whole(values, 'rrl-ipv6-prefix', 0, 128);
  const exempt = values['rrl-exempt'] ?? [];
  for (const e of exempt) {
    const n = parseNetwork(e, { hostAllowed: true });
    if ('problem' in n)
      throw new Error(`--rrl-exempt ${e}: expected ADDRESS or ADDRESS/PREFIX (e.g. 192.0.2.0/24, 2001:db8::/48); ${n.problem}`);
  }
  if (rate !== undefined && rate > 0) {
    rrl = {
      rate,
      ...(burst !== undefined ? { burst } : {}),
      ...(slip !== undefined ? { slip } : {}),
      ...(ipv4Prefix !== undefined ? { ipv4Prefix } : {}),
      ...(ipv6Prefix !== undefined ? { ipv6Prefix } : {}),
      exempt,
    };
  }

  const tcp: { -readonly [K in keyof TcpOptions]?: TcpOptions[K] } = {};
  const maxConnections = whole(values, 'tcp-max-connections', 1, 1_000_000);
  const perClient = whole(values, 'tcp-max-per-client', 1, 1_000_000);
  const idle = seconds(values, 'tcp-idle-timeout');
  const message = seconds(values, 'tcp-message-timeout');
  const maxQueries = whole(values, 'tcp-max-queries', 1, 1_000_000_000);
  if (maxConnections !== undefined) tcp.maxConnections = maxConnections;
  if (perClient !== undefined) tcp.maxConnectionsPerClient = perClient;
  if (idle !== undefined) tcp.idleTimeoutMs = idle;
  if (message !== undefined) tcp.messageTimeoutMs = message;
  if (maxQueries !== undefined) tcp.maxQueriesPerConnection = maxQueries;
  return { rrl, tcp };
}

function whole(values: FlagValues, flag: keyof typeof LIMIT_FLAGS, min: number, max: number): number | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || n < min || n > max) {
    throw new Error(`--${flag} ${String(text)}: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Seconds (decimals allowed, at least 1 ms, at most a day) → milliseconds. */
function seconds(values: FlagValues, flag: keyof typeof LIMIT_FLAGS): number | undefined {
  const text = values[flag];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+(\.\d+)?$/.test(text) || n < 0.001 || n > 86_400) {
    throw new Error(`--${flag} ${String(text)}: expected seconds from 0.001 to 86400`);
  }
  return Math.round(n * 1000);
}
