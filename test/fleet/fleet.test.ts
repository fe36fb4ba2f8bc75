// Fleet mode end to end: a real 3-member etcd cluster and four steerdns processes in three
// sites, each probing from its own loopback address. One HTTP backend fails for the source
// addresses a test chooses (a regional path failure); answers are read over real UDP.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
const FALLBACK = '192.0.2.99';

/** Two load balancers on the same origin: one needs a majority of sites to drop it, one any site. */
const lbYaml = (port: number): string => `monitors:
  maj: { type: http, port: ${port}, path: /health, interval: 1, timeout: 0.5, retries: 0, quorum: majority }
  any: { type: http, port: ${port}, path: /health, interval: 1, timeout: 0.5, retries: 0, quorum: any }
pools:
  maj: { monitor: maj, origins: [{ name: o, address: 127.0.0.50 }] }
  any: { monitor: any, origins: [{ name: o, address: 127.0.0.50 }] }
  spare: { origins: [{ name: s, address: ${FALLBACK} }] }
load_balancers:
  maj: { default_pools: [maj], fallback_pool: spare }
  any: { default_pools: [any], fallback_pool: spare }
`;

interface Node {
  readonly name: string;
  readonly source: string;
  served: ServedCli;
}

let etcd: EtcdCluster;
let backend: RegionalBackend;
let dir: string;
const nodes: Node[] = [];

async function startNode(name: string, site: string, source: string, zones: string): Promise<Node> {
  const served = await serveCli(
    zones,
    [
      '--workers',
      '1',
      '--http',
      '127.0.0.1:0',
      '--log-level',
      'info',
      ...fleetMemberArgs(etcd, { node: name, site, prefix: '/fleet-test/', probersPerSite: 1, shortGrace: true, probeSource: source }),
    ],
    { expectHttp: true },
  );
  return { name, source, served };
}

const answer = async (port: number, name: string): Promise<string[]> => {
  const reply = decode(await udpExchange('127.0.0.1', port, buildQuery({ name, type: 'A' }), 2000));
  if (reply.rcode !== 'NOERROR') throw new Error(`${name}: ${reply.rcode}`);
  return reply.answers.filter((a) => a.type === 'A').map((a) => a.data as string);
};
/** The parts of /api/v1/fleet these tests read. */
interface FleetView {
  degraded: boolean;
  configMismatch: number;
  store: { reachable: boolean; writes: number };
  members: { node: string; mismatch: boolean }[];
  targets: { target: string; up: boolean; known: boolean; probedHere: boolean; votes: { sites: { site: string }[] } }[];
}
interface OriginView {
  votes: { rule: string; needed: number; downSites: number };
}
interface StatusView {
  loadBalancers: { name: string; pools: { origins: OriginView[] }[] }[];
}
const fleetView = async (n: Node): Promise<FleetView> => (await fetch(`${n.served.httpUrl}/api/v1/fleet`)).json() as Promise<FleetView>;
/** True when every node answers `name` with `address`. */
const everyNodeAnswers = async (name: string, address: string, which = nodes): Promise<boolean> =>
  (await Promise.all(which.map((n) => answer(n.served.dnsPort, name)))).every((a) => a.length === 1 && a[0] === address);

