// HTTPS records at a load-balanced name: the `https:` template answered with ipv4hint/ipv6hint
// equal to the A/AAAA answer the same client gets, following health; the additional section
// carries the owner's steered addresses (target ".").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetKey } from '../../src/health/types.js';
import { monitorId } from '../../src/lb/build.js';
import { healthWithDown } from '../support/lb-fixtures.js';
import { formatIp } from '../../src/net/ip.js';
import { decode } from '../support/dns-client.js';
import { ednsQuery } from '../support/edns-query.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ZONE = `$ORIGIN hints.test.
$TTL 300
@    SOA ns hostmaster 1 3600 600 86400 60
     NS  ns
ns   A   192.0.2.53
`;

const LB = `monitors:
  web: { type: tcp, port: 443 }
pools:
  primary:
    monitor: web
    origin_steering: { policy: all }
    origins:
      - { name: p4, address: 192.0.2.10 }
      - { name: p6, address: "2001:db8::10" }
  standby:
    monitor: web
    origin_steering: { policy: all }
    origins:
      - { name: s4, address: 198.51.100.20 }
load_balancers:
  www:
    ttl: 60
    default_pools: [primary, standby]
    https: { params: "alpn=h2,h3 port=443" }
`;

const key = (address: string): string => targetKey(monitorId('hints.test', 'web'), address, 443);

const HTTPS = 65;

interface HttpsData {
  priority: number;
  target: string;
  /** ipv4hint/ipv6hint as address lists, alpn as a list, port as a number; other keys as hex. */
  svcParams: Record<string, unknown>;
}

/** A small reader of HTTPS RDATA (dns-packet does not know the type). */
function readHttps(b: Buffer): HttpsData {
  let at = 2;
  const labels: string[] = [];
  while (b[at]! !== 0) {
    labels.push(b.subarray(at + 1, at + 1 + b[at]!).toString('latin1'));
    at += b[at]! + 1;
  }
  at++;
  const svcParams: Record<string, unknown> = {};
  while (at < b.length) {
    const key = b.readUInt16BE(at);
    const value = b.subarray(at + 4, at + 4 + b.readUInt16BE(at + 2));
    at += 4 + value.length;
    if (key === 1) {
      const ids: string[] = [];
      for (let i = 0; i < value.length; i += value[i]! + 1) ids.push(value.subarray(i + 1, i + 1 + value[i]!).toString('latin1'));
      svcParams.alpn = ids;
    } else if (key === 3) svcParams.port = value.readUInt16BE(0);
    else if (key === 4)
      svcParams.ipv4hint = Array.from({ length: value.length / 4 }, (_, i) => [...value.subarray(i * 4, i * 4 + 4)].join('.'));
    else if (key === 6)
      svcParams.ipv6hint = Array.from({ length: value.length / 16 }, (_, i) => formatIp(value.subarray(i * 16, i * 16 + 16)));
    else svcParams[`key${key}`] = value.toString('hex');
  }
  return { priority: b.readUInt16BE(0), target: labels.length === 0 ? '.' : labels.join('.'), svcParams };
}

describe('HTTPS hints steered by a load balancer', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-hints-'));
    writeFileSync(path.join(dir, 'hints.test.zone'), ZONE);
    writeFileSync(path.join(dir, 'hints.test.lb.yaml'), LB);
    server = await startTestServer({ zonesDir: dir, watch: false, probe: false, externalHealth: true, initialHealth: healthWithDown([]) });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function httpsOf(): Promise<{ data: HttpsData; ttl: number; additional: string[] }> {
    const r = decode(await server.udpRaw(ednsQuery('www.hints.test', HTTPS, [])));
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toHaveLength(1);
    const rr = r.answers[0]!;
    return {
      data: readHttps(rr.data as Buffer),
      ttl: rr.ttl,
      additional: r.additionals
        .filter((a) => a.type !== 'OPT')
        .map((a) => `${a.name} ${a.type} ${String(a.data)}`)
        .sort(),
    };
  }

  async function addresses(type: 'A' | 'AAAA'): Promise<string[]> {
    const r = await server.udp({ name: 'www.hints.test', type, rd: false });
    return r.answers.map((a) => String(a.data)).sort();
  }

  it('answers the template with the hints of the A and AAAA answers, at the LB TTL', async () => {
    const { data, ttl, additional } = await httpsOf();
    expect(data.priority).toBe(1);
    expect(data.target).toBe('.');
    expect(ttl).toBe(60);
    expect(await addresses('A')).toEqual(['192.0.2.10']);
    expect(await addresses('AAAA')).toEqual(['2001:db8::10']);
    expect(data.svcParams).toMatchObject({ alpn: ['h2', 'h3'], port: 443, ipv4hint: ['192.0.2.10'], ipv6hint: ['2001:db8::10'] });
    expect(additional).toEqual(['www.hints.test A 192.0.2.10', 'www.hints.test AAAA 2001:db8::10']);
  });

  it('follows health: with the primary down, the hints name the standby, like the A answer', async () => {
    server.server.setHealth(healthWithDown([key('192.0.2.10'), key('2001:db8::10')], 2));
    expect(await addresses('A')).toEqual(['198.51.100.20']);
    const { data } = await httpsOf();
    expect(data.svcParams).toMatchObject({ ipv4hint: ['198.51.100.20'] });
    expect(data.svcParams).not.toHaveProperty('ipv6hint');
    server.server.setHealth(healthWithDown([], 3));
    expect((await httpsOf()).data.svcParams).toMatchObject({ ipv4hint: ['192.0.2.10'] });
  });
});
