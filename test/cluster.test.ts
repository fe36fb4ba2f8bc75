// `steerdns serve --workers 2`, spawned from a build of its own as an operator would run it: one
// shared port for UDP and TCP, answers from both workers, a killed worker replaced while the
// other keeps answering, health and zone changes reaching every worker, probes run once per
// host, /metrics summed over the workers, SIGTERM leaving no process behind.
//
// Which worker answered: TCP connections are dealt round-robin by node:cluster's primary, so
// consecutive connections reach both workers; steerdns_cluster_worker_queries_total{pid} on
// /metrics says how many each one answered.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend, type Backend } from './support/backends.js';
import { cliPath, repoRoot } from './support/build.js';
import { buildQuery, decode, frame, tcpExchange, udpExchange, type DecodedReply } from './support/dns-client.js';
import { parsePrometheus, request, metricValue, type Sample } from './http/harness.js';
import { eventually } from './support/eventually.js';

// The run's one build (test/global-setup.ts).
const cli = cliPath();
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-cluster-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const zoneText = (serial: number, www: string): string => `$TTL 300
@   IN SOA ns hostmaster ${serial} 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   ${www}
`;

function zonesWith(name: string, files: Record<string, string>): string {
  const zones = path.join(dir, name);
  fs.mkdirSync(zones, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(zones, file), text);
  return zones;
}

interface LogLine {
  readonly msg?: string;
  readonly port?: number;
  readonly pid?: number;
  readonly worker?: number;
  readonly [key: string]: unknown;
}

interface Cluster {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  readonly stderr: string[];
  readonly port: number;
  readonly http: string;
  readonly exit: Promise<number | null>;
  /** Pids that logged "listening" so far (workers, replacements included), in order. */
  listeningPids(): number[];
  metrics(): Promise<Sample[]>;
}

const running: Cluster[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});

async function startCluster(args: string[], workers = 2): Promise<Cluster> {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--geoip', 'off', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--workers', String(workers), ...args],
    {
      cwd: repoRoot,
    },
  );
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  let rest = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p) lines.push(JSON.parse(p) as LogLine);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => stderr.push(chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listeningPids = (): number[] => lines.filter((l) => l.msg?.startsWith('listening') && l.pid !== undefined).map((l) => l.pid!);
  const http = await eventually(
    'the primary to report its workers and its HTTP listener',
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${stderr.join('')}`);
      const h = lines.find((l) => l.msg?.startsWith('http listening'));
      return h ? `http://127.0.0.1:${h.port}` : '';
    },
    { timeoutMs: 30_000 },
  );
  const port = lines.find((l) => l.msg?.startsWith('listening'))!.port!;
  const c: Cluster = {
    child,
    lines,
    stderr,
    port,
    http,
    exit,
    listeningPids,
    metrics: async () => parsePrometheus((await request(`${http}/metrics`)).text),
  };
  running.push(c);
  return c;
}

const udpA = async (port: number, name: string): Promise<DecodedReply> =>
  decode(await udpExchange('127.0.0.1', port, buildQuery({ name, type: 'A' })));
/** One query on a new TCP connection (consecutive connections go to the workers in turn). */
const tcpA = async (port: number, name: string): Promise<DecodedReply> =>
  decode((await tcpExchange('127.0.0.1', port, [frame(buildQuery({ name, type: 'A' }))], 1))[0]!);
const firstA = (r: DecodedReply): unknown => r.answers.find((a) => a.type === 'A')?.data;

/** Queries answered so far by each worker pid (from /metrics). */
async function perWorker(c: Cluster): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of await c.metrics()) if (s.name === 'steerdns_cluster_worker_queries_total') out.set(s.labels.pid!, s.value);
  return out;
}

