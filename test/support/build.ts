// Paths for tests: the repository, and the build of src/ that test/global-setup.ts made once for
// this run (the shipped code, not the sources) in a temporary directory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The compiled src/ for this test run (never the repository's dist/). */
export function distDir(): string {
  return inject('distDir');
}

/** The built CLI entry point, as `node <cliPath()>` runs it. */
export function cliPath(): string {
  return path.join(distDir(), 'cli/bin.js');
}
