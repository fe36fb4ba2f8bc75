// The HTTP listener's endpoints against the real server: readiness following the first probe
// round, the status document (validated against its zod schema, and the published JSON Schema
// kept in docs/), explain, read-only methods and bearer-token enforcement.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/server.js';
import { StatusSchema, statusJsonSchema, type Status } from '../../src/http/status-schema.js';
import { silentLogger } from '../../src/server/logger.js';
import { repoRoot } from '../support/build.js';
import { gatedBackend, request, startHarness, type GatedBackend, type Harness } from './harness.js';
import { eventually } from '../support/eventually.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 42 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;

function lbYaml(x: GatedBackend, y: GatedBackend): string {
  return `
monitors:
  web:
    type: http
    interval: 3
    timeout: 2.5
    retries: 0
pools:
  main:
    description: the primary pool
    monitor: web
    origins:
      - { name: x, address: ${x.host}, port: ${x.port} }
  spare:
    monitor: web
    origins:
      - { name: y, address: ${y.host}, port: ${y.port} }
      - { name: drained, address: 192.0.2.77, enabled: false }
  static:
    origins:
      - { name: s, address: 192.0.2.50 }
load_balancers:
  www:
    description: the web front
    default_pools: [main, spare]
    fallback_pool: static
`;
}

let h: Harness;
let x: GatedBackend;
let y: GatedBackend;

beforeAll(async () => {
  // x holds its first reply until released: the server cannot finish its first probe round.
  x = await gatedBackend('127.0.0.4', false);
  y = await gatedBackend('127.0.0.5');
  h = await startHarness({ zones: { 'api.test.zone': ZONE, 'api.test.lb.yaml': lbYaml(x, y) } });
});

afterAll(async () => {
  await h?.close();
  await x?.close();
  await y?.close();
});

describe('/healthz and /readyz', () => {
  it('is alive at once, and ready only once the first probe round is done', async () => {
    expect((await h.get('/healthz')).status).toBe(200);
    await eventually('the probe of x to be in flight', () => x.hits() >= 1);
    const early = await h.get('/readyz');
    expect(early.status).toBe(503);
    expect(early.text).toMatch(/first probe round/);
    const status = await h.json<Status>('/api/v1/status');
    expect(status.ready).toBe(false);
    x.release();
    await eventually('/readyz 200', async () => (await h.get('/readyz')).status === 200);
    expect((await h.json<Status>('/api/v1/status')).ready).toBe(true);
  });
});

describe('/api/v1/status', () => {
  it('validates against the schema and reports zones, pools and origins with health and reason', async () => {
    await h.dns.server.prober.ready;
    const raw = await h.json('/api/v1/status');
    const status = StatusSchema.parse(raw);
    expect(status.zones).toEqual([
      expect.objectContaining({ name: 'api.test', serial: 42, records: 3, lbFile: path.join(h.dir, 'api.test.lb.yaml'), loadBalancers: 1 }),
    ]);
    expect(status.zones[0]!.loadedAt).toBeLessThanOrEqual(status.generatedAt);

    const lb = status.loadBalancers.find((l) => l.owner === 'www.api.test')!;
    expect(lb).toMatchObject({
      zone: 'api.test',
      name: 'www',
      policy: 'off',
      defaultPools: ['main', 'spare'],
      fallbackPool: 'static',
      primaryPool: 'main',
      state: 'ok',
    });
    expect(lb.pools.map((p) => [p.name, p.roles])).toEqual([
      ['main', ['default']],
      ['spare', ['default']],
      ['static', ['fallback']],
    ]);
    const origin = (pool: string, name: string) => lb.pools.find((p) => p.name === pool)!.origins.find((o) => o.name === name)!;
    expect(origin('main', 'x')).toMatchObject({ health: 'up', reason: 'HTTP 200', target: `api.test/web@${x.host}:${x.port}` });
    expect(origin('main', 'x').lastProbe).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(origin('main', 'x').since).toBeLessThanOrEqual(status.generatedAt);
    expect(origin('spare', 'drained')).toMatchObject({ health: 'drained', enabled: false });
    expect(origin('static', 's')).toMatchObject({ health: 'unmonitored', target: null });
    expect(lb.traffic.bucketSeconds).toBe(10);
    for (const p of lb.pools) expect(p.answers).toHaveLength(lb.traffic.bucketStarts.length);
  });

  it('shows an origin down with the probe reason, the transition, and the failover', async () => {
    await x.close();
    const status = (await eventually(
      'x down in the status',
      async () => {
        const s = StatusSchema.parse(await h.json('/api/v1/status'));
        const o = s.loadBalancers[0]!.pools[0]!.origins[0]!;
        return o.health === 'down' ? s : null;
      },
      { timeoutMs: 10_000 },
    ))!;
    const lb = status.loadBalancers[0]!;
    const xs = lb.pools[0]!.origins[0]!;
    expect(xs.reason).toMatch(/ECONNREFUSED|refused/i);
    expect(xs.lastProbe?.ok).toBe(false);
    expect(lb.pools[0]!.healthy).toBe(false);
    expect(lb).toMatchObject({ state: 'degraded', primaryPool: 'spare' });
    expect(status.transitions[0]).toMatchObject({
      up: false,
      previousUp: true,
      target: xs.target,
      origins: [{ zone: 'api.test', pool: 'main', origin: 'x' }],
    });

    // Traffic share follows: answers now come from spare.
    for (let i = 0; i < 3; i++) expect((await h.dns.udp({ name: 'www.api.test', type: 'A' })).answers[0]?.data).toBe(y.host);
    const after = StatusSchema.parse(await h.json('/api/v1/status'));
    const sum = (name: string): number => after.loadBalancers[0]!.pools.find((p) => p.name === name)!.answers.reduce((s, n) => s + n, 0);
    expect(sum('spare')).toBe(3);
    expect(sum('main')).toBe(0);
  });

  it('publishes its JSON Schema, identical to docs/status.schema.json', async () => {
    const served = await h.json('/api/v1/status/schema');
    const generated = statusJsonSchema();
    expect(served).toEqual(generated);
    const file = path.join(repoRoot, 'docs/status.schema.json');
    const text = `${JSON.stringify(generated, null, 2)}\n`;
    // Regenerate with STEERDNS_UPDATE_SCHEMA=1 after changing src/http/status-schema.ts.
    if (process.env.STEERDNS_UPDATE_SCHEMA === '1') fs.writeFileSync(file, text);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(generated).toMatchObject({ type: 'object', required: expect.arrayContaining(['zones', 'loadBalancers', 'transitions']) });
  });
});

