// HTTP/HTTPS monitor on node:http/node:https (not fetch): we own the socket, so the timeout,
// the 64 KiB body cap and the teardown are exact. One connection per attempt, never reused.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { MonitorSpec, ProbeTarget } from '../types.js';
import { type AttemptOutcome, errorReason, fail, onAbort, pass, type ProbeOptions } from './common.js';
import { type StatusMatcher, statusMatcher } from './status-codes.js';

/** The body check reads at most this much, then gives up (and closes the connection). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Redirects followed per attempt; the next one fails with "too many redirects". */
export const MAX_REDIRECTS = 5;
const USER_AGENT = 'steerdns-health/1';

// Shared agents (cheaper than agent:false, which builds an Agent per request) that never pool
// connections and never resume TLS sessions: each probe is a fresh connection and a full
// handshake with certificate verification.
const httpAgent = new http.Agent({ keepAlive: false });
const httpsAgent = new https.Agent({ keepAlive: false, maxCachedSessions: 0 });

/** Per-monitor work done once, not per probe. */
interface Prepared {
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** The configured Host header, if any. */
  readonly host: string | undefined;
  readonly matcher: StatusMatcher;
  readonly needle: Buffer | null;
}

const preparedBySpec = new WeakMap<MonitorSpec, Prepared>();

function prepare(spec: MonitorSpec): Prepared {
  const cached = preparedBySpec.get(spec);
  if (cached) return cached;
  const headers: Record<string, string | string[]> = {};
  let host: string | undefined;
  let hasAgent = false;
  for (const [name, values] of Object.entries(spec.header)) {
    const lower = name.toLowerCase();
    if (lower === 'host') {
      host = values[0];
      continue;
    }
    if (values.length === 0) continue;
    if (lower === 'user-agent') hasAgent = true;
    headers[name] = values.length === 1 ? (values[0] as string) : [...values];
  }
  if (!hasAgent) headers['user-agent'] = USER_AGENT;
  const prepared: Prepared = {
    headers,
    host,
    matcher: statusMatcher(spec.expected_codes),
    needle: spec.expected_body === '' ? null : Buffer.from(spec.expected_body, 'utf8'),
  };
  preparedBySpec.set(spec, prepared);
  return prepared;
}

/** Where one request goes: `url` is the logical URL (virtual host), the rest is the wire. */
interface Hop {
  readonly url: URL;
  readonly connectHost: string;
  readonly port: number;
  readonly hostHeader: string;
  readonly method: string;
}

const defaultPort = (protocol: string): number => (protocol === 'https:' ? 443 : 80);
const bracketed = (host: string): string => (net.isIPv6(host) ? `[${host}]` : host);
const unbracketed = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

function firstHop(target: ProbeTarget, prepared: Prepared): Hop | string {
  const { monitor } = target;
  const protocol = monitor.type === 'https' ? 'https:' : 'http:';
  const hostHeader =
    target.host ??
    prepared.host ??
    (target.port === defaultPort(protocol) ? bracketed(target.address) : `${bracketed(target.address)}:${target.port}`);
  const path = monitor.path === '' ? '/' : monitor.path;
  let url: URL;
  try {
    url = new URL(`${protocol}//${hostHeader}${path.startsWith('/') ? path : `/${path}`}`);
  } catch {
    return 'bad URL';
  }
  return { url, connectHost: target.address, port: target.port, hostHeader, method: monitor.method };
}

/**
 * The hop a redirect leads to. A redirect to the same host name (relative, or absolute to the
 * virtual host) stays pinned to the origin's address: we are checking this origin, not whatever
 * public DNS says. Anything else connects where the Location points.
 */
function nextHop(current: Hop, location: string, status: number): Hop | string {
  let url: URL;
  try {
    url = new URL(location, current.url);
  } catch {
    return 'bad redirect';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'redirect to non-HTTP URL';
  url.hash = '';
  // 303 always, and 301/302 after a POST, turn into GET (what browsers do; we send no body).
  const method = status === 303 || ((status === 301 || status === 302) && current.method === 'POST') ? 'GET' : current.method;
  if (url.hostname === current.url.hostname) {
    const sameOrigin = url.protocol === current.url.protocol && url.port === current.url.port;
    return {
      url,
      connectHost: current.connectHost,
      port: sameOrigin ? current.port : url.port === '' ? defaultPort(url.protocol) : Number(url.port),
      hostHeader: sameOrigin ? current.hostHeader : url.host,
      method,
    };
  }
  return {
    url,
    connectHost: unbracketed(url.hostname),
    port: url.port === '' ? defaultPort(url.protocol) : Number(url.port),
    hostHeader: url.host,
    method,
  };
}

const hopKey = (hop: Hop): string =>
  `${hop.url.protocol}//${hop.connectHost}|${hop.port}|${hop.hostHeader}|${hop.url.pathname}${hop.url.search}`;

const TLS_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|CRL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|INVALID_CA$|INVALID_PURPOSE$|PATH_LENGTH_|ERROR_IN_C|HOSTNAME_MISMATCH$)/;

