// Starts Knot DNS (knotd) as a reference authoritative server: loopback only, a free port from
// the OS, everything (config, zones, rundir, storage, control socket) inside one temp dir.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';
import { eventually } from '../support/eventually.js';

export interface KnotServer {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** Everything knotd has written to stdout/stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface KnotOptions {
  readonly knotd: string;
  /** Directory of `<origin>.zone` files; each becomes a Knot zone. */
  readonly zonesDir: string;
  readonly host?: string;
  readonly readyTimeoutMs?: number;
}

export function knotConfig(dir: string, host: string, port: number, origins: readonly string[]): string {
  // Knot's defaults are what we compare against, with two exceptions: ECS is switched on (off by
  // default in Knot) so its echo can be compared, and one worker of each kind keeps the footprint
  // small on a CI box. No journal and no zone-file flushing: the zone files are read-only input.
  return `server:
    rundir: "${dir}"
    listen: ${host}@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    edns-client-subnet: on
control:
    listen: "${path.join(dir, 'knot.sock')}"
log:
  - target: stdout
    any: info
database:
    storage: "${dir}"
template:
  - id: default
    storage: "${dir}/zones"
    file: "%s.zone"
    journal-content: none
    zonefile-sync: -1
    zonefile-load: whole
zone:
${origins.map((o) => `  - domain: ${o}`).join('\n')}
`;
}

/** Copy the zone files into a temp dir, write a config, start knotd and wait until every zone answers. */
export async function startKnot(opts: KnotOptions): Promise<KnotServer> {
  const host = opts.host ?? '127.0.0.1';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-knot-'));
  const zoneDir = path.join(dir, 'zones');
  const origins: string[] = [];
  try {
    // Copy (not point at) the fixtures: Knot owns its storage directory and may write next to them.
    mkdirSync(zoneDir);
    for (const file of readdirSync(opts.zonesDir).sort()) {
      if (!file.endsWith('.zone')) continue;
      copyFileSync(path.join(opts.zonesDir, file), path.join(zoneDir, file));
      origins.push(file.slice(0, -'.zone'.length));
    }
    if (origins.length === 0) throw new Error(`no .zone files in ${opts.zonesDir}`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const port = await freePort(host);
  const configPath = path.join(dir, 'knot.conf');
  writeFileSync(configPath, knotConfig(dir, host, port, origins));

  // Ready = every zone's SOA answers authoritatively (zones load asynchronously after bind).
  const daemon = await startDaemon('knotd', opts.knotd, ['-c', configPath], dir, () =>
    eventually(
      `knotd on ${host}:${port} to serve ${origins.join(', ')}`,
      async () => {
        for (const origin of origins) {
          const reply = decode(await udpExchange(host, port, buildQuery({ name: origin, type: 'SOA', rd: false }), 300));
          if (reply.rcode !== 'NOERROR' || !reply.flag_aa || reply.answers.length !== 1) return false;
        }
        return true;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 15_000, intervalMs: 50 },
    ),
  );
  return { host, port, dir, log: daemon.log, stop: daemon.stop };
}

/**
 * Knot and steerdns serving the same zones for the enclosing describe block, started before its
 * tests and stopped after them. `knotd` is read only when the block runs (it is skipped without).
 */
export function knotAndSteerdns(knotd: () => string, zonesDir: string): { knot?: KnotServer; steer?: TestServer } {
  const servers: { knot?: KnotServer; steer?: TestServer } = {};
  beforeAll(async () => {
    [servers.knot, servers.steer] = await Promise.all([
      startKnot({ knotd: knotd(), zonesDir }),
      startTestServer({ zonesDir, watch: false, probe: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([servers.knot?.stop(), servers.steer?.close()]);
  });
  return servers;
}
