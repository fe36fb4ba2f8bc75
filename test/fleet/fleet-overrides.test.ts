// Operator overrides in a fleet: a real 3-member etcd cluster and three steerdns nodes in three
// sites. An override made through one node's API is kept in etcd and applied by every node;
// answers are read over real UDP. Each node has a --state-dir: only its audit log goes there.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../interop/tools.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { type EtcdCluster, fleetMemberArgs, startEtcdCluster } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';
import { type ServedCli, serveCli } from '../support/serve-cli.js';

const etcdBinary = requireTool('etcd', 'fleet');

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const MAIN = '127.0.0.50';
const FALLBACK = '192.0.2.99';
const LB = `pools:
  main: { origins: [{ name: o, address: ${MAIN} }] }
  spare: { origins: [{ name: s, address: ${FALLBACK} }] }
load_balancers:
  www: { default_pools: [main], fallback_pool: spare }
`;
const TOKEN = 'fleet-overrides-test-token-0123456789';

interface Node {
  readonly name: string;
  readonly stateDir: string;
  served: ServedCli;
}

let etcd: EtcdCluster;
let dir: string;
const nodes: Node[] = [];

async function startNode(name: string, site: string, zones: string): Promise<Node> {
  const stateDir = path.join(dir, `state-${name}`);
  const served = await serveCli(
    zones,
    [
      '--workers',
      '1',
      '--http',
      '127.0.0.1:0',
      '--http-token',
      TOKEN,
      '--log-level',
      'info',
      ...fleetMemberArgs(etcd, { node: name, site, prefix: '/fleet-overrides-test/' }),
      '--state-dir',
      stateDir,
    ],
    { expectHttp: true },
  );
  return { name, stateDir, served };
}

const answer = async (n: Node): Promise<string[]> => {
  const reply = decode(await udpExchange('127.0.0.1', n.served.dnsPort, buildQuery({ name: 'www.ov.test', type: 'A' }), 2000));
  if (reply.rcode !== 'NOERROR') throw new Error(`www.ov.test: ${reply.rcode}`);
  return reply.answers.filter((a) => a.type === 'A').map((a) => a.data as string);
};
/** True when every node in `which` answers with `address` only. */
const allAnswer = async (address: string, which: readonly Node[] = nodes): Promise<boolean> =>
  (await Promise.all(which.map(answer))).every((a) => a.length === 1 && a[0] === address);

interface Reply {
  status: number;
  body: { id?: string; error?: string; code?: string; expiresAt?: string | null; overrides?: { id: string; author: string }[] };
}
async function call(n: Node, method: string, urlPath: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${n.served.httpUrl}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}
const drain = (n: Node, reason: string, forText?: string): Promise<Reply> =>
  call(n, 'POST', '/api/v1/overrides', { zone: 'ov.test', target: 'main', action: 'drain', reason, ...(forText ? { for: forText } : {}) });

