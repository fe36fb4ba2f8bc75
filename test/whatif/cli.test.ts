// whatif and scenarios as an operator runs them: the shipped example zones, a candidate with a
// changed geo map, a log with bad lines, the CI gates and their exit codes. One run of each
// command spawns the built CLI; the rest call main() in-process (same code, no process start).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { cliPath, repoRoot } from '../support/build.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';

let dir: string;
let current: string;
let geoip: string;
let log: string;

const spawnRun = (args: string[]) =>
  spawnSync(process.execPath, [cliPath(), ...args, '--geoip', geoip], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });

/** main() with stdout and stderr captured: { status, stdout, stderr } as spawnSync gives them. */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const status = await main([...args, '--geoip', geoip]);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A copy of the shipped zones with `edit` applied to the load-balancer file. */
function candidate(name: string, edit: (yaml: string) => string): string {
  const out = path.join(dir, name);
  fs.cpSync(current, out, { recursive: true });
  const file = path.join(out, 'example.com.lb.yaml');
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
  return out;
}

const line = (ecs: string | null, qname = 'www.example.com', qtype = 'A', ts = 1_796_400_000_000): string =>
  JSON.stringify({ v: 1, ts, transport: 'udp', resolver: '127.0.0.1', ecs, qname, qtype, rcode: 'NOERROR', sample: 1 });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-whatif-cli-'));
  current = path.join(dir, 'current');
  fs.cpSync(path.join(repoRoot, 'zones'), current, { recursive: true });
  geoip = writeTestGeoDb(path.join(dir, 'geo'));
  const lines = [
    line('127.0.1.0/24'), // GB
    line('127.0.1.0/24', 'www.example.com', 'A', 1_796_400_001_000),
    'this is not JSON', // line 3
    line('127.0.3.0/24'), // JP
    JSON.stringify({ v: 1, ts: 1, resolver: '127.0.0.1', qtype: 'A' }), // line 5: no qname
    line('127.0.1.0/24'),
    line(null),
    line(null, 'api.example.com', 'A', 1_796_400_010_000),
  ];
  log = path.join(dir, 'queries.jsonl');
  fs.writeFileSync(log, `${lines.join('\n')}\n`);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('steerdns whatif', () => {
  it('reports pool shares before → after, the changed networks and the bad lines with their line numbers', async () => {
    const cand = candidate('gb-to-us', (y) => y.replace('GB: [eu-west, us-east]', 'GB: [us-east, eu-west]'));
    const r = spawnRun(['whatif', '--zones', current, '--candidate', cand, '--log', log]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/www\.example\.com: 5 queries, 60\.0% move/);
    expect(r.stdout).toMatch(/127\.0\.1\.0\/24\s+GB\s+3\s+www\.example\.com\s+eu-west\/\S+\s+us-east\//);
    expect(r.stdout).toContain(`${log}:3`);
    expect(r.stdout).toContain(`${log}:5`);

    const j = await run(['whatif', '--zones', current, '--candidate', cand, '--log', log, '--format', 'json']);
    const doc = JSON.parse(j.stdout);
    expect(doc.log).toMatchObject({ lines: 8, replayed: 6, bad: 2 });
    expect(doc.log.badLines.map((b: { line: number }) => b.line)).toEqual([3, 5]);
    const www = doc.loadBalancers.find((l: { lb: string }) => l.lb === 'www.example.com');
    expect(www.pools.find((p: { key: string }) => p.key === 'eu-west')).toMatchObject({ before: 3, after: 0 });
    expect(www.countries.find((c: { key: string }) => c.key === 'GB')).toMatchObject({ queries: 3, changed: true });
    expect(www.countries.find((c: { key: string }) => c.key === 'JP')).toMatchObject({ changed: false });

    const md = await run(['whatif', '--zones', current, '--candidate', cand, '--log', log, '--format', 'markdown']);
    expect(md.stdout).toContain('| pool | before | after | change |');
  });

  it('is a CI gate: --fail-if-shift and --fail-if-nodata exit 3 only past their limit', async () => {
    const cand = candidate('gate', (y) => y.replace('GB: [eu-west, us-east]', 'GB: [us-east, eu-west]'));
    expect((await run(['whatif', '--zones', current, '--candidate', cand, '--log', log, '--fail-if-shift', '50'])).status).toBe(3);
    expect((await run(['whatif', '--zones', current, '--candidate', cand, '--log', log, '--fail-if-shift', '70'])).status).toBe(0);
    expect((await run(['whatif', '--zones', current, '--candidate', cand, '--log', log, '--fail-if-nodata'])).status).toBe(0);
    // eu-west left with its IPv6 origin only: A queries steered there get NODATA.
    const v6only = candidate('v6only', (y) => y.replace(/^ {6}- \{ name: euw1-[ab],.*\n/gm, ''));
    const r = await run(['whatif', '--zones', current, '--candidate', v6only, '--log', log, '--fail-if-nodata']);
    expect(r.status, r.stdout).toBe(3);
    expect(r.stdout).toMatch(/answer\s+nodata\s+3/);
  });

  it('prints the same file:line errors as check for a candidate that does not validate, and exits 1', async () => {
    const broken = candidate('broken', (y) => y.replace('GB: [eu-west, us-east]', 'GB: [eu-wset, us-east]'));
    const check = await run(['check', '--zones', broken]);
    const r = await run(['whatif', '--zones', current, '--candidate', broken, '--log', log]);
    expect(r.status).toBe(1);
    const errors = check.stderr.split('\n').filter((l) => l.includes('[STEER_'));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(r.stderr).toContain(e);
    expect(errors[0]).toMatch(/example\.com\.lb\.yaml:\d+: /);
  });

  it('with --strict, the first bad line is fatal', async () => {
    const r = await run(['whatif', '--zones', current, '--candidate', current, '--log', log, '--strict']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${log}:3`);
  });
});

describe('steerdns scenarios', () => {
  it('lists pool and origin failures, and flags a pool pushed past its capacity', async () => {
    const cand = candidate('capacity', (y) => y.replace(/^ {2}us-east:\n/m, '  us-east:\n    capacity: 0.05\n'));
    const r = await run(['scenarios', '--zones', cand, '--log', log, '--format', 'json', '--fail-on-overload']);
    expect(r.status, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    const names = doc.scenarios.map((s: { name: string }) => s.name);
    expect(names).toContain('pool example.com/eu-west down');
    expect(names.some((n: string) => n.startsWith('origin api-a down'))).toBe(true);
    const euDown = doc.scenarios.find((s: { name: string }) => s.name === 'pool example.com/eu-west down');
    expect(euDown).toMatchObject({ flagged: true, overCapacity: ['example.com/us-east'] });
    expect(euDown.moves[0]).toMatchObject({ from: 'example.com/eu-west', to: 'example.com/us-east', queries: 3 });
    const table = await run(['scenarios', '--zones', cand, '--log', log]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/pool example\.com\/eu-west down .*FLAG/);
  });
});
