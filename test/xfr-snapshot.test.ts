// `lb: snapshot` end to end: the real server, a health file as the health source, dig over real
// TCP. A full transfer holds the load-balanced name with its healthy default answer; a failover
// raises the transfer serial and an IXFR from the serial before carries only the changed
// records; the SOA the server answers has the serial secondaries see; health flapping faster
// than `snapshot_interval` does not make the serial move faster.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { requireTool } from './interop/tools.js';
import { startTestServer, type TestServer } from './support/server.js';

const digPath = requireTool('dig', 'lb snapshot transfers');
const INTERVAL_S = 0.4;

const ZONE = `$TTL 300
@    IN SOA ns hostmaster 5 3600 600 86400 60
     IN NS  ns
ns   IN A   192.0.2.1
www  IN TXT "static beside the load balancer"
`;
const LB = `
monitors:
  feed: { type: external, expire_to: down, health_file: snap.health }
pools:
  primary:
    monitor: feed
    origins:
      - { name: p1, address: 192.0.2.10 }
  standby:
    origins:
      - { name: s1, address: 192.0.2.20 }
load_balancers:
  www: { default_pools: [primary, standby], ttl: 30 }
`;

describe.skipIf(digPath === null)('lb: snapshot', () => {
  let dir = '';
  let t: TestServer;
  const health = (state: 'up' | 'down'): void => writeFileSync(path.join(dir, 'snap.health'), `p1 ${state}\n`);
  const dig = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        digPath!,
        [`@${t.host}`, '-p', String(t.port), '+time=3', '+tries=1', ...args],
        { timeout: 15_000 },
        (err, stdout, stderr) => {
          if (err && !stdout) reject(new Error(`dig ${args.join(' ')}: ${err.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  const records = (text: string): string[] =>
    text
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith(';'))
      .map((l) => l.split(/\s+/).join(' '));
  const serial = (): number => t.server.transfers!.offeredSerial('snap.test')!;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-snapshot-'));
    writeFileSync(path.join(dir, 'snap.test.zone'), ZONE);
    writeFileSync(path.join(dir, 'snap.test.lb.yaml'), LB);
    health('up');
    t = await startTestServer({
      zonesDir: dir,
      watch: false,
      healthFileIntervalMs: 20,
      transfer: { snapshot_interval: INTERVAL_S, zones: { 'snap.test': { allow: ['127.0.0.0/8'], lb: 'snapshot' } } },
    });
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('AXFR holds the load-balanced name with the healthy default answer at the LB TTL', async () => {
    await eventually('the snapshot has the primary', async () =>
      records(await dig('snap.test', 'AXFR')).includes('www.snap.test. 30 IN A 192.0.2.10'),
    );
    const rrs = records(await dig('snap.test', 'AXFR'));
    expect(rrs).toContain('www.snap.test. 300 IN TXT "static beside the load balancer"');
    expect(rrs.filter((r) => r.startsWith('www.snap.test. ') && / IN A /.test(r))).toEqual(['www.snap.test. 30 IN A 192.0.2.10']);
    // The SOA a query gets carries the serial secondaries transfer (not the file's 5 when snapshots moved it).
    const soa = records(await dig('snap.test', 'SOA', '+norec')).find((r) => / IN SOA /.test(r));
    expect(soa?.split(' ')[6]).toBe(String(serial()));
  });

  it('a failover raises the serial, and IXFR from the serial before carries only the changed records', async () => {
    await eventually('primary in the snapshot', async () =>
      records(await dig('snap.test', 'AXFR')).includes('www.snap.test. 30 IN A 192.0.2.10'),
    );
    const before = serial();
    health('down');
    await eventually('the serial moves', () => serial() !== before, { timeoutMs: 5000 });
    const after = serial();
    expect((after - before) >>> 0).toBeGreaterThan(0);
    const rrs = records(await dig('snap.test', `IXFR=${before}`));
    const body = rrs.filter((r) => !/ IN SOA /.test(r));
    expect(body).toEqual(['www.snap.test. 30 IN A 192.0.2.10', 'www.snap.test. 30 IN A 192.0.2.20']);
    expect(rrs.filter((r) => / IN SOA /.test(r)).map((r) => Number(r.split(' ')[6]))).toEqual([after, before, after, after]);
    const soa = records(await dig('snap.test', 'SOA', '+norec')).find((r) => / IN SOA /.test(r));
    expect(soa?.split(' ')[6]).toBe(String(after));
  });

  it('health flapping faster than snapshot_interval raises the serial at most once per interval', async () => {
    health('down');
    await eventually('the standby in the snapshot', async () =>
      records(await dig('snap.test', 'AXFR')).includes('www.snap.test. 30 IN A 192.0.2.20'),
    );
    const start = serial();
    const began = Date.now();
    let up = true;
    const flaps = Date.now() + 2000;
    while (Date.now() < flaps) {
      health(up ? 'up' : 'down');
      up = !up;
      await new Promise((r) => setTimeout(r, 50));
    }
    // End on the other state than the one the snapshot started from: a bump must follow.
    health('up');
    await eventually('the primary back in the snapshot', async () =>
      records(await dig('snap.test', 'AXFR')).includes('www.snap.test. 30 IN A 192.0.2.10'),
    );
    const elapsed = Date.now() - began;
    const bumps = (serial() - start) >>> 0;
    expect(bumps).toBeGreaterThan(0);
    expect(bumps).toBeLessThanOrEqual(Math.floor(elapsed / (INTERVAL_S * 1000)) + 1);
  });
});