/** `count` queries on new TCP connections; returns the answers and which workers answered them. */
async function tcpRound(c: Cluster, name: string, count: number): Promise<{ answers: unknown[]; workers: string[] }> {
  const before = await perWorker(c);
  const answers: unknown[] = [];
  for (let i = 0; i < count; i++) answers.push(firstA(await tcpA(c.port, name)));
  const after = await perWorker(c);
  const workers = [...after].filter(([pid, n]) => n > (before.get(pid) ?? 0)).map(([pid]) => pid);
  return { answers, workers };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(c: Cluster): Promise<void> {
  c.child.kill('SIGTERM');
  expect(await c.exit).toBe(0);
}

describe('serve --workers 2', () => {
  it('answers over UDP and TCP on one shared port from both workers; /metrics sums their counters; SIGTERM leaves no process', async () => {
    const zones = zonesWith('basic', { 'c.test.zone': zoneText(1, '192.0.2.2') });
    const c = await startCluster(['--zones', zones]);
    await eventually('both workers listening', () => c.listeningPids().length === 2);
    const listening = c.lines.filter((l) => l.msg?.startsWith('listening'));
    expect(new Set(listening.map((l) => l.port))).toEqual(new Set([c.port]));
    const pids = c.listeningPids();
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(c.child.pid);
    expect(c.lines.find((l) => l.msg?.includes('workers answering'))).toMatchObject({
      workers: 2,
      endpoints: [{ address: '127.0.0.1', port: c.port }],
    });

    for (let i = 0; i < 20; i++) expect(firstA(await udpA(c.port, 'www.c.test'))).toBe('192.0.2.2');
    const round = await tcpRound(c, 'www.c.test', 10);
    expect(round.answers).toEqual(Array(10).fill('192.0.2.2'));
    expect(round.workers.sort()).toEqual(pids.map(String).sort());

    const m = await c.metrics();
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'c.test', qtype: 'A', rcode: 'NOERROR', transport: 'udp' })).toBe(20);
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'c.test', qtype: 'A', rcode: 'NOERROR', transport: 'tcp' })).toBe(10);
    expect(metricValue(m, 'steerdns_cluster_worker_queries_total')).toBe(30);
    expect(metricValue(m, 'steerdns_cluster_workers', { state: 'listening' })).toBe(2);
    // Configuration metrics come from the primary alone, not once per worker.
    expect(metricValue(m, 'steerdns_zone_serial', { zone: 'c.test' })).toBe(1);
    expect(metricValue(m, 'steerdns_ready')).toBe(1);
    expect(metricValue(m, 'steerdns_query_duration_seconds_count')).toBeGreaterThan(0);

    const ready = await request(`${c.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.text).toMatch(/2 of 2 workers listening/);
    const status = JSON.parse((await request(`${c.http}/api/v1/status`)).text) as { zones: { name: string; serial: number }[] };
    expect(status.zones).toEqual([expect.objectContaining({ name: 'c.test', serial: 1 })]);

    await stop(c);
    expect(c.lines.some((l) => l.msg === 'shutting down')).toBe(true);
    await eventually('every worker gone', () => pids.every((pid) => !alive(pid)));
  });

  it('a worker killed with SIGKILL is replaced while the other keeps answering', async () => {
    const zones = zonesWith('kill', { 'k.test.zone': zoneText(1, '192.0.2.2') });
    const c = await startCluster(['--zones', zones]);
    await eventually('both workers listening', () => c.listeningPids().length === 2);
    const [victim, survivor] = c.listeningPids() as [number, number];
    expect(victim).toBeDefined();

    // A client asking one query after another the whole time, over UDP.
    let asked = 0;
    let lost = 0;
    let wrong = 0;
    let done = false;
    const client = (async () => {
      while (!done) {
        asked++;
        try {
          if (firstA(decode(await udpExchange('127.0.0.1', c.port, buildQuery({ name: 'www.k.test', type: 'A' }), 1500))) !== '192.0.2.2')
            wrong++;
        } catch {
          lost++;
        }
      }
    })();
    await eventually('the client to get going', () => asked > 20);
    process.kill(victim, 'SIGKILL');
    const replacement = await eventually(
      'a replacement worker listening',
      () => c.listeningPids().find((p) => p !== victim && p !== survivor) ?? 0,
      { timeoutMs: 20_000 },
    );
    const askedAtReplacement = asked;
    await eventually('more answers after the replacement', () => asked > askedAtReplacement + 20);
    done = true;
    await client;
    // At most the query the victim had read when it died goes unanswered (a reply later than
    // 1.5 s counts as lost too, so a stall of the survivor would show).
    expect(lost).toBeLessThanOrEqual(1);
    expect(wrong).toBe(0);
    expect(alive(victim)).toBe(false);
    expect(alive(survivor)).toBe(true);
    expect(c.lines.some((l) => l.msg?.includes('worker died'))).toBe(true);

    const m = await c.metrics();
    expect(metricValue(m, 'steerdns_cluster_worker_restarts_total')).toBe(1);
    // Counters of the dead worker are kept: the sum never goes backwards.
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'k.test' })).toBeGreaterThanOrEqual(20);
    await eventually('ready again with two workers', async () => (await request(`${c.http}/readyz`)).status === 200);
    const round = await tcpRound(c, 'www.k.test', 6);
    expect(round.workers.sort()).toEqual([replacement, survivor].map(String).sort());
    await stop(c);
    await eventually('every worker gone', () => !alive(survivor) && !alive(replacement));
  });

  it('a zone file change reaches every worker', async () => {
    const zones = zonesWith('reload', { 'r.test.zone': zoneText(1, '192.0.2.2') });
    const c = await startCluster(['--zones', zones]);
    await eventually('both workers listening', () => c.listeningPids().length === 2);
    expect((await tcpRound(c, 'www.r.test', 4)).answers).toEqual(Array(4).fill('192.0.2.2'));

    fs.writeFileSync(path.join(zones, 'r.test.zone'), zoneText(2, '192.0.2.3'));
    // The primary's watcher reloads; both workers switch at its commit.
    await eventually(
      'every worker to serve serial 2',
      async () => {
        const round = await tcpRound(c, 'www.r.test', 6);
        return round.workers.length === 2 && round.answers.every((a) => a === '192.0.2.3');
      },
      { timeoutMs: 20_000 },
    );
    const soa = await Promise.all(
      [0, 1, 2, 3].map(() => tcpExchange('127.0.0.1', c.port, [frame(buildQuery({ name: 'r.test', type: 'SOA' }))], 1)),
    );
    for (const [reply] of soa) expect((decode(reply!).answers[0]!.data as { serial: number }).serial).toBe(2);
    expect(metricValue(await c.metrics(), 'steerdns_zone_serial', { zone: 'r.test' })).toBe(2);
    // Each worker logged the load it switched to.
    const loads = c.lines.filter((l) => l.msg === 'zone r.test loaded' && l.worker !== undefined);
    expect(new Set(loads.map((l) => l.pid)).size).toBe(2);
    expect(loads.length).toBe(4); // startup + reload, in each worker

    // SIGHUP: the primary reloads every file, and so does every worker.
    fs.writeFileSync(path.join(zones, 'r.test.zone'), zoneText(3, '192.0.2.4'));
    c.child.kill('SIGHUP');
    await eventually(
      'every worker to serve serial 3',
      async () => {
        const round = await tcpRound(c, 'www.r.test', 6);
        return round.workers.length === 2 && round.answers.every((a) => a === '192.0.2.4');
      },
      { timeoutMs: 20_000 },
    );
    await stop(c);
  });

  it("probes each origin once per interval for the host, and a backend going down changes every worker's answer", async () => {
    const backend: Backend = await httpBackend('127.0.0.1');
    try {
      const zones = zonesWith('health', {
        'h.test.zone': zoneText(1, '192.0.2.2'),
        'h.test.lb.yaml': `
monitors:
  web:
    type: http
    path: /health
    interval: 1
    timeout: 0.5
    retries: 0
pools:
  main:
    monitor: web
    origins:
      - { name: main, address: 127.0.0.1, port: ${backend.port} }
  spare:
    origins:
      - { name: spare, address: 192.0.2.99 }
load_balancers:
  lb:
    default_pools: [main]
    fallback_pool: spare
`,
      });
      const c = await startCluster(['--zones', zones]);
      await eventually(
        'ready (first probe round done, both workers listening)',
        async () => (await request(`${c.http}/readyz`)).status === 200,
        { timeoutMs: 15_000 },
      );
      const up = await tcpRound(c, 'lb.h.test', 6);
      expect(up.answers).toEqual(Array(6).fill('127.0.0.1'));
      expect(up.workers).toHaveLength(2);

      // Probing happens in the primary only: four more probes take four intervals, not less.
      const h0 = backend.hits();
      const t0 = Date.now();
      await eventually('four more probes', () => backend.hits() >= h0 + 4, { timeoutMs: 15_000 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
      const probes = (await c.metrics())
        .filter((s) => s.name === 'steerdns_probes_total' && s.labels.target?.endsWith(`web@127.0.0.1:${backend.port}`))
        .reduce((n, s) => n + s.value, 0);
      expect(Math.abs(probes - backend.hits()), `probes_total ${probes}, backend hits ${backend.hits()}`).toBeLessThanOrEqual(1);

      await backend.setHealthy(false);
      await eventually(
        'every worker to answer with the fallback pool',
        async () => {
          const round = await tcpRound(c, 'lb.h.test', 6);
          return round.workers.length === 2 && round.answers.every((a) => a === '192.0.2.99');
        },
        { timeoutMs: 15_000 },
      );
      // UDP, whichever worker reads it, agrees.
      for (let i = 0; i < 10; i++) expect(firstA(await udpA(c.port, 'lb.h.test'))).toBe('192.0.2.99');

      await backend.setHealthy(true);
      await eventually(
        'every worker back on the main pool',
        async () => {
          const round = await tcpRound(c, 'lb.h.test', 6);
          return round.workers.length === 2 && round.answers.every((a) => a === '127.0.0.1');
        },
        { timeoutMs: 15_000 },
      );
      await stop(c);
    } finally {
      await backend.close();
    }
  });
});
