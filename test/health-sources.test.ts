// Health sources beyond probing the answered address, end to end: the real server and HTTP
// listener, real HTTP/TCP backends on loopback, answers checked over real UDP. Probe overrides
// (address, port, Host), inverted and calculated monitors, external health through the API
// (token, bad input, TTL expiry) and through a watched health file (junk keeps the last good).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, tcpBackend, type Backend } from './support/backends.js';
import { eventually } from './support/eventually.js';
import { request, startHarness, type Harness } from './http/harness.js';

const TOKEN = 'health-sources-test-token-0123456789';
const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;

/** An HTTP health endpoint that remembers the Host headers it saw. */
interface HostBackend {
  readonly host: string;
  readonly port: number;
  readonly hosts: string[];
  healthy: boolean;
  close(): Promise<void>;
}

async function hostBackend(host: string): Promise<HostBackend> {
  const state: { healthy: boolean; hosts: string[] } = { healthy: true, hosts: [] };
  const server = http.createServer((req, res) => {
    state.hosts.push(req.headers.host ?? '');
    res.statusCode = state.healthy ? 200 : 503;
    res.setHeader('connection', 'close');
    res.end();
  });
  const port = await new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
  return {
    host,
    port,
    hosts: state.hosts,
    get healthy() {
      return state.healthy;
    },
    set healthy(h: boolean) {
      state.healthy = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let h: Harness;
let side: HostBackend;
let web: Backend;
let conn: Backend;

const timing = 'interval: 1, timeout: 0.5, retries: 0';
function lbYaml(): string {
  return `
monitors:
  web: { type: http, path: /health, ${timing} }
  web-inverted: { type: http, path: /health, invert: true, ${timing} }
  conn: { type: tcp, ${timing} }
  both: { type: calculated, children: [web, conn], healthy_threshold: 2 }
  feed: { type: external, expire_to: up, expire_after: 60 }
  filed: { type: external, expire_to: down, health_file: ext.health }
pools:
  side:
    monitor: web
    origins:
      - { name: nat, address: 192.0.2.50, probe: { address: ${side.host}, port: ${side.port}, host: status.example } }
  inv:
    monitor: web-inverted
    origins:
      - { name: inv, address: 192.0.2.51, probe: { address: ${web.host}, port: ${web.port} } }
  calc:
    monitor: both
    probe: { address: ${web.host} }
    origins:
      - { name: calc, address: 192.0.2.52, probe: { port: ${web.port} } }
  ext:
    monitor: feed
    origins:
      - { name: ext-1, address: 192.0.2.53 }
  file:
    monitor: filed
    origin_steering: { policy: all }
    origins:
      - { name: file-1, address: 192.0.2.54 }
      - { name: file-2, address: 192.0.2.55 }
  backup:
    origins:
      - { name: backup, address: 192.0.2.99 }
load_balancers:
  side: { default_pools: [side, backup] }
  inv: { default_pools: [inv, backup] }
  calc: { default_pools: [calc, backup] }
  ext: { default_pools: [ext, backup] }
  file: { default_pools: [file, backup] }
`;
}

async function a(name: string): Promise<string[]> {
  const r = await h.dns.udp({ name: `${name}.hs.test`, type: 'A' });
  return r.answers.map((x) => String(x.data)).sort();
}

const put = (urlPath: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${h.http.url}${urlPath}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { error?: string; targets?: { up: boolean; expiresAt: number | null }[] },
  }));

beforeAll(async () => {
  side = await hostBackend('127.0.0.61');
  web = await httpBackend('127.0.0.62');
  conn = await tcpBackend('127.0.0.62');
  // The calculated monitor's tcp child probes the web backend's own port: both children pass.
  h = await startHarness({
    zones: { 'hs.test.zone': ZONE, 'hs.test.lb.yaml': '' },
    token: TOKEN,
    server: { healthFileIntervalMs: 50 },
  });
  fs.writeFileSync(path.join(h.dir, 'ext.health'), '# origin state reason\nfile-1 up\n');
  fs.writeFileSync(path.join(h.dir, 'hs.test.lb.yaml'), lbYaml());
  const outcome = await h.dns.server.reload(true);
  expect(outcome.errors.map((e) => e.describe())).toEqual([]);
}, 20_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([side?.close(), web?.close(), conn?.close()]);
});

describe('probe override', () => {
  it('probes another address, port and Host than the one answered', async () => {
    await eventually('the probe endpoint was probed', () => side.hosts.length > 0 && h.dns.server.health.stats().every((s) => s.known));
    expect(await a('side')).toEqual(['192.0.2.50']);
    expect(new Set(side.hosts)).toEqual(new Set(['status.example']));
    side.healthy = false;
    await eventually('fails over when the probed endpoint fails', async () => (await a('side')).join() === '192.0.2.99', {
      timeoutMs: 6000,
    });
    side.healthy = true;
    await eventually('comes back', async () => (await a('side')).join() === '192.0.2.50', { timeoutMs: 6000 });
  });
});

describe('inverted monitor', () => {
  it('counts a passing probe as down and a failing one as up', async () => {
    await eventually('healthy backend → inverted down', async () => (await a('inv')).join() === '192.0.2.99', { timeoutMs: 5000 });
    const key = h.dns.server.health.stats().find((s) => s.key.includes('web-inverted'));
    expect(key?.reason).toMatch(/^inverted: HTTP 200/);
    await web.setHealthy(false);
    try {
      await eventually('failing backend → inverted up', async () => (await a('inv')).join() === '192.0.2.51', { timeoutMs: 6000 });
    } finally {
      await web.setHealthy(true);
    }
    await eventually('back to inverted down', async () => (await a('inv')).join() === '192.0.2.99', { timeoutMs: 6000 });
  });
});

