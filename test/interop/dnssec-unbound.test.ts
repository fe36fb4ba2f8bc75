// steerdns signing online behind a validating Unbound: the zone's DNSKEY is Unbound's trust
// anchor and a stub-zone points at steerdns, so every answer below is validated for real —
// static, steered by geo with ECS, wildcard, CNAME, NXDOMAIN and NODATA (compact denial), a
// delegation without DS (insecure, not bogus), over UDP and over TCP. A resolver anchored to
// another key must SERVFAIL (validation is really on), delv agrees ("fully validated"), and a
// failover is followed with fresh signatures and no SERVFAIL on the way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Algorithm } from '../../src/dnssec/algorithms.js';
import { httpBackend, type Backend } from '../support/backends.js';
import { writeTestKey, type TestKey } from '../support/dnssec-keys.js';
import { eventually } from '../support/eventually.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dig, type DigReply } from './dig.js';
import { requireTools } from './tools.js';
import { startUnbound, type UnboundResolver } from './unbound.js';

const tools = requireTools(['unbound', 'dig', 'delv'], 'DNSSEC validation interop');
const run = promisify(execFile);

const EU_ADDRESS = '127.0.0.51';
const US_ADDRESS = '127.0.0.52';
// Clients by the test GeoIP database: 127.0.0.0/24 US, 127.0.1.0/24 GB.
const US_CLIENT = '127.0.0.5';
const GB_CLIENT = '127.0.1.5';
const GB_CLIENT_FOR_FAILOVER = '127.0.1.9';

const ZONE = `$TTL 300
@        IN SOA ns1 hostmaster 1 3600 600 86400 60
         IN NS  ns1
ns1      IN A   127.0.0.1
static   IN A   192.0.2.1
         IN TXT "signed online"
alias    IN CNAME static
*.apps   IN A   192.0.2.80
child    IN NS  ns.child
ns.child IN A   127.0.0.1
`;
const CHILD_ZONE = `$TTL 300
@        IN SOA ns hostmaster 1 3600 600 86400 60
         IN NS  ns
ns       IN A   127.0.0.1
host     IN A   192.0.2.99
`;

function lbYaml(eu: Backend, us: Backend): string {
  return `
monitors:
  web: { type: http, path: /health, expected_body: ok, interval: 1, timeout: 0.5, retries: 0 }
pools:
  eu: { monitor: web, origins: [ { name: eu1, address: ${eu.host}, port: ${eu.port} } ] }
  us: { monitor: web, origins: [ { name: us1, address: ${us.host}, port: ${us.port} } ] }
load_balancers:
  www:
    steering_policy: geo
    ttl: 1
    default_pools: [us, eu]
    fallback_pool: us
    country_pools:
      GB: [eu, us]
      US: [us, eu]
`;
}

const addresses = (r: DigReply): string[] => r.answer.filter((rr) => rr.type === 'A').map((rr) => rr.rdata);

