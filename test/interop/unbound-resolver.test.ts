// steerdns behind a real recursive resolver, the way it runs once a zone is delegated to it:
// Unbound on loopback with a stub-zone pointing at steerdns and EDNS Client Subnet switched on.
// dig asks Unbound from different loopback source addresses (-b), so the client's own address
// is what Unbound sends as ECS and what steerdns steers by; a backend is stopped and the failover
// is polled for at the client, through Unbound's cache, with a deadline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryObserver } from '../../src/query/observer.js';
import type { ClientSubnet } from '../../src/wire/types.js';
import { httpBackend, type Backend } from '../support/backends.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dig, type DigReply } from './dig.js';
import { requireTools } from './tools.js';
import { startUnbound, type UnboundResolver } from './unbound.js';
import { eventually } from '../support/eventually.js';

const tools = requireTools(['unbound', 'dig'], 'unbound resolver interop');

const ZONE = 'example.com.';
const LB_TTL = 2;
// Origins: the two monitored pools are real HTTP backends; the third pool has no monitor.
const EU_ADDRESS = '127.0.0.41';
const US_ADDRESS = '127.0.0.42';
const AP_ADDRESS = '127.0.0.43';

// Clients by the test GeoIP database (test/support/geo-fixture.ts): 127.0.0.0/24 US,
// 127.0.1.0/24 GB, 127.0.3.0/24 JP.
const US_CLIENT = '127.0.0.5';
const GB_CLIENT = '127.0.1.5';
const GB_CLIENT_FOR_FAILOVER = '127.0.1.7';

const zoneText = `$TTL 300
@     IN SOA ns1 hostmaster 1 3600 600 86400 60
      IN NS  ns1
ns1   IN A   127.0.0.1
`;

function lbYaml(eu: Backend, us: Backend): string {
  return `
monitors:
  web:
    type: http
    path: /health
    expected_body: ok
    interval: 1
    timeout: 0.5
    retries: 0
pools:
  eu:
    monitor: web
    origins: [ { name: eu1, address: ${eu.host}, port: ${eu.port} } ]
  us:
    monitor: web
    origins: [ { name: us1, address: ${us.host}, port: ${us.port} } ]
  ap:
    origins: [ { name: ap1, address: ${AP_ADDRESS} } ]
load_balancers:
  www:
    steering_policy: geo
    ttl: ${LB_TTL}
    default_pools: [us, eu]
    fallback_pool: us
    country_pools:
      GB: [eu, us]
      US: [us, eu]
      JP: [ap, us]
`;
}

/** What steerdns saw of one query: enough to tell a resolver's query from a client's. */
interface SeenQuery {
  readonly qname: string;
  readonly qtype: number;
  readonly rd: boolean;
  readonly ecs: string | null;
}

function ecsText(ecs: ClientSubnet): string {
  const bytes = [...ecs.address];
  const width = ecs.family === 1 ? 4 : 16;
  while (bytes.length < width) bytes.push(0);
  const address = ecs.family === 1 ? bytes.join('.') : Buffer.from(bytes).toString('hex');
  return `${address}/${ecs.sourcePrefix}`;
}

function recordingObserver(seen: SeenQuery[]): QueryObserver {
  return {
    observe: ({ query }) => {
      if (query === null) return;
      const ecs = query.edns?.ecs;
      seen.push({ qname: query.qname, qtype: query.qtype, rd: query.rd, ecs: ecs ? ecsText(ecs) : null });
    },
  };
}

const addresses = (r: DigReply): string[] => r.answer.filter((rr) => rr.type === 'A').map((rr) => rr.rdata);

