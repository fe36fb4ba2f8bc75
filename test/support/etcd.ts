// A real etcd cluster (the Debian etcd-server binary) for fleet tests: N members on loopback
// ports in a temporary directory, each of which can be killed and started again on its data.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../interop/ports.js';
import { eventually } from './eventually.js';

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  running(): boolean;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Client URLs, comma-separated (the --etcd value). */
  readonly urls: string;
  /** SIGKILL one member. */
  kill(index: number): Promise<void>;
  /** Start a stopped member again on its data directory. */
  start(index: number): Promise<void>;
  /** Every member answers /health. */
  healthy(): Promise<void>;
  close(): Promise<void>;
}

interface MemberState {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  child: ChildProcess | null;
  output: string;
}

export async function startEtcdCluster(binary: string, size = 3): Promise<EtcdCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-etcd-'));
  const states: MemberState[] = [];
  for (let i = 0; i < size; i++) {
    const name = `e${i}`;
    states.push({
      name,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: path.join(dir, name),
      child: null,
      output: '',
    });
  }
  const initialCluster = states.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const launch = (s: MemberState): void => {
    const child = spawn(
      binary,
      [
        '--name',
        s.name,
        '--data-dir',
        s.dataDir,
        '--listen-client-urls',
        s.clientUrl,
        '--advertise-client-urls',
        s.clientUrl,
        '--listen-peer-urls',
        s.peerUrl,
        '--initial-advertise-peer-urls',
        s.peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        path.basename(dir),
        // Quick elections: a test kills members and waits for a leader.
        '--heartbeat-interval',
        '50',
        '--election-timeout',
        '500',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (s.output = (s.output + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (s.output = (s.output + d.toString()).slice(-4000)));
    child.once('exit', () => {
      if (s.child === child) s.child = null;
    });
    s.child = child;
  };
  const memberHealthy = async (s: MemberState): Promise<boolean> => {
    const res = await fetch(`${s.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  };
  const stop = async (s: MemberState): Promise<void> => {
    const child = s.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  for (const s of states) launch(s);
  const cluster: EtcdCluster = {
    members: states.map((s) => ({ name: s.name, clientUrl: s.clientUrl, running: () => s.child !== null })),
    urls: states.map((s) => s.clientUrl).join(','),
    kill: (i) => stop(states[i]!),
    async start(i) {
      const s = states[i]!;
      if (s.child === null) launch(s);
    },
    async healthy() {
      for (const s of states) {
        await eventually(`etcd ${s.name} healthy (${s.output.slice(-300)})`, () => memberHealthy(s), {
          timeoutMs: 15_000,
          intervalMs: 100,
        });
      }
    },
    async close() {
      await Promise.all(states.map(stop));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.healthy();
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

export interface FleetMemberOptions {
  readonly node: string;
  readonly site: string;
  /** --etcd-prefix: one per test file, so files sharing a cluster never see each other. */
  readonly prefix: string;
  /** --probe-source: the loopback address this node probes from (backends tell nodes apart by it). */
  readonly probeSource?: string;
  readonly probersPerSite?: number;
  /** --fleet-grace 1 (a lost member's shard is taken over after a second). */
  readonly shortGrace?: boolean;
}

/**
 * The `serve` flags that make a fleet member of `etcd`, with a 2 s lease so a lost member shows
 * within seconds.
 */
export function fleetMemberArgs(etcd: EtcdCluster, o: FleetMemberOptions): string[] {
  return [
    '--etcd',
    etcd.urls,
    '--node',
    o.node,
    '--site',
    o.site,
    '--etcd-prefix',
    o.prefix,
    ...(o.probersPerSite === undefined ? [] : ['--probers-per-site', String(o.probersPerSite)]),
    '--fleet-lease-ttl',
    '2',
    ...(o.shortGrace === true ? ['--fleet-grace', '1'] : []),
    ...(o.probeSource === undefined ? [] : ['--probe-source', o.probeSource]),
  ];
}
