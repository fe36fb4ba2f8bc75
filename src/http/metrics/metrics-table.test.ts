// The metrics table is the one description of what /metrics exports: a fresh SteerMetrics on a
// real server must expose each row exactly once, with the row's help, type and label names, and
// nothing steerdns_ that is not a row.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { SteerMetrics } from '../metrics.js';
import type { MetricDescription } from './registry-table.js';

interface Family {
  help: string[];
  type: string[];
  series: { name: string; labels: string[] }[];
}

/** Prometheus text → families by name (a histogram's _bucket/_sum/_count under its own name). */
function families(text: string, table: readonly MetricDescription[]): Map<string, Family> {
  const out = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = out.get(name);
    if (f === undefined) {
      f = { help: [], type: [], series: [] };
      out.set(name, f);
    }
    return f;
  };
  const histograms = new Set(table.filter((r) => r.type === 'histogram').map((r) => r.name));
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      family(meta[2]!)[meta[1] === 'HELP' ? 'help' : 'type'].push(meta[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample) continue;
    const name = sample[1]!;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const labels = [...(sample[2] ?? '').matchAll(/(\w+)="(?:[^"\\]|\\.)*"/g)].map((m) => m[1]!);
    family(histograms.has(base) ? base : name).series.push({ name, labels });
  }
  return out;
}

const ZONE = `$TTL 300
@ IN SOA ns hostmaster 1 3600 600 86400 60
  IN NS ns
ns IN A 192.0.2.1
`;
const LB = `
notifications:
  ops: { url: 'http://127.0.0.1:9/steerdns' }
monitors:
  web: { type: tcp, interval: 1, timeout: 0.3, retries: 0 }
  feed: { type: external, health_file: t.health }
pools:
  fed:
    monitor: feed
    origins:
      - { name: c, address: 192.0.2.31 }
  main:
    monitor: web
    origins:
      - { name: a, address: 127.0.0.1, port: 1 }
  spare:
    origins:
      - { name: b, address: 192.0.2.30 }
load_balancers:
  www:
    default_pools: [main, spare]
`;

let dir: string;
let dns: TestServer;
let metrics: SteerMetrics;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-table-'));
  fs.writeFileSync(path.join(dir, 't.test.zone'), ZONE);
  fs.writeFileSync(path.join(dir, 't.test.lb.yaml'), LB);
  fs.writeFileSync(path.join(dir, 't.health'), 'c up\n');
  metrics = new SteerMetrics({ defaultMetrics: false });
  dns = await startTestServer({
    zonesDir: dir,
    watch: false,
    rrl: { rate: 1000 },
    observer: metrics,
    transfer: { zones: { 't.test': { allow: ['127.0.0.1'] } } },
  });
  metrics.attach(dns.server);
  await dns.server.prober.ready;
  await dns.udp({ name: 'www.t.test', type: 'A' });
  const axfr = await dns.tcp({ name: 't.test', type: 'AXFR' });
  expect(axfr.answers.length).toBeGreaterThan(2);
});

afterAll(async () => {
  await dns?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the metrics table', () => {
  it('has one row per name', () => {
    const names = metrics.table.map((r) => r.name);
    expect(names.length).toBeGreaterThan(20);
    expect(new Set(names).size).toBe(names.length);
  });

  it('exposes every row once, with its help, type and label names, and nothing else of steerdns_', async () => {
    const scraped = families(await metrics.registry.metrics(), metrics.table);
    for (const row of metrics.table) {
      const f = scraped.get(row.name);
      expect(f, row.name).toBeDefined();
      expect(f!.help, row.name).toEqual([row.help]);
      expect(f!.type, row.name).toEqual([row.type]);
      // Attached to a server that probed, answered a query and served a transfer, and has a
      // webhook receiver and a health file, every row has series.
      expect(f!.series.length, row.name).toBeGreaterThan(0);
      if (row.labels.length === 0) expect(f!.series, row.name).toHaveLength(1);
      for (const s of f!.series) {
        const expected = s.name.endsWith('_bucket') && row.type === 'histogram' ? [...row.labels, 'le'] : [...row.labels];
        expect([...s.labels].sort(), s.name).toEqual(expected.sort());
      }
    }
    const rows = new Set(metrics.table.map((r) => r.name));
    expect([...scraped.keys()].filter((n) => n.startsWith('steerdns_') && !rows.has(n))).toEqual([]);
  });

  it("in a cluster worker holds only what answering queries measures, a subset of the primary's rows", () => {
    const worker = new SteerMetrics({ defaultMetrics: false, scope: 'queries' });
    const all = new Map(metrics.table.map((r) => [r.name, r]));
    const described = (r: MetricDescription | undefined) => r && { name: r.name, help: r.help, type: r.type, labels: r.labels };
    for (const row of worker.table) expect(described(all.get(row.name)), row.name).toEqual(described(row));
    expect(worker.table.length).toBeLessThan(all.size);
    const names = worker.table.map((r) => r.name);
    expect(names).toContain('steerdns_queries_total');
    expect(names).not.toContain('steerdns_probes_total');
    expect(names).not.toContain('steerdns_reloads_total');
  });
});
