// The packet cache through the real server over real UDP: repeated questions are answered from
// it (the /metrics counters say so), and a health change reaches the very next answer — the
// cache keeps nothing across a new serving state.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServingState } from '../src/config/state.js';
import { tcpBackend, type Backend } from './support/backends.js';
import type { QuerySpec } from './support/dns-client.js';
import { eventually } from './support/eventually.js';
import { startTestServer, type TestServer } from './support/server.js';

const ZONE = `$TTL 300
@    IN SOA ns hostmaster 1 3600 600 86400 60
     IN NS  ns
ns   IN A   192.0.2.1
www  IN A   192.0.2.80
`;

let dir: string;
let primary: Backend;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-packet-cache-'));
  primary = await tcpBackend('127.0.0.1');
  fs.writeFileSync(path.join(dir, 'pc.example.zone'), ZONE);
  fs.writeFileSync(
    path.join(dir, 'pc.example.lb.yaml'),
    `monitors:
  conn: { type: tcp, interval: 1, timeout: 0.5, retries: 0 }
pools:
  main:
    monitor: conn
    origins: [ { name: main, address: ${primary.host}, port: ${primary.port} } ]
  spare:
    origins: [ { name: spare, address: 192.0.2.99 } ]
load_balancers:
  app: { steering_policy: "off", default_pools: [main, spare], fallback_pool: spare }
`,
  );
});

afterAll(async () => {
  await primary?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const APP: QuerySpec = { name: 'app.pc.example', type: 'A', edns: { udpSize: 1232, ecs: { ip: '127.0.5.0', sourcePrefix: 24 } } };
const addresses = async (t: TestServer, spec: QuerySpec): Promise<string[]> => (await t.udp(spec)).answers.map((a) => String(a.data));

describe('packet cache on the wire', () => {
  it('answers repeated questions from the cache, and follows health from the next query on', async () => {
    const t = await startTestServer({ zonesDir: dir, probe: true });
    try {
      await eventually('the main origin probed up', async () => (await addresses(t, APP)).includes(primary.host));
      const before = t.server.pipeline.packetCacheStats();
      for (let i = 0; i < 20; i++) expect(await addresses(t, APP)).toEqual([primary.host]);
      for (let i = 0; i < 20; i++) expect(await addresses(t, { ...APP, name: 'WWW.pc.example' })).toEqual(['192.0.2.80']);
      const after = t.server.pipeline.packetCacheStats();
      // Each question is built once at most; the other 38 come from the cache.
      expect(after.hits - before.hits).toBeGreaterThanOrEqual(38);

      // The moment the serving state has the origin down, the next query gets the spare.
      const key = `pc.example/conn@${primary.host}:${primary.port}`;
      const down = new Promise<void>((resolve) => {
        const onSwap = (state: ServingState): void => {
          if (state.health.isUp(key)) return;
          t.server.state.off('swap', onSwap);
          resolve();
        };
        t.server.state.on('swap', onSwap);
      });
      await primary.setHealthy(false);
      await down;
      expect(await addresses(t, APP)).toEqual(['192.0.2.99']);
    } finally {
      await t.close();
    }
  });

  it('keeps nothing with --packet-cache 0', async () => {
    const t = await startTestServer({ zonesDir: dir, probe: false, packetCacheSize: 0 });
    try {
      for (let i = 0; i < 10; i++) expect(await addresses(t, { ...APP, name: 'www.pc.example' })).toEqual(['192.0.2.80']);
      expect(t.server.pipeline.packetCacheStats()).toEqual({ entries: 0, hits: 0, misses: 0 });
    } finally {
      await t.close();
    }
  });
});