describe.skipIf(etcdBinary === null)('fleet on etcd', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fleet-'));
    [etcd, backend] = await Promise.all([startEtcdCluster(etcdBinary!, 3), regionalBackend('127.0.0.50')]);
    const zones = path.join(dir, 'zones');
    fs.mkdirSync(zones);
    fs.writeFileSync(path.join(zones, 'fleet.test.zone'), ZONE);
    fs.writeFileSync(path.join(zones, 'fleet.test.lb.yaml'), lbYaml(backend.port));
    // n4 shares site a with n1 but serves a different zone file: a config mismatch.
    const other = path.join(dir, 'zones-other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'fleet.test.zone'), `${ZONE}extra IN TXT "only here"\n`);
    fs.writeFileSync(path.join(other, 'fleet.test.lb.yaml'), lbYaml(backend.port));
    const started = await Promise.all([
      startNode('n1', 'a', '127.0.0.11', zones),
      startNode('n2', 'b', '127.0.0.12', zones),
      startNode('n3', 'c', '127.0.0.13', zones),
      startNode('n4', 'a', '127.0.0.14', other),
    ]);
    nodes.push(...started);
    await eventually(
      'every node sees four members and both origins up',
      async () => {
        const views = await Promise.all(nodes.map(fleetView));
        return views.every((v) => v.members.length === 4 && v.targets.every((t) => t.known && t.up));
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => stop(n.served.child)));
    await Promise.all([etcd?.close(), backend?.close()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shares the probing, agrees on health and flags a node whose files differ', async () => {
    // One prober per site and target: sites b and c probe everything, a splits it between n1 and n4.
    const probed = (v: FleetView) => v.targets.filter((t) => t.probedHere).length;
    const views = await eventually(
      'probing shared',
      async () => {
        const all = await Promise.all(nodes.map(fleetView));
        const shared = probed(all[0]!) + probed(all[3]!) === 2 && probed(all[1]!) === 2 && probed(all[2]!) === 2;
        const threeSites = all[0]!.targets.every((t) => t.votes.sites.length === 3);
        return shared && threeSites ? all : null;
      },
      { timeoutMs: 5000, intervalMs: 100 },
    );
    if (views === null) throw new Error('unreachable');
    for (const t of views[0]!.targets) expect(t.votes.sites.map((s) => s.site)).toEqual(['a', 'b', 'c']);
    expect(views[0]!.configMismatch).toBe(1);
    expect(views[3]!.configMismatch).toBe(3);
    expect(views[0]!.members.find((m) => m.node === 'n4')!.mismatch).toBe(true);
    const metrics = await (await fetch(`${nodes[0]!.served.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^steerdns_fleet_config_mismatch 1$/m);
    // The status page of a fleet node carries its Fleet section (drawn from /api/v1/fleet).
    expect(await (await fetch(`${nodes[0]!.served.httpUrl}/`)).text()).toContain('<body data-fleet="1">');
    expect(await everyNodeAnswers('maj.fleet.test', '127.0.0.50')).toBe(true);
  });

  it('drops an origin one site sees down under any, not under majority; two sites drop it everywhere', async () => {
    backend.failing.add('127.0.0.12'); // site b's path fails
    await eventually('any.fleet.test answered from the spare pool by every node', () => everyNodeAnswers('any.fleet.test', FALLBACK), {
      timeoutMs: 1000 * 1 + 1000 + 2000,
      intervalMs: 50,
    });
    expect(await everyNodeAnswers('maj.fleet.test', '127.0.0.50')).toBe(true);
    const started = Date.now();
    backend.failing.add('127.0.0.13'); // and site c's
    // consecutive_down (1) × interval (1 s) + 1 s, with room for a loaded machine.
    await eventually('maj.fleet.test dropped on every node', () => everyNodeAnswers('maj.fleet.test', FALLBACK), {
      timeoutMs: 4000,
      intervalMs: 50,
    });
    expect(Date.now() - started).toBeLessThan(4000);
    const status = (await (await fetch(`${nodes[0]!.served.httpUrl}/api/v1/status`)).json()) as StatusView;
    const origin = status.loadBalancers.find((l) => l.name === 'maj')!.pools[0]!.origins[0]!;
    expect(origin.votes).toMatchObject({ rule: 'majority', needed: 2, downSites: 2 });
    backend.failing.clear();
    await eventually(
      'both back on every node',
      async () => (await everyNodeAnswers('maj.fleet.test', '127.0.0.50')) && everyNodeAnswers('any.fleet.test', '127.0.0.50'),
      {
        timeoutMs: 4000,
        intervalMs: 50,
      },
    );
  });

  it('moves the probes of a killed node to its site peer within a lease TTL, without a flap', async () => {
    const [n1, , , n4] = nodes;
    const v1 = await fleetView(n1!);
    const n1Targets = v1.targets.filter((t) => t.probedHere).map((t) => t.target);
    const [victim, survivor] = n1Targets.length > 0 ? [n1!, n4!] : [n4!, n1!];
    const loop = queryLoop(
      nodes.filter((n) => n !== victim),
      'maj.fleet.test',
    );
    victim.served.child.kill('SIGKILL');
    await eventually(
      'the survivor probes every target of site a',
      async () => {
        const v = await fleetView(survivor);
        return v.members.length === 3 && v.targets.every((t) => t.probedHere);
      },
      { timeoutMs: 2000 + 2000, intervalMs: 100 },
    );
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.answers).toEqual(new Set(['127.0.0.50']));
    nodes.splice(nodes.indexOf(victim), 1);
  });

  it('keeps answering through the loss of one etcd member, then of all of them, and rejoins', async () => {
    const loop = queryLoop(nodes, 'maj.fleet.test');
    await etcd.kill(0);
    // A write still goes through (the heartbeat) and nothing changes.
    const before = (await fleetView(nodes[0]!)).store.writes;
    // The client first has to notice the dead member and move to another endpoint (gRPC
    // reconnect back-off), which on a loaded machine takes several seconds.
    await eventually('heartbeats continue', async () => (await fleetView(nodes[0]!)).store.writes > before + 1, {
      timeoutMs: 12_000,
      intervalMs: 100,
    });
    await etcd.kill(1);
    await etcd.kill(2);
    await eventually('every node reports degraded', async () => (await Promise.all(nodes.map(fleetView))).every((v) => v.degraded), {
      timeoutMs: 8000,
      intervalMs: 100,
    });
    const metrics = await (await fetch(`${nodes[0]!.served.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^steerdns_fleet_degraded 1$/m);
    expect((await fetch(`${nodes[0]!.served.httpUrl}/readyz`)).status).toBe(200);
    await Promise.all([0, 1, 2].map((i) => etcd.start(i)));
    await eventually(
      'every node back in the fleet',
      async () => {
        const views = await Promise.all(nodes.map(fleetView));
        return views.every((v) => !v.degraded && v.store.reachable && v.members.length === nodes.length);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const seen = await loop.stop();
    expect(seen.failures).toEqual([]);
    expect(seen.answers).toEqual(new Set(['127.0.0.50']));
  }, 40_000);
});

/** Queries `name` on every node in turn until stopped: every failure (timeout, rcode) and every address seen. */
function queryLoop(which: readonly Node[], name: string): { stop(): Promise<{ failures: string[]; answers: Set<string> }> } {
  const failures: string[] = [];
  const answers = new Set<string>();
  let running = true;
  let slowest = 0;
  const done = (async () => {
    while (running) {
      for (const n of which) {
        try {
          const t0 = Date.now();
          for (const a of await answer(n.served.dnsPort, name)) answers.add(a);
          slowest = Math.max(slowest, Date.now() - t0);
        } catch (err) {
          failures.push(`${n.name}: ${(err as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      if (slowest > 200) console.log(`slowest answer in the loop: ${slowest} ms`);
      return { failures, answers };
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
