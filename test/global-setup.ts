// Compiles the shipped code once per test run, into a temporary directory of its own: tests that
// spawn the CLI or load dist modules all use this one build, and the repository's dist/ (what
// `npm start` runs) is never written by a test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compiled src/ (tsconfig.build.json), e.g. `${distDir}/cli/bin.js`. */
    distDir: string;
  }
}

/** One build per vitest process, whatever the number of projects (vitest.config.ts) that ask. */
interface SharedBuild {
  root: string;
  distDir: string;
  users: number;
}
const shared = globalThis as { steerdnsTestBuild?: SharedBuild };

export default function setup(project: TestProject): () => void {
  shared.steerdnsTestBuild ??= { ...buildOnce(), users: 0 };
  const build = shared.steerdnsTestBuild;
  build.users++;
  project.provide('distDir', build.distDir);
  return () => {
    if (--build.users > 0) return;
    fs.rmSync(build.root, { recursive: true, force: true });
    shared.steerdnsTestBuild = undefined;
  };
}

function buildOnce(): { root: string; distDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-test-build-'));
  const distDir = path.join(root, 'dist');
  const tsc = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', distDir],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  // Type errors are the typecheck's business (and other work in a shared checkout may be half
  // done); what matters here is that the JavaScript came out.
  if (!fs.existsSync(path.join(distDir, 'cli'))) {
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`test build failed:\n${tsc.stdout}${tsc.stderr}`);
  }
  // The layout the package has: dist/ next to package.json (ESM, the version) and node_modules
  // (the CLI's dependencies resolve by walking up from dist/).
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  // The batched UDP addon, where the loader looks for it from dist/ (when it is built).
  fs.symlinkSync(path.join(repoRoot, 'native'), path.join(root, 'native'), 'dir');
  return { root, distDir };
}