/** The audit lines of a node. */
function audit(n: Node): { event: string; id: string; node: string; author: string }[] {
  const file = path.join(n.stateDir, 'audit.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

describe.skipIf(etcdBinary === null)('overrides in a fleet on etcd', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fleet-ov-'));
    etcd = await startEtcdCluster(etcdBinary!, 3);
    const zones = path.join(dir, 'zones');
    fs.mkdirSync(zones);
    fs.writeFileSync(path.join(zones, 'ov.test.zone'), ZONE);
    fs.writeFileSync(path.join(zones, 'ov.test.lb.yaml'), LB);
    nodes.push(...(await Promise.all([startNode('n1', 'a', zones), startNode('n2', 'b', zones), startNode('n3', 'c', zones)])));
    await eventually(
      'every node sees three members',
      async () => {
        const views = await Promise.all(
          nodes.map(
            async (n) =>
              (await (await fetch(`${n.served.httpUrl}/api/v1/fleet`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
                members: unknown[];
              },
          ),
        );
        return views.every((v) => v.members.length === 3);
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(await allAnswer(MAIN)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => stop(n.served.child)));
    await etcd?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a drain made through one node changes every node within a second; a delete through another undoes it everywhere', async () => {
    const [n1, n2, n3] = nodes as [Node, Node, Node];
    const created = await drain(n1, 'maintenance');
    expect(created.status).toBe(201);
    const id = created.body.id!;
    // The node whose API made it answers with it at once.
    expect(await allAnswer(FALLBACK, [n1])).toBe(true);
    await eventually('n2 and n3 drain main', () => allAnswer(FALLBACK, [n2, n3]), { timeoutMs: 1000, intervalMs: 20 });
    const listed = await call(n3, 'GET', '/api/v1/overrides');
    expect(listed.body.overrides?.map((o) => o.id)).toEqual([id]);

    const removed = await call(n2, 'DELETE', `/api/v1/overrides/${id}`);
    expect(removed?.status).toBe(200);
    expect(await allAnswer(MAIN, [n2])).toBe(true);
    await eventually('n1 and n3 answer from main again', () => allAnswer(MAIN, [n1, n3]), { timeoutMs: 1000, intervalMs: 20 });
    expect((await call(n1, 'GET', '/api/v1/overrides')).body.overrides).toEqual([]);
    // A second delete finds nothing, through any node.
    expect((await call(n3, 'DELETE', `/api/v1/overrides/${id}`)).status).toBe(404);

    // Each node audits what its own API did; none keeps an overrides.json.
    expect(
      audit(n1)
        .filter((l) => l.id === id)
        .map((l) => `${l.event}@${l.node}`),
    ).toEqual(['created@n1']);
    expect(
      audit(n2)
        .filter((l) => l.id === id)
        .map((l) => `${l.event}@${l.node}`),
    ).toEqual(['removed@n2']);
    expect(audit(n3).filter((l) => l.id === id)).toEqual([]);
    for (const n of nodes) expect(fs.existsSync(path.join(n.stateDir, 'overrides.json'))).toBe(false);
  });

  it('an override for 2s ends on every node on time, and its expiry is audited once', async () => {
    const created = await drain(nodes[2]!, 'short', '2s');
    expect(created.status).toBe(201);
    const id = created.body.id!;
    const expiresAt = Date.parse(created.body.expiresAt!);
    await eventually('every node drains main', () => allAnswer(FALLBACK), { timeoutMs: 1000, intervalMs: 20 });
    // Still drained on every node before its end (checked only while it is still before it).
    const early = await allAnswer(FALLBACK);
    if (Date.now() < expiresAt - 100) expect(early).toBe(true);
    await eventually('every node answers from main again', () => allAnswer(MAIN), {
      timeoutMs: Math.max(0, expiresAt - Date.now()) + 1000,
      intervalMs: 20,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    const expiries = await eventually(
      'the expiry audited',
      () => {
        const lines = nodes.flatMap(audit).filter((l) => l.id === id && l.event === 'expired');
        return lines.length > 0 ? lines : null;
      },
      { timeoutMs: 2000, intervalMs: 20 },
    );
    // Every node tried to delete it; only the one whose delete removed it wrote the line.
    expect(expiries).toHaveLength(1);
    expect(expiries?.[0]?.author).toBe('expiry');
    expect((await call(nodes[0]!, 'GET', '/api/v1/overrides')).body.overrides).toEqual([]);
  });

  it('without etcd: the last known overrides keep applying, writes get 503; an expiry meanwhile is audited once etcd is back', async () => {
    const [n1, n2, n3] = nodes as [Node, Node, Node];
    const created = await drain(n1, 'before the outage');
    expect(created.status).toBe(201);
    // Changes no answer (the spare origin is up anyway): only its end is watched.
    const short = await call(n3, 'POST', '/api/v1/overrides', {
      zone: 'ov.test',
      target: 's',
      action: 'force-up',
      reason: 'brief',
      for: '2s',
    });
    expect(short.status).toBe(201);
    await eventually('every node drains main', () => allAnswer(FALLBACK), { timeoutMs: 1000, intervalMs: 20 });
    await Promise.all(etcd.members.map((_, i) => etcd.kill(i)));

    const refused = await drain(n2, 'during the outage');
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('STEER_FLEET_OVERRIDES_WRITE');
    expect(refused.body.error).toMatch(/could not be written to etcd/);
    expect((await call(n1, 'DELETE', `/api/v1/overrides/${created.body.id}`)).status).toBe(503);
    // Nothing changed locally either: the drain still applies, and is still listed.
    expect(await allAnswer(FALLBACK)).toBe(true);
    const listed = async (n: Node) => (await call(n, 'GET', '/api/v1/overrides')).body.overrides?.map((o) => o.id);
    expect(await listed(n2)).toContain(created.body.id);
    // The short one ends on every node at its expiresAt, etcd or not.
    await eventually(
      'the short override ended on every node',
      async () => (await Promise.all(nodes.map(listed))).every((ids) => ids?.length === 1 && ids[0] === created.body.id),
      { timeoutMs: Math.max(0, Date.parse(short.body.expiresAt!) - Date.now()) + 1000, intervalMs: 20 },
    );

    // etcd back: one node deletes the expired key and audits it; every write works again.
    await Promise.all(etcd.members.map((_, i) => etcd.start(i)));
    await etcd.healthy();
    const expiries = await eventually(
      'the expiry audited',
      () => {
        const lines = nodes.flatMap(audit).filter((l) => l.id === short.body.id && l.event === 'expired');
        return lines.length > 0 ? lines : null;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(expiries).toHaveLength(1);
    const removed = await eventually(
      'a delete through n2 goes through',
      async () => {
        const r = await call(n2, 'DELETE', `/api/v1/overrides/${created.body.id}`);
        return r.status === 200 ? r : null;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(removed?.status).toBe(200);
    // Just after an outage a node may still be re-establishing its watch (it re-reads the whole
    // store then): a few heartbeats, not the one second of a node that kept its watch.
    await eventually('every node answers from main again', () => allAnswer(MAIN), { timeoutMs: 5000, intervalMs: 20 });
    expect(nodes.flatMap(audit).filter((l) => l.id === short.body.id && l.event === 'expired')).toHaveLength(1);
  }, 60_000);
});

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
