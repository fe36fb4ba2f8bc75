#!/usr/bin/env node
// Builds the batched UDP addon (native/udp_batch.c → native/build/Release/udp_batch.node) with
// node-gyp. Run by npm's "install" script, so it runs on `npm install`/`npm ci` in this checkout
// and when steerdns is installed as a package (a "prepare" script would not run there).
//
// It never fails the install: without Linux, a C compiler, make or python3, or with a build
// error, it says why and exits 0, and the server uses node:dgram (`--udp-io auto`). The build
// runs in a scratch directory and only a finished addon replaces the old one, so a failed
// rebuild never removes a working addon.
//
//   STEERDNS_SKIP_NATIVE=1     do not build
//   STEERDNS_NATIVE_DEST=DIR   put udp_batch.node in DIR instead of native/build/Release
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dest = process.env.STEERDNS_NATIVE_DEST || path.join(root, 'native', 'build', 'Release');
const say = (text) => process.stderr.write(`steerdns: ${text}\n`);
const fallBack = (why) => {
  say(`batched UDP addon not built: ${why}`);
  say('the server will use node:dgram for UDP (--udp-io auto); everything else is unaffected');
  process.exit(0);
};

if (process.env.STEERDNS_SKIP_NATIVE === '1') fallBack('STEERDNS_SKIP_NATIVE=1');
if (process.platform !== 'linux') fallBack(`recvmmsg/sendmmsg are Linux system calls (this is ${process.platform})`);
if (!existsSync(path.join(root, 'native', 'udp_batch.c'))) fallBack('native/udp_batch.c is missing from this copy');

/** node-gyp: the one npm names for install scripts, npm's own, or an installed package. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath)
    candidates.push(path.resolve(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(
    path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package
  }
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

const nodeGyp = findNodeGyp();
if (nodeGyp === null) fallBack('node-gyp was not found (it comes with npm)');

// The running Node's own headers when it has them (Debian's nodejs, the official images, nvm):
// no download, and they match the runtime exactly. Otherwise node-gyp fetches them.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir = existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'steerdns-native-'));
try {
  cpSync(path.join(root, 'native', 'udp_batch.c'), path.join(scratch, 'udp_batch.c'));
  cpSync(path.join(root, 'native', 'binding.gyp'), path.join(scratch, 'binding.gyp'));
  const args = [nodeGyp, 'rebuild', '--directory', scratch, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const run = spawnSync(process.execPath, args, { cwd: scratch, encoding: 'utf8', timeout: 300_000 });
  const built = path.join(scratch, 'build', 'Release', 'udp_batch.node');
  if (run.status !== 0 || !existsSync(built)) {
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n');
    const lines = output.filter((l) => /error|not found|No such|ENOENT|gyp ERR/i.test(l)).slice(0, 8);
    const why = run.error ? run.error.message : (lines.length > 0 ? lines : output.slice(-8)).join('\n  ');
    rmSync(scratch, { recursive: true, force: true });
    fallBack(`node-gyp failed:\n  ${why}`);
  }
  mkdirSync(dest, { recursive: true });
  // Copy next to the target, then rename: a running server never sees half a file.
  const temp = path.join(dest, `.udp_batch.node.${process.pid}`);
  copyFileSync(built, temp);
  renameSync(temp, path.join(dest, 'udp_batch.node'));
  say(`batched UDP addon built: ${path.relative(root, path.join(dest, 'udp_batch.node')) || dest}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
