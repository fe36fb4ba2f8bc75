// Replay fidelity: the real server answers real UDP/TCP queries (geo with ECS, subnet rules,
// failover around a backend its monitor found down, hash and "all" origin steering, random
// steering) while the query recorder writes the replayable log to a file; replaying that log
// through the same configuration, with the health the server had, must give back exactly what
// the server answered — pool, origins, rcode and ECS scope for every deterministic query, and
// the same distribution for random steering.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../src/config/config-loader.js';
import { QueryRecorder } from '../../src/query/query-recorder.js';
import { RotatingFile } from '../../src/query/rotating-file.js';
import { parseRecord, type QueryRecord } from '../../src/replay/record.js';
import { QueryBuilder, Replayer, resolverIp, servingStateOf } from '../../src/replay/replayer.js';
import { whatifFromFiles } from '../../src/replay/whatif.js';
import { httpBackend, type Backend } from '../support/backends.js';
import { eventually } from '../support/eventually.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ZONE = `$TTL 300
@     IN SOA ns hostmaster 1 3600 600 86400 60
      IN NS  ns
ns    IN A   192.0.2.1
www2  IN CNAME www
`;

let dir: string;
let logFile: string;
let t: TestServer;
let recorderFile: RotatingFile;
const backends: Backend[] = [];

function lbYaml(up1: Backend, up2: Backend, down: Backend): string {
  return `
monitors:
  web: { type: http, path: /health, interval: 1, timeout: 0.5, retries: 0 }
pools:
  us:
    monitor: web
    origin_steering: { policy: hash }
    origins:
      - { name: us-1, address: ${up1.host}, port: ${up1.port} }
      - { name: us-2, address: ${up2.host}, port: ${up2.port} }
  eu:
    origin_steering: { policy: all }
    origins:
      - { name: eu-1, address: 192.0.2.10 }
      - { name: eu-2, address: 192.0.2.11 }
      - { name: eu-6, address: "2001:db8:e::10" }
  ap:
    monitor: web
    origins:
      - { name: ap-1, address: ${down.host}, port: ${down.port} }
  au:
    origin_steering: { policy: hash }
    origins:
      - { name: au-1, address: 198.51.100.20 }
      - { name: au-2, address: 198.51.100.21 }
load_balancers:
  www:
    steering_policy: geo
    default_pools: [us, eu]
    subnet_pools:
      "198.51.100.128/25": [au]
    country_pools:
      GB: [eu, us]
      JP: [ap, eu]
      AU: [au, us]
  api:
    steering_policy: off
    default_pools: [ap, us, eu]
  mix:
    steering_policy: random
    default_pools: [us, eu, au]
    random_steering: { pool_weights: { us: 2, eu: 1, au: 1 } }
