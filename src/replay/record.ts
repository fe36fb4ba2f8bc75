// The replayable query record: one JSON object per line, written by `serve --query-log-file`
// and read by `whatif` and `scenarios`. It holds what a steering decision depends on (who
// asked, from where, for what) and what the server decided, so a replay can both re-decide
// and compare. The format is documented field by field in docs/whatif.md; `v` bumps on any
// change a reader must know about.
import { isIP } from 'node:net';
import { normalizeClientIp } from '../net/ip.js';
import { maskBytesInPlace } from '../net/prefix.js';
import { formatIp, ipv4Bytes, ipv6Bytes } from '../wire/rdata.js';

export const RECORD_VERSION = 1;

export interface QueryRecord {
  readonly v: number;
  /** Epoch milliseconds the query was answered. */
  readonly ts: number;
  readonly transport: 'udp' | 'tcp';
  /** The resolver's address, or "ADDR/PREFIX" when the log truncates addresses. */
  readonly resolver: string;
  /** The EDNS Client Subnet the query carried ("ADDR/SOURCE-PREFIX"), or null. */
  readonly ecs: string | null;
  /** Lowercase presentation name without the trailing dot ("" is the root). */
  readonly qname: string;
  readonly qtype: string;
  readonly rcode: string;
  /** The answer kind (answer, nodata, nxdomain, referral, refused, servfail, ...). */
  readonly kind: string;
  readonly zone: string | null;
  /** Owner of the load balancer that steered, its pool and origins; null/[] for static data. */
  readonly lb: string | null;
  readonly pool: string | null;
  readonly origins: readonly string[];
  /** ECS scope prefix of the reply (0 when there was no ECS or the answer is not location-bound). */
  readonly scope: number;
  /** How many queries this line stands for (the sampling rate at the time). */
  readonly sample: number;
}

/** Client address truncation for the log (`--query-log-truncate 24/56`): prefix per family. */
export interface Truncation {
  readonly v4: number;
  readonly v6: number;
}

/** "24/56" → { v4: 24, v6: 56 }; throws an Error starting with the flag name. */
export function parseTruncation(text: string): Truncation {
  const m = /^(\d{1,2})\/(\d{1,3})$/.exec(text);
  const v4 = m ? Number(m[1]) : Number.NaN;
  const v6 = m ? Number(m[2]) : Number.NaN;
  if (!m || v4 > 32 || v6 > 128) {
    throw new Error(`--query-log-truncate ${text}: expected IPV4-PREFIX/IPV6-PREFIX, e.g. 24/56`);
  }
  return { v4, v6 };
}

/** `ip` cut to the truncation prefix of its family, as "ADDR/PREFIX"; unchanged without truncation. */
export function truncateAddress(ip: string, truncation: Truncation | null): string {
  if (truncation === null) return ip;
  const plain = normalizeClientIp(ip);
  const family = isIP(plain);
  if (family === 0) return plain;
  const bytes = family === 4 ? ipv4Bytes(plain) : ipv6Bytes(plain);
  const prefix = family === 4 ? truncation.v4 : truncation.v6;
  maskBytesInPlace(bytes, prefix);
  return `${formatIp(bytes)}/${prefix}`;
}

/** An ECS subnet "ADDR/PREFIX" with its prefix cut to the truncation's (never widened). */
export function truncateSubnet(subnet: string, truncation: Truncation | null): string {
  if (truncation === null) return subnet;
  const slash = subnet.lastIndexOf('/');
  const ip = subnet.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return subnet;
  const prefix = Math.min(Number(subnet.slice(slash + 1)), family === 4 ? truncation.v4 : truncation.v6);
  const bytes = family === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
  maskBytesInPlace(bytes, prefix);
  return `${formatIp(bytes)}/${prefix}`;
}

/** A record's "resolver": an address, or "ADDR/PREFIX" when the log truncates. */
export function isResolverText(resolver: string): boolean {
  return isIP(resolver.split('/')[0] ?? '') !== 0;
}

export type RecordParse = { readonly record: QueryRecord } | { readonly problem: string };

const TRANSPORTS = new Set(['udp', 'tcp']);

/**
 * One log line → a record, or what is wrong with it. Only what replay needs is required (ts,
 * resolver, qname, qtype); the server's decision fields default to "not known" so a log from an
 * older or foreign writer still replays.
 */
export function parseRecord(line: string): RecordParse {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { problem: 'not valid JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { problem: 'not a JSON object' };
  const o = raw as Record<string, unknown>;
  if (typeof o.v === 'number' && o.v > RECORD_VERSION)
    return { problem: `record version ${o.v} is newer than this steerdns reads (${RECORD_VERSION})` };
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return { problem: 'missing or bad "ts" (epoch milliseconds)' };
  if (typeof o.resolver !== 'string' || !isResolverText(o.resolver)) return { problem: 'missing or bad "resolver"' };
  if (typeof o.qname !== 'string') return { problem: 'missing "qname"' };
  if (typeof o.qtype !== 'string' || o.qtype === '') return { problem: 'missing "qtype"' };
  if (o.ecs !== undefined && o.ecs !== null && (typeof o.ecs !== 'string' || !o.ecs.includes('/'))) {
    return { problem: 'bad "ecs" (expected "ADDR/PREFIX" or null)' };
  }
  const sample = typeof o.sample === 'number' && o.sample >= 1 ? o.sample : 1;
  return {
    record: {
      v: typeof o.v === 'number' ? o.v : RECORD_VERSION,
      ts: o.ts,
      transport: typeof o.transport === 'string' && TRANSPORTS.has(o.transport) ? (o.transport as 'udp' | 'tcp') : 'udp',
      resolver: o.resolver,
      ecs: typeof o.ecs === 'string' ? o.ecs : null,
      qname: o.qname,
      qtype: o.qtype,
      rcode: typeof o.rcode === 'string' ? o.rcode : '',
      kind: typeof o.kind === 'string' ? o.kind : '',
      zone: typeof o.zone === 'string' ? o.zone : null,
      lb: typeof o.lb === 'string' ? o.lb : null,
      pool: typeof o.pool === 'string' ? o.pool : null,
      origins: Array.isArray(o.origins) ? o.origins.filter((x): x is string => typeof x === 'string') : [],
      scope: typeof o.scope === 'number' ? o.scope : 0,
      sample,
    },
  };
}
