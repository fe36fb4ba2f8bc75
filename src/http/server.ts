// The operator's HTTP listener: metrics, liveness/readiness, the status API and page, explain.
// Reads (GET and HEAD) are open on loopback and need a token elsewhere. The files stay the
// source of truth; the writes — PUT /api/v1/health (health-api.ts) for `type: external`
// monitors and the operator overrides (overrides-api.ts) — always need a token with the
// `write` role (tokens.ts), even on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { steerError } from '../errors.js';
import { explain, ExplainError } from '../query/explain.js';
import { formatHostPort } from '../transport/listen-address.js';
import type { RunningServer } from '../server/server.js';
import { HEALTH_API_PREFIX, healthReport } from './health-api.js';
import { isLoopbackHost, parseHttpAddress } from './auth.js';
import { createOverride, deleteOverride, listOverrides, OVERRIDES_PATH } from './overrides-api.js';
import { parseTokens, tokenOf, type ApiToken } from './tokens.js';
import type { ClusterView } from './cluster-view.js';
import type { Fleet } from '../fleet/fleet.js';
import { buildFleetView, votesView } from './fleet-view.js';
import type { SteerMetrics } from './metrics.js';
import { statusPage } from './page.js';
import { buildStatus, readiness } from './status.js';
import { statusJsonSchema } from './status-schema.js';
import { MAX_WHATIF_BODY, readBody, type WhatifApi } from './whatif-api.js';

export interface HttpServerOptions {
  readonly server: RunningServer;
  /** "ADDR:PORT"; port 0 picks a free port. */
  readonly listen: string;
  /** Bearer token(s) (tokens.ts: one token, or NAME ROLE TOKEN lines); required when `listen` is not a loopback address. */
  readonly token: string | null;
  readonly logger: Logger;
  /** null serves /metrics as 404 and the status without traffic. */
  readonly metrics: SteerMetrics | null;
  /**
   * A cluster's primary: `server` is its control server (configuration, health), the queries
   * are answered and counted by the workers this view reaches.
   */
  readonly cluster?: ClusterView | null;
  /** Fleet mode: /api/v1/fleet, and the votes in the status document. */
  readonly fleet?: Fleet | null;
  /** The what-if endpoints over recent traffic; null/absent answers them 501 (no recent traffic kept). */
  readonly whatif?: WhatifApi | null;
}

export interface RunningHttpServer {
  readonly address: string;
  readonly port: number;
  /** "http://127.0.0.1:9153" */
  readonly url: string;
  close(): Promise<void>;
}