describe.skipIf(!tools)('steerdns behind Unbound (stub-zone, ECS)', () => {
  let dir: string;
  let steer: TestServer | undefined;
  let resolver: UnboundResolver | undefined;
  let eu: Backend | undefined;
  let us: Backend | undefined;
  const seen: SeenQuery[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-unbound-test-'));
    const zonesDir = path.join(dir, 'zones');
    fs.mkdirSync(zonesDir);
    eu = await httpBackend(EU_ADDRESS);
    us = await httpBackend(US_ADDRESS);
    fs.writeFileSync(path.join(zonesDir, 'example.com.zone'), zoneText);
    fs.writeFileSync(path.join(zonesDir, 'example.com.lb.yaml'), lbYaml(eu, us));
    steer = await startTestServer({
      zonesDir,
      geoip: writeTestGeoDb(path.join(dir, 'geo')),
      watch: false,
      observer: recordingObserver(seen),
    });
    const server = steer.server;
    await eventually('the first probe round', () => server.isReady(), { timeoutMs: 10_000 });
    resolver = await startUnbound({
      unbound: tools!.unbound,
      dig: tools!.dig,
      stubs: [{ name: ZONE, host: steer.host, port: steer.port }],
    });
  });

  afterAll(async () => {
    await resolver?.stop();
    await steer?.close();
    await eu?.close();
    await us?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** dig through Unbound from a chosen loopback source address. */
  const viaResolver = (client: string, ...args: string[]): Promise<DigReply> =>
    dig(tools!.dig, resolver!.host, resolver!.port, ['-b', client, ...args]);
  /** dig straight at steerdns, as a resolver would ask it. */
  const direct = (...args: string[]): Promise<DigReply> => dig(tools!.dig, steer!.host, steer!.port, ['+norecurse', ...args]);

  it('answers through the stub-zone: a recursive reply (ra, no aa) from a non-recursive query to steerdns', async () => {
    const before = seen.length;
    const r = await viaResolver(US_CLIENT, 'example.com', 'NS');
    expect(r.status).toBe('NOERROR');
    expect(r.flags.has('ra')).toBe(true);
    expect(r.flags.has('aa')).toBe(false);
    expect(r.answer.map((rr) => `${rr.owner} ${rr.type} ${rr.rdata}`)).toEqual(['example.com. NS ns1.example.com.']);
    // What reached steerdns is the resolver's iterative query (RD clear), not dig's.
    const asked = seen.slice(before).filter((q) => q.qname === 'example.com' && q.qtype === 2);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((q) => !q.rd)).toBe(true);
  });

  it("steers by the client's own address: Unbound sends it as ECS /24 and steerdns answers per country", async () => {
    const before = seen.length;
    const gb = await viaResolver(GB_CLIENT, 'www.example.com', 'A');
    const usReply = await viaResolver(US_CLIENT, 'www.example.com', 'A');
    expect(gb.status).toBe('NOERROR');
    expect(addresses(gb)).toEqual([EU_ADDRESS]);
    expect(addresses(usReply)).toEqual([US_ADDRESS]);
    for (const r of [gb, usReply]) {
      expect(r.flags.has('aa')).toBe(false);
      expect(r.answer[0]!.ttl).toBeLessThanOrEqual(LB_TTL);
    }
    // steerdns saw each client's /24 (Unbound's max-client-subnet-ipv4), never the full address.
    const ecsSeen = seen
      .slice(before)
      .filter((q) => q.qname === 'www.example.com' && q.qtype === 1)
      .map((q) => q.ecs);
    expect(ecsSeen).toContain('127.0.1.0/24');
    expect(ecsSeen).toContain('127.0.0.0/24');
    expect(ecsSeen.every((e) => e === '127.0.1.0/24' || e === '127.0.0.0/24')).toBe(true);
  });

  it("passes a client's own ECS option on (client-subnet-always-forward) and steers by it", async () => {
    const before = seen.length;
    const r = await viaResolver(GB_CLIENT, 'www.example.com', 'A', '+subnet=127.0.3.0/24');
    expect(r.status).toBe('NOERROR');
    expect(addresses(r)).toEqual([AP_ADDRESS]); // JP, not the GB of the client's own address
    expect(r.opt?.clientSubnet).toBe('127.0.3.0/24/24');
    expect(seen.slice(before).some((q) => q.qname === 'www.example.com' && q.ecs === '127.0.3.0/24')).toBe(true);
  });

  it('refuses names outside the stub zones locally (the test resolver never leaves loopback)', async () => {
    const before = seen.length;
    const r = await viaResolver(US_CLIENT, 'example.org', 'A');
    expect(r.status).toBe('REFUSED');
    expect(seen.length).toBe(before);
  });

  it('a failover reaches the client through the cache once the TTL has run out', async () => {
    const first = await viaResolver(GB_CLIENT_FOR_FAILOVER, 'www.example.com', 'A');
    expect(addresses(first)).toEqual([EU_ADDRESS]);

    await eu!.close(); // the GB pool's only origin goes away: connection refused
    const stoppedAt = Date.now();
    // steerdns notices within a probe interval (1 s) …
    await eventually(
      'steerdns to answer a GB subnet from the us pool',
      async () => addresses(await direct('www.example.com', 'A', '+subnet=127.0.1.0/24'))[0] === US_ADDRESS,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const serverSwitchedAt = Date.now();
    // … and the client behind Unbound gets the new answer at the latest when the cached one expires.
    const during: string[] = [];
    await eventually(
      'the GB client behind Unbound to get the us origin',
      async () => {
        const r = await viaResolver(GB_CLIENT_FOR_FAILOVER, 'www.example.com', 'A');
        expect(r.status).toBe('NOERROR'); // never a SERVFAIL on the way
        const got = addresses(r);
        during.push(got.join(','));
        return got[0] === US_ADDRESS;
      },
      { timeoutMs: (LB_TTL + 5) * 1000, intervalMs: 50 },
    );
    const clientSwitchedAt = Date.now();
    expect(serverSwitchedAt - stoppedAt).toBeLessThan(5_000);
    // TTL 2 s plus generous scheduling slack; without the TTL bound this would be Unbound's max.
    expect(clientSwitchedAt - serverSwitchedAt).toBeLessThanOrEqual(LB_TTL * 1000 + 1500);
    // Before the switch the client only ever saw the old answer, then the new one.
    expect(during.every((a) => a === EU_ADDRESS || a === US_ADDRESS)).toBe(true);
    // The US client's answer did not move.
    expect(addresses(await viaResolver(US_CLIENT, 'www.example.com', 'A'))).toEqual([US_ADDRESS]);
  });
});
