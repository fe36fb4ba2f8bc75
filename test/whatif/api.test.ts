// The what-if endpoints on a real server: traffic is sent over UDP with ECS, kept by the
// server's recent-traffic ring, and replayed by POST /api/v1/whatif (candidate LB files in the
// body), GET /api/v1/scenarios and, after a reload, GET /api/v1/whatif/last-reload.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runRecord } from '../../src/cli/record.js';
import { parseRecord } from '../../src/replay/record.js';
import { parseCli } from '../../src/cli/args.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { MAX_WHATIF_BODY, WhatifApi } from '../../src/http/whatif-api.js';
import { RecentQueries } from '../../src/replay/recent-queries.js';
import { silentLogger } from '../../src/server/logger.js';
import { eventually } from '../support/eventually.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TOKEN = 'a-test-token-of-some-length';
const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const LB = `
pools:
  us: { origins: [ { name: us-1, address: 192.0.2.10 } ] }
  eu:
    capacity: 1
    origins: [ { name: eu-1, address: 192.0.2.20 } ]
load_balancers:
  www:
    steering_policy: geo
    default_pools: [us, eu]
    country_pools: { GB: [eu, us] }
`;

let dir: string;
let dns: TestServer;
let http: RunningHttpServer;
let open: RunningHttpServer;

const post = (server: RunningHttpServer, body: string, token: string | null = TOKEN) =>
  fetch(`${server.url}/api/v1/whatif`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-whatif-api-'));
  fs.writeFileSync(path.join(dir, 'example.com.zone'), ZONE);
  fs.writeFileSync(path.join(dir, 'example.com.lb.yaml'), LB);
  const recent = new RecentQueries({ sampleEvery: 1 });
  dns = await startTestServer({ zonesDir: dir, watch: false, geoip: writeTestGeoDb(path.join(dir, 'geo')), observer: recent });
  const whatif = new WhatifApi(dns.server.state, recent);
  http = await startHttpServer({ server: dns.server, listen: '127.0.0.1:0', token: TOKEN, logger: silentLogger(), metrics: null, whatif });
  open = await startHttpServer({ server: dns.server, listen: '127.0.0.1:0', token: null, logger: silentLogger(), metrics: null, whatif });
  for (let i = 0; i < 6; i++) {
    await dns.udp({ name: 'www.example.com', type: 'A', edns: { ecs: { ip: '127.0.1.0', sourcePrefix: 24 } } }); // GB → eu
    await dns.udp({ name: 'www.example.com', type: 'A', edns: { ecs: { ip: '127.0.3.0', sourcePrefix: 24 } } }); // JP → us
  }
});

afterAll(async () => {
  await http?.close();
  await open?.close();
  await dns?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('POST /api/v1/whatif', () => {
  it('replays recent traffic through candidate LB files, applying nothing', async () => {
    const candidate = LB.replace('country_pools: { GB: [eu, us] }', 'country_pools: { GB: [us, eu] }');
    const r = await post(http, JSON.stringify({ files: { 'example.com.lb.yaml': candidate } }));
    expect(r.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: a JSON document read field by field
    const doc: any = await r.json();
    expect(doc.applied).toBe(false);
    const www = doc.loadBalancers.find((l: { lb: string }) => l.lb === 'www.example.com');
    expect(www.pools.find((p: { key: string }) => p.key === 'eu')).toMatchObject({ before: 6, after: 0 });
    expect(doc.networks[0]).toMatchObject({ network: '127.0.1.0/24', country: 'GB', queries: 6 });
    // Still serving the files on disk.
    const live = await dns.udp({ name: 'www.example.com', type: 'A', edns: { ecs: { ip: '127.0.1.0', sourcePrefix: 24 } } });
    expect(live.answers.map((a) => a.data)).toEqual(['192.0.2.20']);
  });

  it('answers a candidate that does not validate with the same file:line errors as check, 422', async () => {
    const r = await post(http, JSON.stringify({ files: { 'example.com.lb.yaml': LB.replace('[eu, us] }', '[eu, usa] }') } }));
    expect(r.status).toBe(422);
    // biome-ignore lint/suspicious/noExplicitAny: a JSON document read field by field
    const doc: any = await r.json();
    expect(doc.errors[0]).toMatch(/^example\.com\.lb\.yaml:\d+: .*usa.*\[STEER_LB_REFERENCE\]$/);
    const unknown = await post(http, JSON.stringify({ files: { 'other.org.lb.yaml': LB } }));
    expect(unknown.status).toBe(422);
  });

  it('needs a token (even on loopback), a well-formed body, and refuses an oversized one', async () => {
    expect((await post(open, JSON.stringify({ files: { 'example.com.lb.yaml': LB } }), null)).status).toBe(403);
    expect((await post(http, JSON.stringify({ files: { 'example.com.lb.yaml': LB } }), null)).status).toBe(401);
    expect((await post(http, 'not json')).status).toBe(400);
    expect((await post(http, JSON.stringify({ files: { 'example.com.lb.yaml': 'x'.repeat(MAX_WHATIF_BODY) } }))).status).toBe(413);
  });
});

describe('GET /api/v1/queries/recent and steerdns record --from', () => {
  it('hands out the kept records as query record lines, which record saves', async () => {
    const r = await fetch(`${http.url}/api/v1/queries/recent?minutes=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    const lines = (await r.text()).split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(12);
    for (const l of lines) expect(parseRecord(l)).toHaveProperty('record');

    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      out += String(c);
      return true;
    });
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const options = parseCli(['record', '--from', http.url]).options;
      expect(await runRecord(options, { STEERDNS_HTTP_TOKEN: TOKEN })).toBe(0);
      expect(await runRecord(options, {})).toBe(1); // no token: 401
    } finally {
      write.mockRestore();
      quiet.mockRestore();
    }
    expect(out.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(lines.length);
  });
});

describe('GET /api/v1/scenarios and /api/v1/whatif/last-reload', () => {
  it('gives the failure matrix of recent traffic, flagging a pool pushed past its capacity', async () => {
    const r = await fetch(`${http.url}/api/v1/scenarios`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: a JSON document read field by field
    const doc: any = await r.json();
    const usDown = doc.scenarios.find((s: { name: string }) => s.name === 'pool example.com/us down');
    expect(usDown).toMatchObject({ displaced: 6, flagged: true, overCapacity: ['example.com/eu'] });
  });

  it('after a reload, shows what the new files changed for the traffic before it', async () => {
    const before = await (await fetch(`${open.url}/api/v1/whatif/last-reload`)).json();
    expect(before).toEqual({ reload: null });
    fs.writeFileSync(
      path.join(dir, 'example.com.lb.yaml'),
      LB.replace('country_pools: { GB: [eu, us] }', 'country_pools: { JP: [eu, us] }'),
    );
    await dns.server.reload(true);
    const doc = await eventually('the reload to be seen', async () => {
      const d = (await (await fetch(`${open.url}/api/v1/whatif/last-reload`)).json()) as {
        reload: unknown;
        totals: { changed: number };
        networks: { network: string }[];
      };
      return d.reload !== null ? d : null;
    });
    // Every logged query changes: GB loses its rule (eu → us), JP gains one (us → eu).
    expect(doc!.totals.changed).toBeGreaterThanOrEqual(12);
    expect(doc!.totals.changed).toBe((doc as unknown as { totals: { queries: number } }).totals.queries);
    expect(doc!.networks.map((n: { network: string }) => n.network).sort()).toEqual(['127.0.1.0/24', '127.0.3.0/24']);
  });
});