/** Longest explain name accepted (a presentation name with escapes is at most ~1 kB). */
const MAX_EXPLAIN_INPUT = 1100;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const addr = parseHttpAddress(opts.listen);
  if (addr === null) throw steerError('STEER_CLI_USAGE', ['startHttpServer: listen is "off"']);
  const tokens: readonly ApiToken[] = opts.token === null ? [] : parseTokens(opts.token);
  const token = tokens.length === 0 ? null : tokens;
  if (token === null && !isLoopbackHost(addr.host)) {
    throw steerError('STEER_HTTP_TOKEN_REQUIRED', [formatHostPort(addr.host, addr.port)]);
  }
  const unauthorized = (res: http.ServerResponse): void =>
    send(res, 401, 'application/json', json({ error: 'a bearer token is required: Authorization: Bearer <token>' }), {
      'www-authenticate': 'Bearer realm="steerdns"',
    });
  /** The token of a write, or null when the reply (401/403) was sent. */
  const writer = (req: http.IncomingMessage, res: http.ServerResponse, what: string): ApiToken | null => {
    if (token === null) {
      req.resume();
      send(res, 403, 'application/json', json({ error: `${what} needs a bearer token with the write role: start with --http-token-file` }));
      return null;
    }
    const who = tokenOf(tokens, req.headers.authorization);
    if (who === null) {
      req.resume();
      unauthorized(res);
      return null;
    }
    if (who.role !== 'write') {
      req.resume();
      send(res, 403, 'application/json', json({ error: `token "${who.name}" is read-only: ${what} needs the write role` }));
      return null;
    }
    return who;
  };
  const { server: dns, metrics, logger } = opts;
  const cluster = opts.cluster ?? null;
  const fleet = opts.fleet ?? null;
  const answering = cluster ? () => cluster.answering() : undefined;
  const page = statusPage(opts.fleet != null);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://steerdns.invalid');
    const path = url.pathname;
    if (req.method === 'PUT' && path.startsWith(HEALTH_API_PREFIX)) {
      // A write: never without a write token, even on loopback.
      if (writer(req, res, 'a health report') === null) return;
      const reply = await healthReport(req, path, dns);
      if (reply.status === 200) logger.info({ path: safePath(req.url) }, 'external health report applied');
      return send(res, reply.status, 'application/json', json(reply.body));
    }
    const overrideWrite =
      (req.method === 'POST' && path === OVERRIDES_PATH) || (req.method === 'DELETE' && path.startsWith(`${OVERRIDES_PATH}/`));
    // A cluster's primary keeps the overrides (`dns` is its control server) and its workers
    // mirror every change (src/server/cluster/).
    if (overrideWrite) {
      const who = writer(req, res, 'an override');
      if (who === null) return;
      const r =
        req.method === 'POST'
          ? await createOverride(req, dns, dns.overrides, who.name)
          : await deleteOverride(path, dns.overrides, who.name);
      return reply(res, r);
    }
    const whatifPost = req.method === 'POST' && path === '/api/v1/whatif';
    if (req.method !== 'GET' && req.method !== 'HEAD' && !whatifPost) {
      return send(res, 405, 'text/plain; charset=utf-8', 'GET and HEAD only (and POST /api/v1/whatif, the writes of /api/v1/overrides)\n', {
        allow: 'GET, HEAD',
      });
    }
    if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');

    if (
      token !== null &&
      tokenOf(tokens, req.headers.authorization) === null &&
      !(path === '/' && tokens.some((t) => t.query(url.searchParams.get('token'))))
    ) {
      return unauthorized(res);
    }

    if (whatifPost) return whatifRoute(opts.whatif ?? null, token !== null, url.searchParams, req, res);

    switch (path) {
      // Without recent traffic (no what-if memory given) these say so with 200: the status page asks
      // for them on every server, and a browser logs every error status as a console error.
      case '/api/v1/scenarios':
        if (!opts.whatif) return send(res, 200, 'application/json', json({ available: false, reason: NO_RECENT }));
        return reply(res, await opts.whatif.scenarios(url.searchParams));
      case '/api/v1/queries/recent': {
        if (!opts.whatif) return send(res, 501, 'application/json', json({ error: NO_RECENT }));
        const r = opts.whatif.recentLines(url.searchParams);
        if (r.text === undefined) return reply(res, r);
        return send(res, 200, 'application/x-ndjson', r.text);
      }
      case '/api/v1/whatif/last-reload':
        if (!opts.whatif) return send(res, 200, 'application/json', json({ available: false, reason: NO_RECENT }));
        return reply(res, await opts.whatif.lastReload(url.searchParams));
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', page.html, { 'content-security-policy': page.csp });
      case '/readyz': {
        const r = readiness(dns, answering);
        return send(res, r.ready ? 200 : 503, 'text/plain; charset=utf-8', `${r.ready ? 'ready' : 'not ready'}: ${r.reason}\n`);
      }
      case '/metrics':
        if (metrics === null) return send(res, 404, 'text/plain; charset=utf-8', 'metrics are disabled\n');
        return send(res, 200, metrics.registry.contentType, await (cluster ? cluster.metrics() : metrics.registry.metrics()));
      case '/api/v1/status': {
        const traffic = cluster ? await cluster.traffic() : undefined;
        return send(res, 200, 'application/json', json(buildStatus(dns, metrics, Date.now(), { traffic, answering, fleet })));
      }
      case '/api/v1/status/schema':
        return send(res, 200, 'application/schema+json', json(statusJsonSchema()));
      case '/api/v1/explain':
        return explainRoute(url.searchParams, dns, res, fleet);
      case OVERRIDES_PATH:
        return reply(res, listOverrides(dns.overrides));
      case '/api/v1/fleet':
        if (fleet === null) return send(res, 404, 'application/json', json({ error: 'not in fleet mode (serve --etcd ...)' }));
        return send(res, 200, 'application/json', json(buildFleetView(fleet, dns)));
      default:
        return send(res, 404, 'application/json', json({ error: `no such endpoint: ${path.slice(0, 100)}` }));
    }
  };

  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, path: safePath(req.url) }, 'http: request failed');
      if (!res.headersSent) send(res, 500, 'application/json', json({ error: 'internal error' }));
      else res.destroy();
    });
    res.once('finish', () => logger.debug({ method: req.method, path: safePath(req.url), status: res.statusCode }, 'http request'));
  });
  // Operators and scrapers only: a small cap keeps a connection flood from costing much.
  server.maxConnections = 256;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(steerError('STEER_LISTEN', [`http ${formatHostPort(addr.host, addr.port)}`, err.message])));
    server.listen(addr.port, addr.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const where = formatHostPort(bound.address, bound.port);
  logger.info(
    { address: bound.address, port: bound.port, auth: token === null ? 'none (loopback)' : 'bearer token' },
    `http listening on ${where}`,
  );

  let closing: Promise<void> | null = null;
  return {
    address: bound.address,
    port: bound.port,
    url: `http://${where}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

const NO_RECENT = 'this server keeps no recent traffic for the what-if endpoints';

function reply(res: http.ServerResponse, r: { status: number; body: unknown }): void {
  send(res, r.status, 'application/json', json(r.body));
}

/**
 * POST /api/v1/whatif: a bearer token must be configured (a POST costs a replay, so it is never
 * open, even on loopback), the body is size-limited, and the candidate is checked like files on disk.
 */
async function whatifRoute(
  api: WhatifApi | null,
  tokenSet: boolean,
  params: URLSearchParams,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (!tokenSet) {
    req.resume();
    return send(
      res,
      403,
      'application/json',
      json({ error: 'POST /api/v1/whatif needs a bearer token: start the server with --http-token-file' }),
    );
  }
  if (api === null) {
    req.resume();
    return send(res, 501, 'application/json', json({ error: NO_RECENT }));
  }
  const body = await readBody(req, MAX_WHATIF_BODY);
  if (body === null) return send(res, 413, 'application/json', json({ error: `the body is larger than ${MAX_WHATIF_BODY} bytes` }));
  return reply(res, await api.whatif(params, body));
}

function explainRoute(params: URLSearchParams, dns: RunningServer, res: http.ServerResponse, fleet: Fleet | null): void {
  const name = params.get('name');
  const type = params.get('type') ?? 'A';
  const client = params.get('client');
  const bad = (message: string): void => send(res, 400, 'application/json', json({ error: message }));
  if (!name) {
    bad('name is required: /api/v1/explain?name=www.example.com&type=A&client=192.0.2.1[/24]');
    return;
  }
  if (!client) {
    bad('client is required: an IP address (a resolver) or IP/PREFIX (sent as ECS)');
    return;
  }
  if (name.length > MAX_EXPLAIN_INPUT || type.length > 20 || client.length > 60) {
    bad('parameter too long');
    return;
  }
  try {
    const result = explain(dns.state.current, { name, type, client });
    send(res, 200, 'application/json', json(fleet === null ? result : withVotes(result, dns, fleet)));
  } catch (err) {
    if (err instanceof ExplainError) {
      bad(err.message);
      return;
    }
    throw err;
  }
}

/** Fleet mode: explain also says how the sites voted on every origin of the load balancer that steered. */
function withVotes(result: ReturnType<typeof explain>, dns: RunningServer, fleet: Fleet): unknown {
  const votes: Record<string, unknown> = {};
  const zone = result.zone === null ? undefined : dns.state.current.lb.get(result.zone);
  for (const p of zone?.loadBalancers.values() ?? []) {
    if (p.lb.name !== result.steered?.lb) continue;
    for (const pool of p.pools) {
      for (const o of zone!.config.pools.get(pool.name)?.origins ?? []) {
        const v = o.healthKey === null ? undefined : fleet.verdict(o.healthKey);
        if (v && o.healthKey !== null)
          votes[o.healthKey] = { pool: pool.name, origin: o.name, up: v.up, reason: v.reason, ...votesView(v) };
      }
    }
  }
  return { ...result, fleet: { node: fleet.node, site: fleet.site, degraded: fleet.degraded, votes } };
}

function send(res: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** The path only: query strings may hold a token. */
function safePath(url: string | undefined): string {
  const path = (url ?? '').split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
