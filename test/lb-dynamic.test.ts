// Dynamic (RTT) steering end to end: the real server probes two real HTTP origins on loopback
// whose replies are delayed by different amounts, and its UDP answers follow the faster pool,
// including after the delays are swapped. Waits are deadline polls on the answers themselves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../src/query/explain.js';
import { delayedHttp, type DelayedHttp } from './support/delayed-http.js';
import { eventually } from './support/eventually.js';
import { startTestServer, type TestServer } from './support/server.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.53
`;

let dir: string;
let t: TestServer;
let a: DelayedHttp;
let b: DelayedHttp;

beforeAll(async () => {
  a = await delayedHttp('127.0.0.51', 150);
  b = await delayedHttp('127.0.0.52', 2);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-dynamic-'));
  fs.writeFileSync(path.join(dir, 'dyn.test.zone'), ZONE);
  fs.writeFileSync(
    path.join(dir, 'dyn.test.lb.yaml'),
    `monitors:
  web: { type: http, path: /health, interval: 1, timeout: 0.9, retries: 0 }
pools:
  pool-a: { monitor: web, origins: [{ name: a, address: ${a.host}, port: ${a.port} }] }
  pool-b: { monitor: web, origins: [{ name: b, address: ${b.host}, port: ${b.port} }] }
load_balancers:
  www:
    steering_policy: dynamic
    default_pools: [pool-a, pool-b]
    dynamic_steering: { rtt_tolerance_ms: 40, min_samples: 2 }
`,
  );
  t = await startTestServer({ zonesDir: dir, watch: false });
}, 30_000);

afterAll(async () => {
  await t?.close();
  await Promise.all([a?.close(), b?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const answer = async (): Promise<string | undefined> =>
  (await t.udp({ name: 'www.dyn.test', type: 'A' })).answers[0]?.data as string | undefined;

describe('dynamic steering over UDP with origins of different RTT', () => {
  it('answers from the pool whose probes return fastest, though it is second in default_pools', async () => {
    // Until both pools have min_samples probes the comparison may hold one pool only; wait for both.
    const compared = /RTT pool-a \d+\.\d ms, pool-b \d+\.\d ms; within 40 ms of the fastest: pool-b$/m;
    const trace = (): string =>
      explain(t.server.state.current, { name: 'www.dyn.test', type: 'A', client: '192.0.2.7' })
        .steps.map((s) => s.text)
        .join('\n');
    await eventually('both pools measured, pool-b fastest', () => compared.test(trace()), { timeoutMs: 15_000, intervalMs: 100 });
    expect(await answer()).toBe(b.host);
  }, 20_000);

  it('moves when the RTTs change', async () => {
    a.setDelay(2);
    b.setDelay(250);
    await eventually('pool-a to answer once its probes are faster', async () => (await answer()) === a.host, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
  }, 25_000);
});
