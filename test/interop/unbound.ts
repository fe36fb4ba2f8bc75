// Starts Unbound as a recursive resolver in front of steerdns: loopback only, a free port from the
// OS, config, pidfile and working directory inside one temp dir. The stub-zone and ECS settings
// are the ones docs/deploy.md's "Check with a local Unbound" step shows; the guard settings below
// them keep Unbound from ever sending a packet off the machine.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dig } from './dig.js';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';
import { eventually } from '../support/eventually.js';

export interface StubZone {
  /** Zone origin, e.g. "example.com." */
  readonly name: string;
  /** Authoritative server (steerdns) for the zone. */
  readonly host: string;
  readonly port: number;
}

export interface UnboundOptions {
  readonly unbound: string;
  /** dig binary, used to wait until Unbound answers. */
  readonly dig: string;
  readonly stubs: readonly StubZone[];
  readonly readyTimeoutMs?: number;
  /** DNSSEC: trust anchors ("zone. DNSKEY 257 3 13 ..." or DS lines); with any, the validator runs. */
  readonly trustAnchors?: readonly string[];
  /** The first stub's SOA status that means "ready" (default NOERROR; SERVFAIL for a resolver meant to fail validation). */
  readonly readyStatus?: string;
  /** Ask the stub zones over TCP only (tcp-upstream). */
  readonly tcpUpstream?: boolean;
}

export interface UnboundResolver {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** Everything unbound has written so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * unbound.conf for a loopback resolver whose stub zones point at steerdns, with ECS sent to every
 * loopback authority: the client's own address cut to /24, or the client's ECS when it sends one.
 */
export function unboundConfig(
  dir: string,
  port: number,
  stubs: readonly StubZone[],
  dnssec: { trustAnchors?: readonly string[]; tcpUpstream?: boolean } = {},
): string {
  const anchors = dnssec.trustAnchors ?? [];
  // The validator sits between the subnet cache and the iterator (Unbound's documented order).
  const modules = anchors.length > 0 ? 'subnetcache validator iterator' : 'subnetcache iterator';
  const anchorText = anchors.map((a) => `    trust-anchor: "${a}"\n`).join('');
  const tcpText = dnssec.tcpUpstream ? '    tcp-upstream: yes\n' : '';
  const stubText = stubs.map((s) => `stub-zone:\n    name: "${s.name}"\n    stub-addr: ${s.host}@${s.port}\n`).join('');
  const transparent = stubs.map((s) => `    local-zone: "${s.name}" transparent\n`).join('');
  return `server:
    verbosity: 1
    interface: 127.0.0.1
    port: ${port}
    do-daemonize: no
    use-syslog: no
    logfile: ""
    chroot: ""
    username: ""
    directory: "${dir}"
    pidfile: "${path.join(dir, 'unbound.pid')}"
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    # steerdns listens on loopback, which Unbound refuses to query unless told otherwise.
    do-not-query-localhost: no

    # EDNS Client Subnet: the subnetcache module adds ECS to queries for the listed authorities
    # (the client's address cut to max-client-subnet-ipv4 bits) and caches answers per scope.
    module-config: "${modules}"
    send-client-subnet: 127.0.0.0/8
    max-client-subnet-ipv4: 24
    # A client's own ECS option (dig +subnet=...) is passed on as well.
    client-subnet-always-forward: yes

    # Short negative caching so a test never waits on a remembered NODATA.
    cache-max-negative-ttl: 1

    # Guards for a test resolver: every outgoing query leaves from 127.0.0.1 over IPv4, and any
    # name outside the stub zones is refused locally instead of being resolved from the root.
    outgoing-interface: 127.0.0.1
    do-ip6: no
    local-zone: "." refuse
${transparent}${anchorText}${tcpText}
remote-control:
    control-enable: no

${stubText}`;
}

/** Write a config, start unbound in the foreground and wait until it answers for the first stub. */
export async function startUnbound(opts: UnboundOptions): Promise<UnboundResolver> {
  const first = opts.stubs[0];
  if (!first) throw new Error('startUnbound needs at least one stub zone');
  const host = '127.0.0.1';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-unbound-'));
  const port = await freePort(host);
  const configPath = path.join(dir, 'unbound.conf');
  writeFileSync(configPath, unboundConfig(dir, port, opts.stubs, { trustAnchors: opts.trustAnchors, tcpUpstream: opts.tcpUpstream }));

  // -d: stay in the foreground; -p: no pidfile games; -c: only our config. Ready = the first
  // stub's SOA resolves through Unbound (so the stub path works end to end).
  const daemon = await startDaemon('unbound', opts.unbound, ['-d', '-p', '-c', configPath], dir, () =>
    eventually(
      `unbound on ${host}:${port} to resolve ${first.name} SOA`,
      async () => (await dig(opts.dig, host, port, [first.name, 'SOA'], 3000)).status === (opts.readyStatus ?? 'NOERROR'),
      { timeoutMs: opts.readyTimeoutMs ?? 15_000, intervalMs: 100 },
    ),
  );
  return { host, port, dir, log: daemon.log, stop: daemon.stop };
}
