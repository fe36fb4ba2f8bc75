// Webhook notifications end to end: the real server probes a real HTTP backend, answers over
// real UDP, and tells real webhook receivers on loopback about origin, pool and load balancer
// transitions, signed with the secret from a file. A receiver that hangs must not slow
// answering or probing.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, type Backend } from './support/backends.js';
import { eventually } from './support/eventually.js';
import { webhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { metricValue, startHarness, type Harness } from './http/harness.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const SECRET = 'webhook-secret-for-tests';

let h: Harness;
let web: Backend;
let ops: WebhookReceiver;
let dead: WebhookReceiver;
/** Median answer time before any notification was pending. */
let baselineMs: number;

function lbYaml(): string {
  return `
monitors:
  web: { type: http, path: /health, interval: 1, timeout: 0.5, retries: 0 }
pools:
  eu:
    monitor: web
    origins:
      - { name: eu-1, address: ${web.host}, port: ${web.port} }
  us:
    origins:
      - { name: us-1, address: 192.0.2.99 }
load_balancers:
  www: { default_pools: [eu, us] }
notifications:
  ops:
    url: ${ops.url}
    secret_file: hook.secret
    coalesce: 0
  dead:
    url: ${dead.url}
    format: slack
    timeout: 30
    retries: 3
`;
}

interface Body {
  kind: string;
  subject: string;
  old_state: string;
  new_state: string;
  reason: string;
  coalesced: number;
}
const bodies = (): Body[] => ops.received.map((r) => JSON.parse(r.body) as Body);

async function answer(): Promise<string> {
  const r = await h.dns.udp({ name: 'www.nt.test', type: 'A' });
  return r.answers.map((a) => String(a.data)).join();
}

/** Median UDP answer time over `n` sequential queries, in ms. */
async function medianQueryMs(n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await answer();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

beforeAll(async () => {
  web = await httpBackend('127.0.0.71');
  ops = await webhookReceiver('127.0.0.72');
  dead = await webhookReceiver('127.0.0.73');
  dead.mode = 'hang';
  h = await startHarness({ zones: { 'nt.test.zone': ZONE }, token: 'notifications-test-token-0123456789' });
  fs.writeFileSync(path.join(h.dir, 'hook.secret'), `${SECRET}\n`);
  fs.writeFileSync(path.join(h.dir, 'nt.test.lb.yaml'), lbYaml());
  const outcome = await h.dns.server.reload(true);
  expect(outcome.errors.map((e) => e.describe())).toEqual([]);
  await eventually('first probe result', () => h.dns.server.health.stats().every((s) => s.known));
  baselineMs = await medianQueryMs(200);
}, 20_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([web?.close(), ops?.close(), dead?.close()]);
});

describe('notifications', () => {
  it('posts signed origin, pool and load balancer transitions', async () => {
    expect(await answer()).toBe(web.host);
    await web.setHealthy(false);
    await eventually('origin, pool and load balancer events', () => bodies().length >= 3, { timeoutMs: 6000 });
    expect(await answer()).toBe('192.0.2.99');
    const got = bodies().map((b) => [b.kind, b.subject, b.old_state, b.new_state]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['origin', 'eu/eu-1', 'up', 'down'],
        ['pool', 'eu', 'healthy', 'unhealthy'],
        ['load_balancer', 'www.nt.test', 'ok', 'degraded'],
      ]),
    );
    expect(bodies().find((b) => b.kind === 'origin')?.reason).toBe('HTTP 503 (expected 2xx)');
    for (const r of ops.received) {
      expect(r.headers['x-steerdns-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
    }

    await web.setHealthy(true);
    await eventually('recovery events', () => bodies().some((b) => b.kind === 'load_balancer' && b.new_state === 'ok'), {
      timeoutMs: 6000,
    });
  });

  it('a hanging receiver slows neither answering nor probing', async () => {
    // The dead receiver holds a request for every message above (30 s timeout, 3 retries).
    await eventually('the dead receiver was tried', () => dead.attempts() >= 1);
    const key = h.dns.server.health.stats()[0]!.key;
    const probesBefore = h.dns.server.health.statsFor(key)!.probesPassed + h.dns.server.health.statsFor(key)!.probesFailed;
    const during = await medianQueryMs(200);
    // Generous against a loaded machine: a blocked event loop would cost whole seconds.
    expect(during).toBeLessThan(Math.max(5 * baselineMs, baselineMs + 20));
    await eventually(
      'probes keep their interval',
      () => {
        const s = h.dns.server.health.statsFor(key)!;
        return s.probesPassed + s.probesFailed >= probesBefore + 2;
      },
      { timeoutMs: 5000 },
    );
    const stats = h.dns.server.notifier.stats().find((d) => d.receiver === 'dead')!;
    expect(stats.delivered).toBe(0);
    expect(stats.pending).toBeGreaterThan(0);
  });

  it('counts deliveries in metrics and shows receivers in the status API', async () => {
    const samples = await h.scrape();
    expect(metricValue(samples, 'steerdns_notifications_total', { receiver: 'ops', result: 'delivered' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(samples, 'steerdns_notifications_pending', { receiver: 'dead' })).toBeGreaterThan(0);
    const status = await h.json<{ notifications: { receiver: string; endpoint: string; delivered: number }[] }>('/api/v1/status');
    expect(status.notifications).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ receiver: 'ops', endpoint: new URL(ops.url).origin, delivered: expect.any(Number) }),
      ]),
    );
  });

  it('rejects an unreadable secret file with file:line and keeps the previous configuration', async () => {
    const file = path.join(h.dir, 'nt.test.lb.yaml');
    fs.writeFileSync(file, lbYaml().replace('secret_file: hook.secret', 'secret_file: missing.secret'));
    const outcome = await h.dns.server.reload(true);
    const line =
      lbYaml()
        .split('\n')
        .findIndex((l) => l.includes('secret_file')) + 1;
    expect(outcome.errors.map((e) => e.describe())).toEqual([
      `${file}:${line}: notification receiver ops: cannot read secret_file ${path.join(h.dir, 'missing.secret')}: ENOENT [STEER_NOTIFY_SECRET]`,
    ]);
    expect(outcome.kept).toEqual(['nt.test']);
    expect(
      h.dns.server.notifier
        .stats()
        .map((d) => d.receiver)
        .sort(),
    ).toEqual(['dead', 'ops']);
    fs.writeFileSync(file, lbYaml());
  });
});