describe('calculated monitor', () => {
  it('is up while healthy_threshold children pass, and says how many did', async () => {
    await eventually('both children up', async () => (await a('calc')).join() === '192.0.2.52', { timeoutMs: 5000 });
    await web.setHealthy(false); // the http child fails, the tcp child still connects
    try {
      await eventually('one child down → calculated down', async () => (await a('calc')).join() === '192.0.2.99', { timeoutMs: 6000 });
      const calc = h.dns.server.health.stats().find((s) => s.key.includes('/both@'));
      expect(calc?.reason).toBe('1/2 children up (need 2)');
    } finally {
      await web.setHealthy(true);
    }
    await eventually('recovers with its children', async () => (await a('calc')).join() === '192.0.2.52', { timeoutMs: 6000 });
  });
});

describe('external health via the API', () => {
  it('starts in expire_to, applies reports, and expires a report back to expire_to', async () => {
    expect(await a('ext')).toEqual(['192.0.2.53']); // expire_to: up
    const down = await put('/api/v1/health/hs.test/ext-1', { state: 'down', reason: 'maintenance', ttl: 1 });
    expect(down.status).toBe(200);
    expect(down.body.targets).toEqual([expect.objectContaining({ up: false, expiresAt: expect.any(Number) })]);
    expect(await a('ext')).toEqual(['192.0.2.99']);
    const status = await h.json<{ transitions: { target: string; reason: string }[] }>('/api/v1/status');
    expect(status.transitions[0]).toMatchObject({ reason: 'maintenance' });
    await eventually('the report expires back to up', async () => (await a('ext')).join() === '192.0.2.53', { timeoutMs: 4000 });
  });

  it('rejects bad input with a 4xx and a reason, and changes nothing', async () => {
    const generation = h.dns.server.health.snapshot().generation;
    const cases: [string, unknown, number, RegExp][] = [
      ['/api/v1/health/hs.test/ext-1', { state: 'sideways' }, 400, /state must be "up" or "down"/],
      ['/api/v1/health/hs.test/ext-1', { state: 'down', ttl: -1 }, 400, /ttl/],
      ['/api/v1/health/hs.test/ext-1', { state: 'down', extra: 1 }, 400, /extra/],
      ['/api/v1/health/hs.test/ext-1', '{"state":', 400, /not JSON/],
      ['/api/v1/health/hs.test/ext-1', { state: 'down', reason: 'x'.repeat(201) }, 400, /reason/],
      ['/api/v1/health/hs.test/nobody', { state: 'down' }, 404, /no origin named "nobody"/],
      ['/api/v1/health/other.test/ext-1', { state: 'down' }, 404, /no zone other.test/],
      ['/api/v1/health/hs.test/nat', { state: 'down' }, 409, /not watched by a type: external monitor/],
      ['/api/v1/health/hs.test', { state: 'down' }, 404, /expected/],
    ];
    for (const [url, body, status, error] of cases) {
      const r = await put(url, body);
      expect({ url, status: r.status }).toEqual({ url, status });
      expect(r.body.error).toMatch(error);
    }
    expect((await put('/api/v1/health/hs.test/ext-1', { state: 'down' }, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await put('/api/v1/health/hs.test/ext-1', { state: 'down' }, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(
      401,
    );
    expect((await put('/api/v1/health/hs.test/ext-1', 'x'.repeat(5000))).status).toBe(413);
    expect(h.dns.server.health.snapshot().generation).toBe(generation);
    expect(await a('ext')).toEqual(['192.0.2.53']);
  });

  it('is refused without a configured token, even on loopback', async () => {
    const open = await startHarness({ zones: { 'hs.test.zone': ZONE } });
    try {
      const r = await request(`${open.http.url}/api/v1/health/hs.test/ext-1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status).toBe(403);
    } finally {
      await open.close();
    }
  });
});

describe('external health via a watched file', () => {
  const file = (): string => path.join(h.dir, 'ext.health');

  it('applies the file, and origins it does not list fall back to expire_to (down)', async () => {
    await eventually('file-1 up, file-2 not listed', async () => (await a('file')).join() === '192.0.2.54', { timeoutMs: 4000 });
    fs.writeFileSync(file(), 'file-1 down  drained\nfile-2 UP\n');
    await eventually('the change is read', async () => (await a('file')).join() === '192.0.2.55', { timeoutMs: 4000 });
  });

  it('keeps the last good contents when the file turns to junk, and names file:line', async () => {
    fs.writeFileSync(file(), 'file-1 up\nfile-2 maybe\n');
    const status = await eventually('the error is reported', () => h.dns.server.external.files().find((f) => f.error !== null), {
      timeoutMs: 4000,
    });
    expect(status?.error).toBe(`${file()}:2: health file: state must be up or down, not "maybe" [STEER_HEALTH_FILE]`);
    expect(await a('file')).toEqual(['192.0.2.55']);
    fs.writeFileSync(file(), 'file-1 up\nfile-2 up\n');
    await eventually('a good file applies again', async () => (await a('file')).join() === '192.0.2.54,192.0.2.55', { timeoutMs: 4000 });
  });
});
