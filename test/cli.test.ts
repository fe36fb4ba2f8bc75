// The shipped CLI (dist/), spawned as an operator would run it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './support/build.js';
import { buildQuery, decode, udpExchange } from './support/dns-client.js';
import { eventually } from './support/eventually.js';
import { stopCli } from './support/serve-cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => spawnSync(process.execPath, [cliPath(), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });

function writeZones(name: string, files: Record<string, string>): string {
  const zones = path.join(dir, name);
  fs.mkdirSync(zones, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(zones, file), text);
  return zones;
}

const goodZone = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   192.0.2.2
`;

/** Start `serve`, wait for its "listening" log line, and return the bound port. */
async function serve(args: string[]): Promise<{ child: ChildProcess; port: number; lines: string[] }> {
  const child = spawn(process.execPath, [cliPath(), 'serve', '--geoip', 'off', '--listen', '127.0.0.1:0', ...args], { cwd: repoRoot });
  const lines: string[] = [];
  const rl = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line; got:\n${lines.join('\n')}`)), 15_000);
    rl.on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg?.startsWith('listening') && entry.port) {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, port, lines };
}

describe('steerdns check', () => {
  it('accepts the shipped example and exits 0', () => {
    const r = run(['check', '--zones', 'zones']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/zone example\.com: serial \d+/);
  });

  it('reports every broken file with file:line and exits non-zero', () => {
    const zones = writeZones('broken', {
      'good.test.zone': goodZone,
      'bad.test.zone': `${goodZone}oops IN A 300.1.1.1\n`,
      'bad.test.lb.yaml': 'load_balancers:\n  www:\n    steering_policy: nearest\n    default_pools: [x]\n',
    });
    const r = run(['check', '--zones', zones, '--geoip', 'off']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(zones, 'bad.test.zone')}:6: `);
    expect(r.stderr).toMatch(/bad\.test\.lb\.yaml:3: .*steering_policy/);
    expect(r.stderr).toMatch(/check failed/);
  });
});

describe('steerdns serve', () => {
  it('serves on the bound port, reloads on SIGHUP, and exits 0 on SIGTERM', async () => {
    const zones = writeZones('serve', { 'serve.test.zone': goodZone });
    const { child, port } = await serve(['--zones', zones, '--http', 'off']);
    try {
      const r = decode(await udpExchange('127.0.0.1', port, buildQuery({ name: 'www.serve.test', type: 'A' })));
      expect(r.rcode).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      fs.writeFileSync(path.join(zones, 'serve.test.zone'), goodZone.replace('192.0.2.2', '192.0.2.3').replace(' 1 3600', ' 2 3600'));
      child.kill('SIGHUP');
      await eventually('new address after SIGHUP', async () => {
        const x = decode(await udpExchange('127.0.0.1', port, buildQuery({ name: 'www.serve.test', type: 'A' })));
        return x.answers[0]?.data === '192.0.2.3';
      });
    } finally {
      expect(await stopCli(child)).toBe(0);
    }
  });

  // One process: "listening" comes before the HTTP listener. Two workers: the first listens
  // while the second is still loading its code.
  it.each([1, 2])('with %i worker(s), survives a SIGHUP sent the moment it logs "listening"', async (workers) => {
    const zones = writeZones(`early-hup-${workers}`, { 'early.test.zone': goodZone });
    const { child, port } = await serve(['--zones', zones, '--http', '127.0.0.1:0', '--workers', String(workers)]);
    child.kill('SIGHUP');
    try {
      const r = decode(await udpExchange('127.0.0.1', port, buildQuery({ name: 'www.early.test', type: 'A' })));
      expect(r.answers[0]?.data).toBe('192.0.2.2');
      expect(child.signalCode).toBeNull();
    } finally {
      expect(await stopCli(child)).toBe(0);
    }
  });

  it('refuses to start on a broken configuration, naming file and line', () => {
    const zones = writeZones('refuse', { 'refuse.test.zone': `${goodZone}www IN CNAME other\n` });
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--zones', zones, '--geoip', 'off', '--listen', '127.0.0.1:0'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refuse\.test\.zone:\d+: .*CNAME/);
    expect(r.stderr).toMatch(/refusing to start/);
  });
});
