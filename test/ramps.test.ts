// Weight ramps end to end: the real server answers over real UDP while a canary's (and a pool's) weight
// ramps up on a short clock; a ramp whose origin fails its real probe goes back to its start weight
// and a real webhook receiver is told.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, type Backend } from './support/backends.js';
import { eventually } from './support/eventually.js';
import { webhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { startHarness, type Harness } from './http/harness.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;

let h: Harness;
let canary: Backend;
let hook: WebhookReceiver;

const lbYaml = (): string => `
monitors:
  web: { type: http, interval: 1, timeout: 0.5, retries: 0 }
pools:
  up:
    origins:
      - { name: stable, address: 192.0.2.10, weight: 1 }
      - { name: canary, address: 192.0.2.20, weight: 1, ramp: { to: 1000, over: 1s, step: 250ms } }
  abort:
    monitor: web
    origins:
      - { name: risky, address: ${canary.host}, port: ${canary.port}, weight: 1, ramp: { to: 50, over: 1h, step: 1s } }
  old-site: { origins: [{ name: o1, address: 192.0.2.30 }] }
  new-site: { origins: [{ name: n1, address: 192.0.2.40 }] }
load_balancers:
  www: { default_pools: [up] }
  mix:
    steering_policy: random
    default_pools: [old-site, new-site]
    random_steering:
      pool_weights:
        old-site: 1
        new-site: { weight: 1, ramp: { to: 1000, over: 1s, step: 250ms } }
  risky: { default_pools: [abort] }
notifications:
  ops: { url: ${hook.url}, coalesce: 0 }
`;

interface RampRow {
  kind: string;
  pool: string;
  loadBalancer: string;
  origin: string;
  weight: number;
  state: string;
  from: number;
}

beforeAll(async () => {
  canary = await httpBackend('127.0.0.81');
  hook = await webhookReceiver('127.0.0.82');
  h = await startHarness({ zones: { 'rp.test.zone': ZONE } });
  fs.writeFileSync(path.join(h.dir, 'rp.test.lb.yaml'), lbYaml());
  const outcome = await h.dns.server.reload(true);
  expect(outcome.errors.map((e) => e.describe())).toEqual([]);
}, 20_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([canary?.close(), hook?.close()]);
});

const ramps = async (): Promise<RampRow[]> => (await h.json<{ ramps: RampRow[] }>('/api/v1/status')).ramps;

describe('weight ramps', () => {
  it('ramps a canary to its target, and answers follow the weight', async () => {
    await eventually('ramp done', async () => (await ramps()).find((r) => r.origin === 'canary')?.state === 'done', { timeoutMs: 5000 });
    expect((await ramps()).find((r) => r.origin === 'canary')).toMatchObject({ weight: 1000, from: 1 });
    let toCanary = 0;
    for (let i = 0; i < 200; i++) {
      const r = await h.dns.udp({ name: 'www.rp.test', type: 'A' });
      if (r.answers.some((a) => a.data === '192.0.2.20')) toCanary++;
    }
    // Weight 1000 against 1: expected 199.8 of 200; a loose bound still fails at equal weights.
    expect(toCanary).toBeGreaterThan(180);
  });

  it('ramps a pool weight in a load balancer, and answers follow it', async () => {
    const mix = async () => (await ramps()).find((r) => r.kind === 'pool');
    await eventually('pool ramp done', async () => (await mix())?.state === 'done', { timeoutMs: 5000 });
    expect(await mix()).toMatchObject({ pool: 'new-site', loadBalancer: 'mix.rp.test', origin: '', weight: 1000, from: 1 });
    let toNew = 0;
    for (let i = 0; i < 200; i++) {
      const r = await h.dns.udp({ name: 'mix.rp.test', type: 'A' });
      if (r.answers.some((a) => a.data === '192.0.2.40')) toNew++;
    }
    expect(toNew).toBeGreaterThan(180);
  });

  it('goes back to the start weight and notifies when the origin fails its probe', async () => {
    await eventually('ramp running', async () => ((await ramps()).find((r) => r.origin === 'risky')?.weight ?? 0) > 1, { timeoutMs: 5000 });
    await canary.setHealthy(false);
    await eventually('ramp aborted', async () => (await ramps()).find((r) => r.origin === 'risky')?.state === 'aborted', {
      timeoutMs: 6000,
    });
    expect((await ramps()).find((r) => r.origin === 'risky')).toMatchObject({ weight: 1, from: 1 });
    await eventually('ramp notification', () =>
      hook.received.some((r) => {
        const b = JSON.parse(r.body) as { kind: string; subject: string; new_state: string };
        return b.kind === 'ramp' && b.subject === 'abort/risky' && b.new_state === 'aborted';
      }),
    );
  });
});