describe('/api/v1/explain', () => {
  it('returns the same trace as the CLI, with live health', async () => {
    const r = await h.json<{ zone: string; rcode: string; answer: string[]; steps: { stage: string; text: string }[] }>(
      '/api/v1/explain?name=www.api.test&type=A&client=192.0.2.1',
    );
    expect(r.zone).toBe('api.test');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answer).toEqual([expect.stringContaining(y.host)]); // x is down (previous test)
    expect(r.steps.some((s) => s.stage === 'lookup')).toBe(true);
  });

  it('answers 400 with a message on bad input', async () => {
    for (const [query, message] of [
      ['type=A&client=192.0.2.1', /name is required/],
      ['name=www.api.test&type=A', /client is required/],
      ['name=www.api.test&type=BOGUS&client=192.0.2.1', /unknown type/],
      ['name=www.api.test&type=A&client=not-an-ip', /bad client/],
      ['name=www.api.test&type=A&client=192.0.2.0/40', /bad prefix/],
      [`name=${'a'.repeat(2000)}&client=192.0.2.1`, /too long/],
    ] as const) {
      const r = await h.get(`/api/v1/explain?${query}`);
      expect(r.status, query).toBe(400);
      expect((JSON.parse(r.text) as { error: string }).error).toMatch(message);
    }
  });
});

describe('HTTP surface', () => {
  it('is read-only and answers 404 for unknown paths', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await h.get('/api/v1/status', { method });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await h.get('/metrics', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect((await h.get('/nope')).status).toBe(404);
  });

  it('serves a self-contained status page whose CSP forbids anything external', async () => {
    const r = await h.get('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(r.text).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//i);
    expect(r.text).not.toMatch(/@import|url\(/);
  });
});

describe('bearer token', () => {
  const token = 'correct-horse-battery-staple';

  it('guards every endpoint but /healthz when a token is set', async () => {
    const http = await startHttpServer({ server: h.dns.server, listen: '127.0.0.1:0', token, logger: silentLogger(), metrics: h.metrics });
    try {
      const get = (p: string, headers?: Record<string, string>) => request(`${http.url}${p}`, { headers });
      expect((await get('/healthz')).status).toBe(200);
      for (const p of [
        '/metrics',
        '/readyz',
        '/api/v1/status',
        '/api/v1/status/schema',
        '/api/v1/explain?name=www.api.test&client=192.0.2.1',
        '/',
      ]) {
        const denied = await get(p);
        expect(denied.status, p).toBe(401);
        expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((await get(p, { authorization: `Bearer ${token}x` })).status, p).toBe(401);
        expect((await get(p, { authorization: token })).status, p).toBe(401);
        expect((await get(p, { authorization: `Bearer ${token}` })).status, p).toBe(200);
      }
      // The page alone takes ?token= (a browser cannot add a header to a navigation); the API does not.
      expect((await get(`/?token=${token}`)).status).toBe(200);
      expect((await get(`/?token=${token}x`)).status).toBe(401);
      expect((await get(`/api/v1/status?token=${token}`)).status).toBe(401);
    } finally {
      await http.close();
    }
  });

  it('refuses to listen beyond loopback without a token, and refuses weak tokens', async () => {
    const start = (listen: string, t: string | null) =>
      startHttpServer({ server: h.dns.server, listen, token: t, logger: silentLogger(), metrics: null });
    // Refused before binding: nothing ever listens on these addresses.
    await expect(start('0.0.0.0:0', null)).rejects.toMatchObject({ code: 'STEER_HTTP_TOKEN_REQUIRED' });
    await expect(start('[::]:0', null)).rejects.toMatchObject({ code: 'STEER_HTTP_TOKEN_REQUIRED' });
    await expect(start('192.0.2.1:0', null)).rejects.toMatchObject({ code: 'STEER_HTTP_TOKEN_REQUIRED' });
    await expect(start('127.0.0.1:0', 'short')).rejects.toMatchObject({ code: 'STEER_HTTP_TOKEN' });
    await expect(start('127.0.0.1:0', 'has a space in it, long')).rejects.toMatchObject({ code: 'STEER_HTTP_TOKEN' });
    await expect(start('localhost:0', null)).rejects.toMatchObject({ code: 'STEER_CLI_USAGE' });
    const loop = await start('127.0.0.9:0', null);
    expect((await request(`${loop.url}/api/v1/status`)).status).toBe(200);
    expect((await request(`${loop.url}/metrics`)).status).toBe(404); // metrics: null
    await loop.close();
  });
});
