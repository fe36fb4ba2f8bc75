// Who may talk to the HTTP listener: loopback by default; any other address only with a bearer
// token, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { steerError } from '../errors.js';

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:9153", "[::1]:9153", "0.0.0.0:9153"; null for "off". */
export function parseHttpAddress(text: string): HttpAddress | null {
  if (text === 'off') return null;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (!m || !host || isIP(host) === 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw steerError('STEER_CLI_USAGE', [`--http ${text}: expected ADDRESS:PORT (e.g. 127.0.0.1:9153 or [::1]:9153) or off`]);
  }
  return { host, port };
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127/8: reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

/** Tokens travel in an HTTP header: visible ASCII only, and long enough not to be guessed. */
export function checkToken(token: string): void {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw steerError('STEER_HTTP_TOKEN', ['must be visible ASCII characters without spaces']);
  }
  if (token.length < 16) throw steerError('STEER_HTTP_TOKEN', ['must be at least 16 characters long']);
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A matcher for "Bearer <token>" values. Digests make both sides one length: no length leak. */
export function bearerMatcher(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    if (authorization === undefined) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return m !== null && timingSafeEqual(digest(m[1]!), expected);
  };
}

/** The same check for a token passed as a query parameter (the status page's ?token=). */
export function tokenMatcher(token: string): (candidate: string | null) => boolean {
  const expected = digest(token);
  return (candidate) => candidate !== null && timingSafeEqual(digest(candidate), expected);
}
