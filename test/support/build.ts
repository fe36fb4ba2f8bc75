// Builds dist/ for tests that spawn the real CLI (the shipped code, not the sources).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'dist/cli/main.js');

export function buildDist(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
}

/**
 * A build of its own under node_modules/.cache/<name> (module resolution still finds
 * node_modules): for tests whose processes start or fork while other test files rebuild dist/,
 * which could otherwise load half-written files. Returns the CLI path; remove() deletes it.
 */
export function privateBuild(name: string): { cli: string; remove(): void } {
  const root = path.join(repoRoot, 'node_modules/.cache', name);
  const cli = path.join(root, 'dist/cli/main.js');
  fs.rmSync(root, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(root, 'dist')],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  // Type errors elsewhere are the typecheck's business; what matters here is that JS came out.
  if (!fs.existsSync(cli)) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
  fs.writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  return { cli, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
