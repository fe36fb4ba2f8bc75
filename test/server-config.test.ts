// `steerdns serve --config FILE` end to end: the built CLI, started from a config file on port 0,
// answering over UDP; a SIGHUP applies a live change, names a restart-only one, and a broken
// file at SIGHUP keeps the server running with what it had.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliPath, repoRoot } from './support/build.js';
import { buildQuery, decode, udpExchange } from './support/dns-client.js';
import { type ServedCli, serveCli, stopCli } from './support/serve-cli.js';

const zoneText = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   192.0.2.2
`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-config-e2e-'));
  fs.mkdirSync(path.join(dir, 'zones'));
  fs.writeFileSync(path.join(dir, 'zones', 'conf.test.zone'), zoneText);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = (extra: string, workers = 1): string =>
  `zones: zones\ngeoip: off\nhttp: 127.0.0.1:0\nworkers: ${workers}\nlog_level: info\n${extra}`;

async function answersWww(port: number): Promise<string[]> {
  const reply = decode(await udpExchange('127.0.0.1', port, buildQuery({ name: 'www.conf.test', type: 'A' })));
  return reply.answers.map((a) => String(a.data));
}

const logged = (cli: ServedCli, test: (entry: Record<string, unknown>) => boolean): Record<string, unknown>[] => cli.lines.filter(test);
const msgIs = (text: string | RegExp) => (e: Record<string, unknown>) =>
  typeof text === 'string' ? e.msg === text : text.test(String(e.msg ?? ''));

describe('serve --config', () => {
  it('serves from the file, applies log_level on SIGHUP, names restart-only changes, survives a broken file', async () => {
    const file = path.join(dir, 'steerdns.yaml');
    fs.writeFileSync(file, config('tcp:\n  max_queries: 100\n'));
    // serveCli adds --zones/--geoip/--listen flags; the zones path given here is the file's own
    // (relative to it) spelt out, so the flag and the file agree.
    const cli = await serveCli(path.join(dir, 'zones'), ['--config', file], { expectHttp: true });
    try {
      expect(await answersWww(cli.dnsPort)).toEqual(['192.0.2.2']);
      // At info, HTTP requests are not logged (they are at debug).
      await fetch(`${cli.httpUrl}/healthz`);
      await fetch(`${cli.httpUrl}/healthz`);
      expect(logged(cli, msgIs('http request'))).toEqual([]);

      fs.writeFileSync(file, config('tcp:\n  max_queries: 5\n').replace('log_level: info', 'log_level: debug'));
      cli.child.kill('SIGHUP');
      await vi.waitFor(() => expect(logged(cli, msgIs('setting log_level changed: applied'))).toHaveLength(1), { timeout: 10_000 });
      const restart = logged(cli, msgIs(/^setting tcp\.max_queries changed/));
      expect(restart).toHaveLength(1);
      expect(restart[0]).toMatchObject({ level: 40, setting: 'tcp.max_queries', from: 100, to: 5 });
      expect(String(restart[0]!.msg)).toContain('needs a restart');
      // The HTTP component's logger follows the new level.
      await vi.waitFor(
        async () => {
          await fetch(`${cli.httpUrl}/healthz`);
          expect(logged(cli, msgIs('http request')).length).toBeGreaterThan(0);
        },
        { timeout: 10_000 },
      );

      // A broken file: errors with file:line, the previous settings stay, queries are answered.
      fs.writeFileSync(file, `${config('')}\nlog_levle: warn\n`);
      cli.child.kill('SIGHUP');
      await vi.waitFor(() => expect(logged(cli, msgIs(/previous settings stay in force/))).toHaveLength(1), { timeout: 10_000 });
      const unknown = logged(cli, msgIs(/unknown key/));
      expect(unknown).toHaveLength(1);
      expect(String(unknown[0]!.msg)).toMatch(
        new RegExp(`^${file.replace(/[.]/g, '\\.')}:7: log_levle: unknown key \\(did you mean "log_level"\\?\\)`),
      );
      expect(cli.child.exitCode).toBeNull();
      expect(await answersWww(cli.dnsPort)).toEqual(['192.0.2.2']);
      const before = logged(cli, msgIs('http request')).length;
      await vi.waitFor(
        async () => {
          await fetch(`${cli.httpUrl}/healthz`);
          expect(logged(cli, msgIs('http request')).length).toBeGreaterThan(before);
        },
        { timeout: 10_000 },
      );
    } finally {
      expect(await stopCli(cli.child)).toBe(0);
    }
  });

  it('with workers, every process applies a live change', async () => {
    const file = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(file, config('', 2));
    const cli = await serveCli(path.join(dir, 'zones'), ['--config', file], { expectHttp: true });
    try {
      await vi.waitFor(() => expect(new Set(logged(cli, msgIs(/^listening/)).map((e) => e.pid)).size).toBe(2), { timeout: 15_000 });
      fs.writeFileSync(file, config('', 2).replace('log_level: info', 'log_level: debug'));
      cli.child.kill('SIGHUP');
      // The primary and both workers (each logs with its own pid).
      await vi.waitFor(() => expect(new Set(logged(cli, msgIs('setting log_level changed: applied')).map((e) => e.pid)).size).toBe(3), {
        timeout: 10_000,
      });
      expect(await answersWww(cli.dnsPort)).toEqual(['192.0.2.2']);
    } finally {
      expect(await stopCli(cli.child)).toBe(0);
    }
  });

  it('refuses to start on a broken file, naming file:line', () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'zones: zones\nworkers: lots\n');
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--config', file], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:2: workers: expected number, got "lots"`);
  });

  it('check takes --config too, and --version and help COMMAND work from the built CLI', () => {
    const file = path.join(dir, 'check.yaml');
    fs.writeFileSync(file, 'zones: zones\ngeoip: off\n');
    const check = spawnSync(process.execPath, [cliPath(), 'check', '--config', file], {
      cwd: os.tmpdir(),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/zone conf\.test: serial 1/);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const version = spawnSync(process.execPath, [cliPath(), '--version'], { encoding: 'utf8' });
    expect(version.stdout).toBe(`steerdns ${pkg.version}\n`);
    const help = spawnSync(process.execPath, [cliPath(), 'help', 'explain'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/steerdns explain/);
    expect(help.stdout).not.toMatch(/steerdns serve/);
  });
});
