// A real DNS server on loopback port 0 wired the way `steerdns serve` wires it (metrics as the
// observer, the answer tap, the HTTP listener on 127.0.0.1:0), plus HTTP and Prometheus helpers.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SteerMetrics } from '../../src/http/metrics.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/server/logger.js';
import type { ServerOptions } from '../../src/server/server.js';
import { combineObservers } from '../../src/query/query-log.js';
import type { QueryObserver } from '../../src/query/observer.js';
import { startTestServer, type TestServer } from '../support/server.js';

export interface HttpReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface Harness {
  readonly dir: string;
  readonly dns: TestServer;
  readonly http: RunningHttpServer;
  readonly metrics: SteerMetrics;
  get(urlPath: string, init?: { headers?: Record<string, string>; method?: string }): Promise<HttpReply>;
  json<T = unknown>(urlPath: string): Promise<T>;
  scrape(): Promise<Sample[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly zones: Record<string, string>;
  readonly token?: string | null;
  readonly server?: Partial<ServerOptions>;
  /** Extra observer (the query log). */
  readonly extra?: QueryObserver | null;
}

export function writeZones(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-http-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const dir = writeZones(opts.zones);
  const metrics = new SteerMetrics();
  const dns = await startTestServer({ zonesDir: dir, watch: false, ...opts.server, observer: combineObservers(opts.extra, metrics) });
  const detach = metrics.attach(dns.server);
  const httpServer = await startHttpServer({
    server: dns.server,
    listen: '127.0.0.1:0',
    token: opts.token ?? null,
    logger: silentLogger(),
    metrics,
  });
  const get = (urlPath: string, init: { headers?: Record<string, string>; method?: string } = {}): Promise<HttpReply> =>
    request(`${httpServer.url}${urlPath}`, init);
  const auth = opts.token ? { authorization: `Bearer ${opts.token}` } : undefined;
  return {
    dir,
    dns,
    http: httpServer,
    metrics,
    get,
    async json<T>(urlPath: string): Promise<T> {
      const r = await get(urlPath, { headers: auth });
      if (r.status !== 200) throw new Error(`GET ${urlPath}: ${r.status} ${r.text}`);
      return JSON.parse(r.text) as T;
    },
    async scrape() {
      const r = await get('/metrics', { headers: auth });
      if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
      return parsePrometheus(r.text);
    },
    async close() {
      detach();
      await httpServer.close();
      await dns.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET (or another method) with fetch; the body as text. */
export async function request(url: string, init: { headers?: Record<string, string>; method?: string } = {}): Promise<HttpReply> {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus text exposition → samples (comments skipped, label escapes undone). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `labels` (0 when none). */
export function metricValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export function has(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): boolean {
  return samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/**
 * An HTTP backend for monitors that holds every response until release() (to observe the
 * time before the first probe result), and can be made unhealthy (503) or stopped.
 */
export interface GatedBackend {
  readonly host: string;
  readonly port: number;
  hits(): number;
  release(): void;
  setHealthy(healthy: boolean): void;
  close(): Promise<void>;
}

export async function gatedBackend(host = '127.0.0.1', open = true): Promise<GatedBackend> {
  let healthy = true;
  let hits = 0;
  let released = open;
  const waiting: (() => void)[] = [];
  const server = http.createServer((_req, res) => {
    hits++;
    const answer = (): void => {
      res.statusCode = healthy ? 200 : 503;
      res.setHeader('connection', 'close');
      res.end(healthy ? 'ok' : 'down');
    };
    if (released) answer();
    else waiting.push(answer);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
  return {
    host,
    port,
    hits: () => hits,
    release() {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
    setHealthy(h) {
      healthy = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const answer of waiting.splice(0)) answer();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
