// scripts/build-native.mjs, the npm "install" script: it builds the batched UDP addon when it can
// and otherwise says why and exits 0, so `npm install` never fails because of it. Builds go to a
// directory of the test's own (STEERDNS_NATIVE_DEST): the repository's addon is never touched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUdpBatchAddon } from '../src/transport/udp-batch-addon.js';
import { repoRoot } from './support/build.js';
import { findTool, requireTools } from './interop/tools.js';

const script = path.join(repoRoot, 'scripts/build-native.mjs');
let dest: string;
beforeAll(() => {
  dest = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-native-test-'));
});
afterAll(() => fs.rmSync(dest, { recursive: true, force: true }));

function run(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [script], {
    env: { ...process.env, STEERDNS_NATIVE_DEST: dest, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('the install script', () => {
  it('a failing compiler leaves no addon, says why and still exits 0', () => {
    const r = run({ CC: findTool('false') ?? '/bin/false' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('batched UDP addon not built: node-gyp failed');
    expect(r.stderr).toContain('the server will use node:dgram');
    expect(fs.existsSync(path.join(dest, 'udp_batch.node'))).toBe(false);
  });

  it('STEERDNS_SKIP_NATIVE=1 builds nothing and exits 0', () => {
    const r = run({ STEERDNS_SKIP_NATIVE: '1' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('not built: STEERDNS_SKIP_NATIVE=1');
  });

  const compilers = process.platform === 'linux' ? requireTools(['cc', 'make', 'python3'], 'native addon build') : null;
  it.skipIf(!compilers)('with a compiler it builds an addon the loader accepts', () => {
    const r = run({});
    expect(r.status, r.stderr).toBe(0);
    const load = loadUdpBatchAddon(path.join(dest, 'udp_batch.node'));
    expect(load.addon?.statNames).toContain('received');
  });
});