/** The reason inside an OpenSSL message: "...:SSL routines:ssl3_get_record:wrong version number:...". */
const OPENSSL_REASON = /SSL routines:[^:]*:([^:]+)/;

function requestErrorReason(err: unknown, tls: boolean): string {
  let reason = errorReason(err);
  if (!tls) return reason;
  if (reason === 'EPROTO') {
    // The same OpenSSL failure comes as ERR_SSL_WRONG_VERSION_NUMBER when it surfaces on a
    // read and as EPROTO (reason only in the message) when it surfaces on a write, which is a
    // matter of timing. Name it the same way both times, so the reason is stable.
    const message = (err as { message?: unknown } | null)?.message;
    const inner = typeof message === 'string' ? OPENSSL_REASON.exec(message)?.[1] : undefined;
    if (inner)
      reason = `ERR_SSL_${inner
        .trim()
        .toUpperCase()
        .replace(/[^A-Z0-9]+/g, '_')}`;
  }
  if (TLS_CODE.test(reason) || reason === 'EPROTO') return `TLS: ${reason}`;
  return reason;
}

const isRedirect = (status: number): boolean => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

export function probeHttp(target: ProbeTarget, signal: AbortSignal, probeOptions: ProbeOptions = {}): Promise<AttemptOutcome> {
  const { monitor } = target;
  const prepared = prepare(monitor);
  const first = firstHop(target, prepared);
  if (typeof first === 'string') return Promise.resolve(fail(first));

  return new Promise((resolve) => {
    let settled = false;
    let request: http.ClientRequest | null = null;
    let response: http.IncomingMessage | null = null;
    const visited = new Set<string>();
    let redirects = 0;

    // Events from a torn-down request (a followed redirect) must not settle the probe, so
    // listeners check they still belong to the current request.
    const teardown = (): void => {
      const res = response;
      const req = request;
      response = null;
      request = null;
      res?.destroy();
      req?.destroy();
    };
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      detach();
      teardown();
      resolve(outcome);
    };
    const detach = onAbort(signal, () => finish(fail('aborted')));

    const send = (hop: Hop): void => {
      visited.add(hopKey(hop));
      const tls = hop.url.protocol === 'https:';
      const options: https.RequestOptions = {
        host: hop.connectHost,
        port: hop.port,
        method: hop.method,
        path: `${hop.url.pathname}${hop.url.search}`,
        headers: { ...prepared.headers, host: hop.hostHeader },
        agent: tls ? httpsAgent : httpAgent,
      };
      if (probeOptions.localAddress !== undefined) options.localAddress = probeOptions.localAddress;
      if (tls) {
        options.rejectUnauthorized = !monitor.allow_insecure;
        // SNI and certificate name checks use the virtual host, not the address we dial.
        const name = unbracketed(hop.url.hostname);
        if (net.isIP(name) === 0) options.servername = name;
      }
      let req: http.ClientRequest;
      try {
        req = tls ? https.request(options) : http.request(options);
      } catch (err) {
        finish(fail(errorReason(err)));
        return;
      }
      request = req;
      req.on('error', (err) => {
        if (req === request) finish(fail(requestErrorReason(err, tls)));
      });
      req.on('response', (res) => {
        if (req !== request) return void res.destroy();
        response = res;
        res.on('error', (err) => {
          if (res === response) finish(fail(errorReason(err)));
        });
        onResponse(hop, res);
      });
      req.end();
    };

    const onResponse = (hop: Hop, res: http.IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (monitor.follow_redirects && isRedirect(status) && location) {
        teardown();
        if (++redirects > MAX_REDIRECTS) {
          finish(fail('too many redirects'));
          return;
        }
        const next = nextHop(hop, location, status);
        if (typeof next === 'string') {
          finish(fail(next));
          return;
        }
        if (visited.has(hopKey(next))) {
          finish(fail('redirect loop'));
          return;
        }
        send(next);
        return;
      }
      if (!prepared.matcher.matches(status)) {
        finish(fail(`HTTP ${status} (expected ${prepared.matcher.text})`));
        return;
      }
      const needle = prepared.needle;
      if (needle === null) {
        finish(pass(`HTTP ${status}`));
        return;
      }
      readBody(res, needle, (found) => finish(found ? pass(`HTTP ${status}`) : fail('body mismatch')));
    };

    send(first);
  });
}

/** Reads until `needle` shows up, the body ends, or MAX_BODY_BYTES were read. */
function readBody(res: http.IncomingMessage, needle: Buffer, done: (found: boolean) => void): void {
  if (needle.length > MAX_BODY_BYTES) {
    done(false);
    return;
  }
  const body = Buffer.allocUnsafe(MAX_BODY_BYTES);
  let length = 0;
  res.on('data', (chunk: Buffer) => {
    const take = Math.min(chunk.length, MAX_BODY_BYTES - length);
    chunk.copy(body, length, 0, take);
    // Only the new bytes (plus an overlap for a needle split across chunks) need searching.
    const from = Math.max(0, length - needle.length + 1);
    length += take;
    if (body.subarray(0, length).indexOf(needle, from) >= 0) return done(true);
    if (length >= MAX_BODY_BYTES) done(false);
  });
  res.on('end', () => done(false));
}
