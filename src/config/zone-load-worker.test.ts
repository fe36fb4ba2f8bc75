// Big zones reloaded off the main thread (config-loader prepareReload + zone-load-worker). The
// worker thread runs compiled JavaScript, so these tests use the modules of the run's one build
// (test/global-setup.ts).
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distDir } from '../../test/support/build.js';
import type * as ConfigLoader from './config-loader.js';
import type * as Server from '../server/server.js';
import type * as Logger from '../server/logger.js';
import { formatRR } from '../../test/support/zone-format.js';
import type { Zone } from '../zone/types.js';

type Dist = { cl: typeof ConfigLoader; server: typeof Server; logger: typeof Logger };
let dist: Dist;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-offthread-'));

beforeAll(async () => {
  const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(distDir(), file)).href)) as T;
  dist = {
    cl: await load('config/config-loader.js'),
    server: await load('server/server.js'),
    logger: await load('server/logger.js'),
  };
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const ZONE = (serial: number, extra = ''): string => `$TTL 3600
@        SOA ns1 host ${serial} 1 2 3 300
         NS ns1
         MX 10 mail
ns1      A 192.0.2.53
         AAAA 2001:db8::53
mail     A 192.0.2.25
alias    CNAME ns1
*.w      TXT "wild"
srv._tcp SRV 1 2 443 ns1
caa      CAA 0 issue "ca.example"
sub      NS ns.sub
ns.sub   A 192.0.2.9
www      TXT "beside the load balancer"
${extra}`;

const LB = `pools:
  main:
    origins:
      - { name: a, address: 192.0.2.10 }
      - { name: b, address: "2001:db8::10" }
load_balancers:
  www:
    default_pools: [main]
  api:
    steering_policy: random
    default_pools: [main]
`;

