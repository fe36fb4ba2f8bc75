// Fleet mode with --workers: a real 3-member etcd cluster, three steerdns nodes in three sites,
// the one in site a running two workers. The primary is the fleet member; both workers must
// answer with the fleet's verdicts and overrides, exactly like a single-process node.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from '../http/harness.js';
import { requireTool } from '../interop/tools.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { fleetMemberArgs, startEtcdCluster, type EtcdCluster } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';
import { type ServedCli, serveCli } from '../support/serve-cli.js';
import { regionalBackend, type RegionalBackend } from './regional-backend.js';

const etcdBinary = requireTool('etcd', 'fleet');

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const ORIGIN = '127.0.0.51';
const FALLBACK = '192.0.2.99';
const TOKEN = 'fleet-workers-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const lbYaml = (port: number): string => `monitors:
  maj: { type: http, port: ${port}, path: /health, interval: 1, timeout: 0.5, retries: 0, quorum: majority }
pools:
  maj: { monitor: maj, origins: [{ name: o, address: ${ORIGIN} }] }
  spare: { origins: [{ name: s, address: ${FALLBACK} }] }
load_balancers:
  maj: { default_pools: [maj], fallback_pool: spare }
`;

let etcd: EtcdCluster;
let backend: RegionalBackend;
let dir: string;
const nodes: ServedCli[] = [];

function startNode(name: string, site: string, source: string, zones: string, workers: number): Promise<ServedCli> {
  return serveCli(
    zones,
    [
      '--workers',
      String(workers),
      '--http',
      '127.0.0.1:0',
      '--http-token',
      TOKEN,
      ...fleetMemberArgs(etcd, {
        node: name,
        site,
        prefix: '/fleet-workers-test/',
        probersPerSite: 1,
        shortGrace: true,
        probeSource: source,
      }),
    ],
    { expectHttp: true },
  );
}

const answer = async (port: number): Promise<string[]> => {
  const reply = decode(await udpExchange('127.0.0.1', port, buildQuery({ name: 'maj.fleet.test', type: 'A' }), 2000));
  if (reply.rcode !== 'NOERROR') throw new Error(`maj.fleet.test: ${reply.rcode}`);
  return reply.answers.filter((a) => a.type === 'A').map((a) => a.data as string);
};

/** UDP queries answered so far by each worker pid of a node (from its /metrics). */
async function perWorker(node: ServedCli): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of parsePrometheus(await (await fetch(`${node.httpUrl}/metrics`, { headers: auth })).text()))
    if (s.name === 'steerdns_cluster_worker_queries_total') out.set(s.labels.pid!, s.value);
  return out;
}

/**
 * True when `count` UDP queries (each from a new socket, so the kernel spreads them over the
 * workers' sockets) all got `address`, and every worker of the node answered some of them.
 */
async function everyWorkerAnswers(node: ServedCli, address: string, count = 24): Promise<boolean> {
  const before = await perWorker(node);
  let all = true;
  for (let i = 0; i < count; i++) {
    const a = await answer(node.dnsPort);
    if (a.length !== 1 || a[0] !== address) all = false;
  }
  const after = await perWorker(node);
  const answered = [...after].filter(([pid, n]) => n > (before.get(pid) ?? 0));
  return all && after.size === 2 && answered.length === 2;
}

describe.skipIf(etcdBinary === null)('fleet node with --workers 2', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fleet-workers-'));
    [etcd, backend] = await Promise.all([startEtcdCluster(etcdBinary!, 3), regionalBackend(ORIGIN)]);
    const zones = path.join(dir, 'zones');
    fs.mkdirSync(zones);
    fs.writeFileSync(path.join(zones, 'fleet.test.zone'), ZONE);
    fs.writeFileSync(path.join(zones, 'fleet.test.lb.yaml'), lbYaml(backend.port));
    nodes.push(
      ...(await Promise.all([
        startNode('w1', 'a', '127.0.0.21', zones, 2),
        startNode('w2', 'b', '127.0.0.22', zones, 1),
        startNode('w3', 'c', '127.0.0.23', zones, 1),
      ])),
    );
    await eventually(
      'the worker node sees three members and the origin up with three votes',
      async () => {
        const v = (await (await fetch(`${nodes[0]!.httpUrl}/api/v1/fleet`, { headers: auth })).json()) as {
          members: unknown[];
          targets: { up: boolean; known: boolean; votes: { sites: unknown[] } }[];
        };
        return v.members.length === 3 && v.targets.every((t) => t.known && t.up && t.votes.sites.length === 3);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => stop(n.child)));
    await Promise.all([etcd?.close(), backend?.close()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is one fleet member: the primary probes its share, the workers probe nothing', async () => {
    const v = (await (await fetch(`${nodes[0]!.httpUrl}/api/v1/fleet`, { headers: auth })).json()) as {
      members: { node: string; probing: number }[];
      targets: { probedHere: boolean }[];
    };
    expect(v.members.map((m) => m.node).sort()).toEqual(['w1', 'w2', 'w3']);
    // One prober per site: site a's only member probes the one target, once for the host.
    expect(v.targets.filter((t) => t.probedHere)).toHaveLength(1);
    expect(await everyWorkerAnswers(nodes[0]!, ORIGIN)).toBe(true);
  });

  it('a failure seen by a majority of sites drops the origin in the answers of both workers', async () => {
    const started = Date.now();
    backend.failing.add('127.0.0.22');
    backend.failing.add('127.0.0.23');
    // The single-process deadline: consecutive_down (1) × interval (1 s) + 1 s, with room for a
    // loaded machine.
    await eventually('both workers answer from the spare pool', () => everyWorkerAnswers(nodes[0]!, FALLBACK), {
      timeoutMs: 4000,
      intervalMs: 50,
    });
    expect(Date.now() - started).toBeLessThan(4000);
    backend.failing.clear();
    await eventually('both workers answer with the origin again', () => everyWorkerAnswers(nodes[0]!, ORIGIN), {
      timeoutMs: 4000,
      intervalMs: 50,
    });
  });

  it("a drain on the worker node reaches both of its workers and another node within a second; the other node's delete reaches them too", async () => {
    const [w1, w2] = nodes as [ServedCli, ServedCli];
    const overrides = (n: ServedCli, method: string, urlPath: string, body?: unknown): Promise<Response> =>
      fetch(`${n.httpUrl}/api/v1/overrides${urlPath}`, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const bothServe = async (address: string): Promise<number> => {
      const [workers, other] = await Promise.all([everyWorkerAnswers(w1, address), answer(w2.dnsPort)]);
      return workers && other.length === 1 && other[0] === address ? Date.now() : 0;
    };

    const t0 = Date.now();
    const made = await overrides(w1, 'POST', '', { zone: 'fleet.test', target: 'o', action: 'drain', reason: 'fleet with workers' });
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: string };
    const drained = await eventually('both workers and w2 answer from the spare pool', () => bothServe(FALLBACK), {
      timeoutMs: 2000,
      intervalMs: 0,
    });
    expect(drained - t0).toBeLessThan(1000);

    // Removed through w2: etcd → w1's primary → its workers.
    const t1 = Date.now();
    expect((await overrides(w2, 'DELETE', `/${id}`)).status).toBe(200);
    const back = await eventually('both workers and w2 answer with the origin again', () => bothServe(ORIGIN), {
      timeoutMs: 2000,
      intervalMs: 0,
    });
    expect(back - t1).toBeLessThan(1000);
  });
});

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