`;
}

/** Clients: ECS subnets in the GeoIP fixture's countries, a subnet rule, an unknown network, none. */
const CLIENTS: readonly (string | null)[] = [
  '127.0.1.0/24', // GB
  '127.0.3.0/24', // JP: ap is down → eu
  '203.0.113.0/25', // AU
  '198.51.100.128/25', // subnet rule
  '198.51.100.0/24', // DE: default pools
  '2001:db8:1::/48', // FR
  '10.9.0.0/16', // not in the database
  null, // the resolver's own address (127.0.0.1: US)
];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fidelity-'));
  backends.push(await httpBackend('127.0.0.41'), await httpBackend('127.0.0.42'), await httpBackend('127.0.0.43'));
  await backends[2]!.setHealthy(false);
  fs.writeFileSync(path.join(dir, 'example.com.zone'), ZONE);
  fs.writeFileSync(path.join(dir, 'example.com.lb.yaml'), lbYaml(backends[0]!, backends[1]!, backends[2]!));
  const geoip = writeTestGeoDb(path.join(dir, 'geo'));
  logFile = path.join(dir, 'queries.jsonl');
  recorderFile = new RotatingFile(logFile, { maxBytes: 1 << 30, keep: 1 });
  t = await startTestServer({ zonesDir: dir, geoip, observer: new QueryRecorder(recorderFile) });
  // Wait until the monitor has found the broken backend: failover answers from us, not ap.
  await eventually('api to fail over from the down pool', async () => {
    const r = await t.udp({ name: 'api.example.com', type: 'A' });
    return r.answers.some((a) => a.data === backends[0]!.host || a.data === backends[1]!.host);
  });
});

afterAll(async () => {
  await t?.close();
  for (const b of backends) await b.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function sendTraffic(): Promise<void> {
  const names = ['www.example.com', 'www2.example.com', 'api.example.com', 'mix.example.com', 'nope.example.com', 'other.test'];
  const types = ['A', 'AAAA'];
  const sends: Promise<unknown>[] = [];
  for (let round = 0; round < 8; round++) {
    for (const name of names) {
      for (const type of types) {
        for (const client of CLIENTS) {
          const [ip, prefix] = client === null ? [null, 0] : client.split('/');
          const spec = { name, type, edns: ip === null ? undefined : { ecs: { ip: ip!, sourcePrefix: Number(prefix) } } };
          sends.push(round % 4 === 3 ? t.tcp(spec) : t.udp(spec));
        }
      }
    }
    await Promise.all(sends.splice(0));
  }
}

function readLog(fromByte: number): QueryRecord[] {
  return fs
    .readFileSync(logFile)
    .subarray(fromByte)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const parsed = parseRecord(l);
      if ('problem' in parsed) throw new Error(parsed.problem);
      return parsed.record;
    });
}

describe('replay fidelity', () => {
  it('replaying the recorded log through the same configuration gives back what the server answered', async () => {
    // Every target probed at least once; the replay uses the health the server answered with,
    // and the up/down state of every target must not move while the traffic is sent.
    const targets = [...t.server.state.current.origins.values()].flatMap((o) => o.lb?.probeTargets ?? []).map((p) => p.key);
    expect(targets.length).toBe(3);
    await eventually('every target probed', () => targets.every((k) => t.server.state.current.health.get(k)?.known));
    const health = t.server.state.current.health;
    const upState = (): string => targets.map((k) => t.server.state.current.health.isUp(k)).join();
    const before = upState();
    recorderFile.flush();
    const start = fs.statSync(logFile).size; // the waiting queries above are not part of the test
    await sendTraffic();
    expect(upState()).toBe(before);
    recorderFile.flush();
    const records = readLog(start);
    expect(records.length).toBe(8 * 6 * 2 * CLIENTS.length);

    const loaded = loadConfigDir(dir, new Map(), true);
    expect(loaded.errors).toEqual([]);
    // The database the server located clients with.
    const geo = t.server.state.current.geo;
    expect(geo).not.toBeNull();
    const replayer = new Replayer(servingStateOf(loaded.origins, health, geo));
    const queries = new QueryBuilder();

    let deterministic = 0;
    const mismatches: string[] = [];
    const random = { logged: new Map<string, number>(), replayed: new Map<string, number>() };
    records.forEach((r, i) => {
      const q = queries.build(r);
      if (typeof q === 'string') throw new Error(q);
      const d = replayer.replay(q, resolverIp(r), r.transport, i + 1);
      if (r.lb === 'mix.example.com') {
        random.logged.set(r.pool ?? '-', (random.logged.get(r.pool ?? '-') ?? 0) + 1);
        random.replayed.set(d.pool ?? '-', (random.replayed.get(d.pool ?? '-') ?? 0) + 1);
        return;
      }
      deterministic++;
      const got = [d.outcome === 'fallback' ? 'answer' : d.outcome, d.lb, d.pool, d.origins, d.scope].join(' ');
      const want = [r.kind, r.lb, r.pool, r.origins.join(','), r.scope].join(' ');
      if (got !== want) mismatches.push(`${r.qname} ${r.qtype} ${r.ecs ?? r.resolver}: server "${want}", replay "${got}"`);
    });
    expect(mismatches).toEqual([]);
    expect(deterministic).toBeGreaterThan(600);
    // Each kind of decision really happened in the log.
    const pools = new Set(records.map((r) => r.pool));
    for (const p of ['us', 'eu', 'au']) expect(pools).toContain(p);
    expect(records.some((r) => r.kind === 'refused')).toBe(true);
    expect(records.some((r) => r.scope > 0)).toBe(true);

    // Random steering: the same pool shares within a tolerance (weights 2:1:1 over 2 × 128 draws).
    const total = [...random.logged.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(8 * 2 * CLIENTS.length);
    for (const pool of ['us', 'eu', 'au']) {
      const logged = (random.logged.get(pool) ?? 0) / total;
      const replayed = (random.replayed.get(pool) ?? 0) / total;
      expect(Math.abs(logged - replayed), pool).toBeLessThan(0.2);
    }
  }, 30_000);

  it('whatif of the configuration against itself changes nothing', async () => {
    recorderFile.flush();
    const loaded = loadConfigDir(dir, new Map(), true);
    const state = t.server.state.current;
    const r = await whatifFromFiles(
      { current: loaded.origins, candidate: loaded.origins, health: state.health, geo: state.geo },
      [logFile],
      true,
    );
    expect(r.log.bad).toBe(0);
    expect(r.totals.changed).toBe(0);
    expect(r.loadBalancers.every((lb) => lb.moved === 0)).toBe(true);
  });
});