describe.skipIf(!tools)('online signing validated by Unbound and delv', () => {
  let dir: string;
  let steer: TestServer | undefined;
  let key: TestKey;
  let eu: Backend | undefined;
  let us: Backend | undefined;
  const resolvers: Record<'udp' | 'tcp' | 'wrongAnchor', UnboundResolver | undefined> = {
    udp: undefined,
    tcp: undefined,
    wrongAnchor: undefined,
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-dnssec-'));
    const zonesDir = path.join(dir, 'zones');
    const keysDir = path.join(dir, 'keys');
    fs.mkdirSync(zonesDir);
    eu = await httpBackend(EU_ADDRESS);
    us = await httpBackend(US_ADDRESS);
    fs.writeFileSync(path.join(zonesDir, 'example.com.zone'), ZONE);
    fs.writeFileSync(path.join(zonesDir, 'example.com.lb.yaml'), lbYaml(eu, us));
    fs.writeFileSync(path.join(zonesDir, 'child.example.com.zone'), CHILD_ZONE);
    key = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256);
    steer = await startTestServer({ zonesDir, keysDir, geoip: writeTestGeoDb(path.join(dir, 'geo')), watch: false });
    const server = steer.server;
    await eventually('the first probe round', () => server.isReady(), { timeoutMs: 10_000 });
    const stubs = [
      { name: 'example.com.', host: steer.host, port: steer.port },
      { name: 'child.example.com.', host: steer.host, port: steer.port },
    ];
    const other = writeTestKey(path.join(dir, 'unused-keys'), 'example.com', Algorithm.ECDSAP256SHA256);
    [resolvers.udp, resolvers.tcp, resolvers.wrongAnchor] = await Promise.all([
      startUnbound({ unbound: tools!.unbound, dig: tools!.dig, stubs, trustAnchors: [key.anchor] }),
      startUnbound({ unbound: tools!.unbound, dig: tools!.dig, stubs, trustAnchors: [key.anchor], tcpUpstream: true }),
      // Nothing it asks validates: it is ready when it answers SERVFAIL.
      startUnbound({ unbound: tools!.unbound, dig: tools!.dig, stubs, trustAnchors: [other.anchor], readyStatus: 'SERVFAIL' }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(resolvers).map((r) => r?.stop()));
    await steer?.close();
    await eu?.close();
    await us?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const via = (which: 'udp' | 'tcp', client: string, ...args: string[]): Promise<DigReply> =>
    dig(tools!.dig, resolvers[which]!.host, resolvers[which]!.port, ['-b', client, '+dnssec', ...args]);

  describe.each(['udp', 'tcp'] as const)('steerdns asked over %s', (transport) => {
    it('static, wildcard and CNAME answers validate (ad)', async () => {
      const stat = await via(transport, US_CLIENT, 'static.example.com', 'A');
      expect([stat.status, stat.flags.has('ad'), addresses(stat)]).toEqual(['NOERROR', true, ['192.0.2.1']]);
      const wild = await via(transport, US_CLIENT, 'anything.apps.example.com', 'A');
      expect([wild.status, wild.flags.has('ad'), addresses(wild)]).toEqual(['NOERROR', true, ['192.0.2.80']]);
      const alias = await via(transport, US_CLIENT, 'alias.example.com', 'A');
      expect([alias.status, alias.flags.has('ad'), addresses(alias)]).toEqual(['NOERROR', true, ['192.0.2.1']]);
      expect(alias.answer.map((rr) => rr.type)).toContain('CNAME');
    });

    it('steered answers (geo by the ECS Unbound sends) validate for each client', async () => {
      const gb = await via(transport, GB_CLIENT, 'www.example.com', 'A');
      const usReply = await via(transport, US_CLIENT, 'www.example.com', 'A');
      expect([gb.status, gb.flags.has('ad'), addresses(gb)]).toEqual(['NOERROR', true, [EU_ADDRESS]]);
      expect([usReply.status, usReply.flags.has('ad'), addresses(usReply)]).toEqual(['NOERROR', true, [US_ADDRESS]]);
    });

    it('compact denial validates: a missing name, a missing type, a wildcard without the type', async () => {
      const missing = await via(transport, US_CLIENT, `nope-${transport}.example.com`, 'A');
      // RFC 9824: NOERROR with an NXNAME NSEC (a resolver that knows NXNAME may say NXDOMAIN).
      expect(['NOERROR', 'NXDOMAIN']).toContain(missing.status);
      expect([missing.flags.has('ad'), missing.answer.length]).toEqual([true, 0]);
      const nodata = await via(transport, US_CLIENT, 'static.example.com', 'MX');
      expect([nodata.status, nodata.flags.has('ad'), nodata.answer.length]).toEqual(['NOERROR', true, 0]);
      const wildNodata = await via(transport, US_CLIENT, 'x.apps.example.com', 'TXT');
      expect([wildNodata.status, wildNodata.flags.has('ad'), wildNodata.answer.length]).toEqual(['NOERROR', true, 0]);
    });

    it('a delegation without DS is proved insecure: the DS NODATA validates, the child answers unsigned', async () => {
      const ds = await via(transport, US_CLIENT, 'child.example.com', 'DS');
      expect([ds.status, ds.flags.has('ad'), ds.answer.length]).toEqual(['NOERROR', true, 0]);
      const child = await via(transport, US_CLIENT, 'host.child.example.com', 'A');
      expect([child.status, child.flags.has('ad'), addresses(child)]).toEqual(['NOERROR', false, ['192.0.2.99']]);
    });
  });

  it('a resolver anchored to another key gets SERVFAIL (validation is really on)', async () => {
    const wrong = resolvers.wrongAnchor;
    expect(wrong).toBeDefined();
    const r = await dig(tools!.dig, wrong!.host, wrong!.port, ['static.example.com', 'A']);
    expect(r.status).toBe('SERVFAIL');
  });

  it('delv with the key as trust anchor says "fully validated"', async () => {
    const anchorFile = path.join(dir, 'anchor.conf');
    const [owner, , flags, protocol, alg, b64] = key.anchor.split(' ');
    fs.writeFileSync(anchorFile, `trust-anchors { ${owner} static-key ${flags} ${protocol} ${alg} "${b64}"; };\n`);
    for (const [name, type] of [
      ['static.example.com', 'A'],
      ['www.example.com', 'A'],
      ['nope.example.com', 'A'],
      ['example.com', 'DNSKEY'],
    ] as const) {
      const { stdout, stderr } = await run(tools!.delv, [
        `@${steer!.host}`,
        '-p',
        String(steer!.port),
        '-a',
        anchorFile,
        '+root=example.com',
        name,
        type,
      ]);
      expect(`${stdout}${stderr}`, `${name} ${type}`).toMatch(/; (negative response, )?fully validated/);
    }
  });

  it('a failover while validating: the resolver follows the freshly signed answer, never SERVFAIL', async () => {
    const first = await via('udp', GB_CLIENT_FOR_FAILOVER, 'www.example.com', 'A');
    expect([first.flags.has('ad'), addresses(first)]).toEqual([true, [EU_ADDRESS]]);
    await eu!.close();
    eu = undefined;
    const seen: string[] = [];
    await eventually(
      'the GB client to be sent to the US pool, validated',
      async () => {
        const r = await via('udp', GB_CLIENT_FOR_FAILOVER, 'www.example.com', 'A');
        seen.push(`${r.status} ${r.flags.has('ad') ? 'ad' : '-'} ${addresses(r).join(',')}`);
        return r.status === 'NOERROR' && r.flags.has('ad') && addresses(r)[0] === US_ADDRESS;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    // Every reply on the way was a validated answer: the old address, then the new one.
    expect(seen.filter((s) => !/^NOERROR ad 127\.0\.0\.5[12]$/.test(s))).toEqual([]);
  });
});