let dirs = 0;
function zonesDir(files: Record<string, string>): string {
  const dir = path.join(root, `z${dirs++}`);
  fs.mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function dump(zone: Zone): string[] {
  const out = [`serial ${zone.serial} records ${zone.recordCount} cuts ${[...zone.cuts].join(',')}`];
  for (const [name, node] of zone.nodes) {
    out.push(`${name} lb=${node.dynamic?.lb ?? '-'}`);
    for (const rrset of node.rrsets.values()) for (const rr of rrset) out.push(formatRR(rr));
  }
  return out.sort();
}

describe('prepareReload', () => {
  it('loads a zone and its LB file on a worker thread; loadConfigDir serves exactly what the main thread would have loaded', async () => {
    const dir = zonesDir({ 'example.com.zone': ZONE(1), 'example.com.lb.yaml': LB });
    const summary = await dist.cl.prepareReload(dir, true, { minBytes: 0 });
    expect(summary).toEqual({ prepared: [path.join(dir, 'example.com.zone')], fallbacks: [] });
    const outcome = dist.cl.loadConfigDir(dir, new Map(), false);
    expect(outcome.errors).toEqual([]);
    const prepared = outcome.origins.get('example.com')!;
    const direct = dist.cl.loadOrigin('example.com', path.join(dir, 'example.com.zone'), path.join(dir, 'example.com.lb.yaml'), dir);
    if ('errors' in direct) throw new Error('direct load failed');
    expect(dump(prepared.zone)).toEqual(dump(direct.config.zone));
    expect([...prepared.lb!.bindings.keys()].sort()).toEqual([...direct.config.lb!.bindings.keys()].sort());
    // The zone's load-balanced nodes point at this thread's LB config, not at copies.
    expect(prepared.zone.nodes.get('www.example.com')!.dynamic).toBe(prepared.lb!.bindings.get('www.example.com'));
  });

  it('is what loadConfigDir serves while the files keep the stamp they had (it does not read them again)', async () => {
    const file = 'example.com.zone';
    const dir = zonesDir({ [file]: ZONE(5) });
    const zoneFile = path.join(dir, file);
    const when = 1_700_000_000; // whole seconds: an mtime that survives being set again exactly
    fs.utimesSync(zoneFile, when, when);
    await dist.cl.prepareReload(dir, true, { minBytes: 0 });
    // Same size and mtime, different serial: only a fresh parse would see serial 6.
    fs.writeFileSync(zoneFile, ZONE(6));
    fs.utimesSync(zoneFile, when, when);
    expect(dist.cl.loadConfigDir(dir, new Map(), true).origins.get('example.com')!.zone.serial).toBe(5);
    // Taken once: the next load parses the file.
    expect(dist.cl.loadConfigDir(dir, new Map(), true).origins.get('example.com')!.zone.serial).toBe(6);
  });

  it('is ignored when the file changed after it was prepared', async () => {
    const dir = zonesDir({ 'example.com.zone': ZONE(1) });
    await dist.cl.prepareReload(dir, true, { minBytes: 0 });
    fs.writeFileSync(path.join(dir, 'example.com.zone'), ZONE(2, 'more A 192.0.2.77\n'));
    const outcome = dist.cl.loadConfigDir(dir, new Map(), true);
    expect(outcome.origins.get('example.com')!.zone.serial).toBe(2);
    expect(outcome.origins.get('example.com')!.zone.nodes.has('more.example.com')).toBe(true);
  });

  it('reports a broken file with the same file:line errors as the main thread, and the previous version keeps serving', async () => {
    const dir = zonesDir({ 'example.com.zone': ZONE(1) });
    const first = dist.cl.loadConfigDir(dir, new Map(), true);
    fs.writeFileSync(path.join(dir, 'example.com.zone'), ZONE(2, 'bad A 300.1.2.3\nalias A 192.0.2.1\n'));
    const direct = dist.cl.loadConfigDir(dir, first.origins, true);
    expect((await dist.cl.prepareReload(dir, true, { minBytes: 0 })).prepared).toHaveLength(1);
    const viaWorker = dist.cl.loadConfigDir(dir, first.origins, true);
    const describe = (o: ConfigLoader.LoadOutcome) => o.errors.map((e) => e.describe());
    expect(describe(viaWorker)).toEqual(describe(direct));
    expect(describe(viaWorker)[0]).toMatch(/example\.com\.zone:15: .*300\.1\.2\.3.*\[STEER_ZONE_BAD_RDATA\]/);
    expect(viaWorker.kept).toEqual(['example.com']);
    expect(viaWorker.origins.get('example.com')!.zone.serial).toBe(1);
  });

  it('leaves small files, and unchanged ones unless forced, to loadConfigDir', async () => {
    const dir = zonesDir({ 'example.com.zone': ZONE(1) });
    expect((await dist.cl.prepareReload(dir, true)).prepared).toEqual([]); // under OFF_THREAD_BYTES
    dist.cl.loadConfigDir(dir, new Map(), true);
    expect((await dist.cl.prepareReload(dir, false, { minBytes: 0 })).prepared).toEqual([]);
    expect((await dist.cl.prepareReload(dir, true, { minBytes: 0 })).prepared).toHaveLength(1);
    dist.cl.discardPrepared(dir);
  });
});

describe('reloading a big zone in a running server', () => {
  it('keeps answering queries while the new zone loads, then serves it', async () => {
    // Just over OFF_THREAD_BYTES, so the server's own reload takes the worker path.
    let records = '';
    for (let i = 0; records.length < dist.cl.OFF_THREAD_BYTES; i++)
      records += `h${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n`;
    const dir = zonesDir({ 'big.test.zone': `$TTL 60\n@ SOA ns1 host 1 1 2 3 4\n  NS ns1\nns1 A 192.0.2.1\n${records}` });
    const server = await dist.server.startServer({
      zonesDir: dir,
      listen: ['127.0.0.1:0'],
      geoip: null,
      logger: dist.logger.silentLogger(),
      watch: false,
      probe: false,
    });
    const socket = dgram.createSocket('udp4');
    try {
      const { port } = server.endpoints[0]!;
      const answeredAt: number[] = [];
      socket.on('message', () => answeredAt.push(Date.now()));
      const query = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'h1.big.test' }] });
      const ticker = setInterval(() => socket.send(query, port, '127.0.0.1'), 5);
      fs.writeFileSync(
        path.join(dir, 'big.test.zone'),
        fs.readFileSync(path.join(dir, 'big.test.zone'), 'utf8').replace('host 1 ', 'host 2 '),
      );
      const start = Date.now();
      const outcome = await server.reload(true);
      const end = Date.now();
      clearInterval(ticker);
      expect(outcome.errors).toEqual([]);
      expect(server.state.current.origins.get('big.test')!.zone.serial).toBe(2);
      // A reload parsed on the main thread answers nothing until it is done.
      expect(answeredAt.filter((t) => t > start && t < end).length).toBeGreaterThan(5);
    } finally {
      socket.close();
      await server.close();
    }
  }, 60_000);
});
