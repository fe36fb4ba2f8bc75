// Network namespaces for tests that need a real link between client and server (a veth pair
// with a slow queue on one side), which loopback cannot give. Linux, root, and iproute2's `ip`
// and `tc` only: without them a suite skips with a visible message. Missing tools fail instead
// under STEERDNS_REQUIRE_INTEROP=1 (CI installs them), like the interop suites; missing
// privileges (not root, a container without CAP_SYS_ADMIN/CAP_NET_ADMIN) are the runner's, not
// something CI can install, so they stay a visible skip. Every name and address lives in the
// namespaces made here; nothing is added to the host's own network.
import { spawnSync } from 'node:child_process';
import { findTool, installHint, interopRequired } from '../interop/tools.js';

interface Unavailable {
  readonly why: string;
  /** True when what is missing is a tool CI installs; false for the platform or privileges. */
  readonly installable: boolean;
}

/** Why namespaces cannot be made here, or null when they can (checked once: it makes and removes one). */
function unavailable(): Unavailable | null {
  if (process.platform !== 'linux') return { why: 'network namespaces are Linux only', installable: false };
  if (process.getuid?.() !== 0) return { why: 'network namespaces need root', installable: false };
  const missing = ['ip', 'tc'].filter((t) => findTool(t) === null);
  if (missing.length > 0) return { why: `missing ${missing.join(', ')} (install with: ${installHint(missing)})`, installable: true };
  const probe = `sdns-probe-${process.pid}`;
  const made = spawnSync(findTool('ip')!, ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) {
    return { why: `ip netns add failed: ${made.stderr.trim()} (a container needs CAP_SYS_ADMIN and CAP_NET_ADMIN)`, installable: false };
  }
  spawnSync(findTool('ip')!, ['netns', 'del', probe]);
  return null;
}

/** True when namespaces can be made; otherwise warns once (or throws under CI for a missing tool) and returns false. */
export function netnsAvailable(suite: string): boolean {
  const missing = unavailable();
  if (missing === null) return true;
  const message = `${suite}: ${missing.why}`;
  if (missing.installable && interopRequired())
    throw new Error(`${message}. STEERDNS_REQUIRE_INTEROP=1, so this suite fails instead of skipping.`);
  console.warn(`[skipped] ${message}. (Set STEERDNS_REQUIRE_INTEROP=1 to make this a failure.)`);
  return false;
}

/** Runs `ip ARGS` (or `tc ARGS` with tool 'tc'); throws with its stderr when it fails. */
export function iproute(tool: 'ip' | 'tc', args: readonly string[]): string {
  const r = spawnSync(findTool(tool)!, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr.trim() || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}

/** The command line that runs `argv` inside namespace `ns`. */
export function inNamespace(ns: string, argv: readonly string[]): [string, string[]] {
  return [findTool('ip')!, ['netns', 'exec', ns, ...argv]];
}

export interface VethLink {
  /** Namespace names: the server's and the client's. */
  readonly server: string;
  readonly client: string;
  /** The server side's interface, where its egress queue is shaped. */
  readonly serverDevice: string;
  readonly serverAddress: string;
  readonly clientAddress: string;
  /** IPv6 on the same link (`prefix6`::1 server, ::2 client), when asked for; else null. */
  readonly serverAddress6: string | null;
  readonly clientAddress6: string | null;
}

/**
 * Two namespaces joined by a veth pair on a /30 (`prefix`.1 server, `prefix`.2 client), and with
 * `prefix6` on a /64 too (a unique local prefix such as "fd00:213:0:1"), loopback up in both.
 * `tag` keeps the names of parallel runs apart.
 */
export function makeVethLink(tag: string, prefix: string, prefix6: string | null = null): VethLink {
  const link: VethLink = {
    server: `sdns-${tag}-srv`,
    client: `sdns-${tag}-cli`,
    serverDevice: 'veth-srv',
    serverAddress: `${prefix}.1`,
    clientAddress: `${prefix}.2`,
    serverAddress6: prefix6 === null ? null : `${prefix6}::1`,
    clientAddress6: prefix6 === null ? null : `${prefix6}::2`,
  };
  removeNamespaces([link.server, link.client]);
  iproute('ip', ['netns', 'add', link.server]);
  iproute('ip', ['netns', 'add', link.client]);
  iproute('ip', ['-n', link.server, 'link', 'add', link.serverDevice, 'type', 'veth', 'peer', 'name', 'veth-cli', 'netns', link.client]);
  iproute('ip', ['-n', link.server, 'addr', 'add', `${link.serverAddress}/30`, 'dev', link.serverDevice]);
  iproute('ip', ['-n', link.client, 'addr', 'add', `${link.clientAddress}/30`, 'dev', 'veth-cli']);
  if (link.serverAddress6 !== null && link.clientAddress6 !== null) {
    // nodad: usable at once, without the seconds of duplicate address detection.
    iproute('ip', ['-n', link.server, '-6', 'addr', 'add', `${link.serverAddress6}/64`, 'dev', link.serverDevice, 'nodad']);
    iproute('ip', ['-n', link.client, '-6', 'addr', 'add', `${link.clientAddress6}/64`, 'dev', 'veth-cli', 'nodad']);
  }
  for (const [ns, dev] of [
    [link.server, link.serverDevice],
    [link.client, 'veth-cli'],
    [link.server, 'lo'],
    [link.client, 'lo'],
  ] as const) {
    iproute('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  }
  return link;
}

/** Deletes the namespaces that exist among `names` (their veth ends go with them); never throws. */
export function removeNamespaces(names: readonly string[]): void {
  const ip = findTool('ip');
  if (ip === null) return;
  const existing = spawnSync(ip, ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const name of names) {
    if (existing.split('\n').some((l) => l.split(' ')[0] === name)) spawnSync(ip, ['netns', 'del', name]);
  }
}
