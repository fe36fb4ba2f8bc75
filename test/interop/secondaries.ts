// Knot DNS and NSD started as secondaries of a steerdns primary: loopback only, a free port
// from the OS, everything (config, zone storage, logs, pid files) in one temp dir. Each pulls
// the zones with TSIG and accepts NOTIFY from the primary.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

export interface SecondaryKey {
  readonly name: string;
  readonly algorithm: 'hmac-sha256' | 'hmac-sha512';
  readonly secret: string;
}

export interface Secondary {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Everything it has logged so far (stdout, stderr and its log file). */
  log(): string;
  stop(): Promise<void>;
}

export interface SecondaryOptions {
  readonly binary: string;
  readonly zones: readonly string[];
  readonly primaryPort: number;
  readonly key: SecondaryKey;
}

interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function run(binary: string, args: readonly string[], cwd: string): Spawned {
  let output = '';
  const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      output += `spawn error: ${err.message}\n`;
      exited = true;
      resolve();
    });
  });
  return {
    child,
    output: () => output,
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(kill);
      }
    },
  };
}

/** knotd with each zone as a secondary of 127.0.0.1@primaryPort, TSIG for transfers and NOTIFY. */
export async function startKnotSecondary(opts: SecondaryOptions): Promise<Secondary> {
  const host = '127.0.0.1';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-knot2-'));
  mkdirSync(path.join(dir, 'zones'));
  const port = await freePort(host);
  const config = path.join(dir, 'knot.conf');
  writeFileSync(
    config,
    `server:
    rundir: "${dir}"
    listen: ${host}@${port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "${path.join(dir, 'knot.sock')}"
log:
  - target: stdout
    any: info
database:
    storage: "${dir}"
key:
  - id: ${opts.key.name}
    algorithm: ${opts.key.algorithm}
    secret: ${opts.key.secret}
remote:
  - id: primary
    address: ${host}@${opts.primaryPort}
    key: ${opts.key.name}
acl:
  - id: notify-from-primary
    address: ${host}
    key: ${opts.key.name}
    action: notify
template:
  - id: default
    storage: "${dir}/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
${opts.zones.map((z) => `  - domain: ${z}\n    master: primary\n    acl: notify-from-primary`).join('\n')}
`,
  );
  const p = run(opts.binary, ['-c', config], dir);
  return {
    name: 'knot',
    host,
    port,
    log: p.output,
    stop: async () => {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nsd in the foreground with each zone as a secondary (request-xfr, allow-notify), TSIG for both. */
export async function startNsdSecondary(opts: SecondaryOptions): Promise<Secondary> {
  const host = '127.0.0.1';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-nsd-'));
  const port = await freePort(host);
  const config = path.join(dir, 'nsd.conf');
  const logFile = path.join(dir, 'nsd.log');
  writeFileSync(
    config,
    `server:
    ip-address: ${host}@${port}
    zonesdir: "${dir}"
    database: ""
    pidfile: "${path.join(dir, 'nsd.pid')}"
    xfrdfile: "${path.join(dir, 'xfrd.state')}"
    zonelistfile: "${path.join(dir, 'zone.list')}"
    xfrdir: "${dir}"
    logfile: "${logFile}"
    username: ""
    chroot: ""
    verbosity: 2
    server-count: 1
    tcp-count: 10
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
key:
    name: "${opts.key.name}"
    algorithm: ${opts.key.algorithm}
    secret: "${opts.key.secret}"
${opts.zones
  .map(
    (z) => `zone:
    name: "${z}"
    zonefile: "${z}.zone"
    request-xfr: ${host}@${opts.primaryPort} ${opts.key.name}
    allow-notify: ${host} ${opts.key.name}
`,
  )
  .join('')}`,
  );
  const p = run(opts.binary, ['-d', '-c', config], dir);
  const fileLog = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    name: 'nsd',
    host,
    port,
    log: () => p.output() + fileLog(),
    stop: async () => {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
