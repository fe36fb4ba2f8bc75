// /metrics after real queries: the real server on loopback port 0, queried over UDP and TCP,
// scraped over HTTP and parsed as Prometheus text. Health changes are awaited with deadline
// polls on the scraped values.
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatedBackend, has, startHarness, metricValue, type GatedBackend, type Harness, type Sample } from './harness.js';
import { eventually } from '../support/eventually.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 7 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
static IN A 192.0.2.9
big IN TXT "${'a'.repeat(200)}"
big IN TXT "${'b'.repeat(200)}"
big IN TXT "${'c'.repeat(200)}"
`;

function lbYaml(a: GatedBackend, b: GatedBackend): string {
  return `
monitors:
  web:
    type: http
    path: /health
    interval: 1
    timeout: 0.5
    retries: 0
pools:
  primary:
    monitor: web
    origin_steering: { policy: all }
    origins:
      - { name: a, address: ${a.host}, port: ${a.port} }
      - { name: b, address: ${b.host}, port: ${b.port} }
  backup:
    origins:
      - { name: c, address: 192.0.2.30 }
load_balancers:
  www:
    default_pools: [primary, backup]
    ttl: 20
`;
}

let h: Harness;
let a: GatedBackend;
let b: GatedBackend;
const Z = 'm.test';
const target = (x: GatedBackend): string => `${Z}/web@${x.host}:${x.port}`;

beforeAll(async () => {
  a = await gatedBackend('127.0.0.2');
  b = await gatedBackend('127.0.0.3');
  h = await startHarness({ zones: { 'm.test.zone': ZONE, 'm.test.lb.yaml': lbYaml(a, b) } });
  await h.dns.server.prober.ready;
});

afterAll(async () => {
  await h?.close();
  await a?.close();
  await b?.close();
});

/** Scrape until `check` holds (the probe loop runs on its own clock). */
async function scrapeUntil(what: string, check: (s: Sample[]) => boolean): Promise<Sample[]> {
  const found = await eventually(
    what,
    async () => {
      const s = await h.scrape();
      return check(s) ? s : null;
    },
    { timeoutMs: 8000 },
  );
  return found!;
}

describe('/metrics', () => {
  it('counts queries by zone, qtype, rcode and transport, and times each one', async () => {
    const before = await h.scrape();
    const q = (labels: Record<string, string>) => (s: Sample[]) =>
      metricValue(s, 'steerdns_queries_total', labels) - metricValue(before, 'steerdns_queries_total', labels);
    const udpTimed = metricValue(before, 'steerdns_query_duration_seconds_count', { transport: 'udp' });
    const tcpTimed = metricValue(before, 'steerdns_query_duration_seconds_count', { transport: 'tcp' });

    for (let i = 0; i < 3; i++) expect((await h.dns.udp({ name: 'static.m.test', type: 'A' })).rcode).toBe('NOERROR');
    for (let i = 0; i < 2; i++) expect((await h.dns.tcp({ name: 'static.m.test', type: 'A' })).rcode).toBe('NOERROR');
    expect((await h.dns.udp({ name: 'nope.m.test', type: 'AAAA' })).rcode).toBe('NXDOMAIN');
    expect((await h.dns.udp({ name: 'elsewhere.example', type: 'A' })).rcode).toBe('REFUSED');
    expect((await h.dns.udp({ name: 'static.m.test', type: 'TYPE65000' })).rcode).toBe('NOERROR');

    const after = await h.scrape();
    expect(q({ zone: Z, qtype: 'A', rcode: 'NOERROR', transport: 'udp' })(after)).toBe(3);
    expect(q({ zone: Z, qtype: 'A', rcode: 'NOERROR', transport: 'tcp' })(after)).toBe(2);
    expect(q({ zone: Z, qtype: 'AAAA', rcode: 'NXDOMAIN', transport: 'udp' })(after)).toBe(1);
    expect(q({ zone: '-', qtype: 'A', rcode: 'REFUSED', transport: 'udp' })(after)).toBe(1);
    // Unknown qtypes share one label value: clients cannot create series at will.
    expect(q({ zone: Z, qtype: 'other', transport: 'udp' })(after)).toBe(1);
    expect(has(after, 'steerdns_queries_total', { qtype: 'TYPE65000' })).toBe(false);
    // Every query is timed (the harness times 1 in 1).
    expect(metricValue(after, 'steerdns_query_duration_seconds_count', { transport: 'udp' }) - udpTimed).toBe(6);
    expect(metricValue(after, 'steerdns_query_duration_seconds_count', { transport: 'tcp' }) - tcpTimed).toBe(2);
    expect(metricValue(after, 'steerdns_query_duration_seconds_sum', { transport: 'udp' })).toBeGreaterThan(0);
  });

  it('counts truncated replies, ECS queries and dropped messages', async () => {
    const before = await h.scrape();
    const plain = await h.dns.udp({ name: 'big.m.test', type: 'TXT' });
    expect(plain.flag_tc).toBe(true);
    const overTcp = await h.dns.tcp({ name: 'big.m.test', type: 'TXT' });
    expect(overTcp.flag_tc).toBe(false);
    await h.dns.udp({ name: 'static.m.test', type: 'A', edns: { ecs: { ip: '198.51.100.0', sourcePrefix: 24 } } });
    await h.dns.udp({ name: 'static.m.test', type: 'A', edns: { ecs: { ip: '2001:db8::', sourcePrefix: 48 } } });
    await h.dns.udp({ name: 'static.m.test', type: 'A', edns: {} });

    // A 5-byte datagram is dropped unanswered: nothing to wait for but the counter.
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.send(Buffer.from([1, 2, 3, 4, 5]), h.dns.port, h.dns.host, () => resolve()));
    socket.close();

    const after = await scrapeUntil(
      'the dropped message to be counted',
      (s) =>
        metricValue(s, 'steerdns_queries_dropped_total', { reason: 'short', transport: 'udp' }) >
        metricValue(before, 'steerdns_queries_dropped_total', { reason: 'short', transport: 'udp' }),
    );
    const delta = (name: string, labels: Record<string, string>): number =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('steerdns_truncated_total', { transport: 'udp' })).toBe(1);
    expect(delta('steerdns_truncated_total', { transport: 'tcp' })).toBe(0);
    expect(delta('steerdns_ecs_queries_total', { family: 'ipv4' })).toBe(1);
    expect(delta('steerdns_ecs_queries_total', { family: 'ipv6' })).toBe(1);
    expect(delta('steerdns_queries_dropped_total', { reason: 'short', transport: 'udp' })).toBe(1);
  });

  it('counts answers per load balancer, pool and origin, following health', async () => {
    await scrapeUntil('both origins up', (s) => metricValue(s, 'steerdns_origin_up', { zone: Z, pool: 'primary' }) === 2);
    const before = await h.scrape();
    const lbLabels = { zone: Z, lb: 'www.m.test' };
    const delta = (after: Sample[], name: string, labels: Record<string, string>): number =>
      metricValue(after, name, labels) - metricValue(before, name, labels);

    for (let i = 0; i < 4; i++) {
      const r = await h.dns.udp({ name: 'www.m.test', type: 'A' });
      expect(r.answers.map((x) => x.data).sort()).toEqual([a.host, b.host]);
    }
    await h.dns.udp({ name: 'static.m.test', type: 'A' }); // not load balanced: counted nowhere below
    let after = await h.scrape();
    expect(delta(after, 'steerdns_lb_answers_total', { ...lbLabels, pool: 'primary' })).toBe(4);
    expect(delta(after, 'steerdns_lb_answers_total', { ...lbLabels, pool: 'backup' })).toBe(0);
    expect(delta(after, 'steerdns_lb_origin_answers_total', { ...lbLabels, pool: 'primary', origin: 'a' })).toBe(4);
    expect(delta(after, 'steerdns_lb_origin_answers_total', { ...lbLabels, pool: 'primary', origin: 'b' })).toBe(4);

    // a fails its monitor: steering drops it, and so do the per-origin counts.
    a.setHealthy(false);
    try {
      await scrapeUntil(
        'origin a down',
        (s) =>
          metricValue(s, 'steerdns_origin_up', { zone: Z, pool: 'primary', origin: 'a' }) === 0 &&
          has(s, 'steerdns_origin_up', { origin: 'a' }),
      );
      const mid = await h.scrape();
      expect(metricValue(mid, 'steerdns_target_up', { target: target(a) })).toBe(0);
      expect(metricValue(mid, 'steerdns_pool_healthy', { zone: Z, pool: 'primary' })).toBe(1); // minimum_origins 1: b carries it
      for (let i = 0; i < 3; i++) {
        const r = await h.dns.udp({ name: 'www.m.test', type: 'A' });
        expect(r.answers.map((x) => x.data)).toEqual([b.host]);
      }
      after = await h.scrape();
      expect(delta(after, 'steerdns_lb_answers_total', { ...lbLabels, pool: 'primary' })).toBe(7);
      expect(delta(after, 'steerdns_lb_origin_answers_total', { ...lbLabels, pool: 'primary', origin: 'a' })).toBe(4);
      expect(delta(after, 'steerdns_lb_origin_answers_total', { ...lbLabels, pool: 'primary', origin: 'b' })).toBe(7);
    } finally {
      a.setHealthy(true);
    }
    await scrapeUntil('origin a up again', (s) => metricValue(s, 'steerdns_origin_up', { zone: Z, pool: 'primary', origin: 'a' }) === 1);
  });

  it('exposes probe results and durations per target, and health per origin and pool', async () => {
    const s = await scrapeUntil(
      'a few probes of each target',
      (x) => metricValue(x, 'steerdns_probes_total', { target: target(b), result: 'pass' }) >= 2,
    );
    expect(metricValue(s, 'steerdns_probes_total', { target: target(a), result: 'pass' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(s, 'steerdns_probe_duration_seconds_count', { target: target(b) })).toBeGreaterThanOrEqual(1);
    expect(metricValue(s, 'steerdns_probe_duration_seconds_sum', { target: target(b) })).toBeGreaterThan(0);
    expect(metricValue(s, 'steerdns_target_up', { target: target(b) })).toBe(1);
    expect(metricValue(s, 'steerdns_origin_up', { zone: Z, pool: 'backup', origin: 'c' })).toBe(1); // no monitor: always up
    expect(metricValue(s, 'steerdns_pool_healthy', { zone: Z, pool: 'backup' })).toBe(1);
    expect(metricValue(s, 'steerdns_ready')).toBe(1);
    expect(metricValue(s, 'steerdns_zone_serial', { zone: Z })).toBe(7);
    expect(metricValue(s, 'steerdns_zone_records', { zone: Z })).toBeGreaterThan(0);
    // Process metrics, from this server's own registry.
    expect(has(s, 'process_cpu_user_seconds_total')).toBe(true);
    expect(has(s, 'nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('counts reloads and failed reloads, and follows the config generation', async () => {
    const before = await h.scrape();
    const gen = metricValue(before, 'steerdns_config_generation');
    const zoneFile = path.join(h.dir, 'm.test.zone');
    fs.writeFileSync(zoneFile, `${ZONE}broken IN A 300.1.1.1\n`);
    const failed = await h.dns.server.reload(true);
    expect(failed.errors.length).toBeGreaterThan(0);
    let after = await h.scrape();
    expect(
      metricValue(after, 'steerdns_reloads_total', { result: 'failed' }) -
        metricValue(before, 'steerdns_reloads_total', { result: 'failed' }),
    ).toBe(1);
    expect(metricValue(after, 'steerdns_config_generation')).toBe(gen); // the broken file changed nothing served
    expect(metricValue(after, 'steerdns_zone_serial', { zone: Z })).toBe(7);

    fs.writeFileSync(zoneFile, ZONE.replace(' 7 3600', ' 8 3600'));
    const ok = await h.dns.server.reload(true);
    expect(ok.errors).toEqual([]);
    after = await h.scrape();
    expect(
      metricValue(after, 'steerdns_reloads_total', { result: 'ok' }) - metricValue(before, 'steerdns_reloads_total', { result: 'ok' }),
    ).toBe(1);
    expect(metricValue(after, 'steerdns_config_generation')).toBeGreaterThan(gen);
    expect(metricValue(after, 'steerdns_zone_serial', { zone: Z })).toBe(8);
    expect(h.metrics.lastReload?.ok).toBe(true);

    // The reload rebuilt every prepared record: answers are still attributed.
    const lb = { zone: Z, lb: 'www.m.test', pool: 'primary' };
    const n = metricValue(after, 'steerdns_lb_answers_total', lb);
    await h.dns.udp({ name: 'www.m.test', type: 'A' });
    expect(metricValue(await h.scrape(), 'steerdns_lb_answers_total', lb)).toBe(n + 1);
  });

  it('keeps one registry per server (nothing in the global one)', async () => {
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('steerdns_queries_total')).toBeUndefined();
    expect(h.metrics.registry.getSingleMetric('steerdns_queries_total')).toBeDefined();
  });
});
