// The source layout's one rule: imports go from test/ to src/, never back. Shipped code (src/
// without its *.test.ts, compiled by tsconfig.build.json, packed by package.json `files`) holds no
// test helper and no test framework.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/build.js';

const srcDir = path.join(repoRoot, 'src');
const isTestFile = (file: string): boolean => /\.test\.ts$/.test(file);

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier in static imports, re-exports and dynamic import() calls. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|[\s;])import\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

const shipped = tsFiles(srcDir).filter((f) => !isTestFile(f));
const TEST_ONLY_PACKAGES = ['vitest', 'fast-check', '@vitest/', 'playwright-core', 'selfsigned', 'dns-packet'];

describe('imports only go test → src', () => {
  it('finds the shipped sources (guard against an empty walk)', () => {
    expect(shipped.length).toBeGreaterThan(20);
    expect(shipped.map((f) => path.relative(repoRoot, f))).toContain('src/cli/bin.ts');
  });

  it('no non-test file under src/ imports from test/ or a test file', () => {
    const bad: string[] = [];
    for (const file of shipped) {
      for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        const rel = path.relative(repoRoot, target);
        if (rel.startsWith(`test${path.sep}`) || /\.test\.(js|ts)$/.test(rel)) bad.push(`${path.relative(repoRoot, file)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no non-test file under src/ imports a test framework or a test-only package', () => {
    const bad: string[] = [];
    for (const file of shipped) {
      for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
        if (TEST_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(p.endsWith('/') ? p : `${p}/`)))
          bad.push(`${path.relative(repoRoot, file)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the test-only packages are devDependencies, never dependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const deps = Object.keys(pkg.dependencies ?? {});
    expect(deps.filter((d) => TEST_ONLY_PACKAGES.some((p) => d === p || d.startsWith(p)))).toEqual([]);
  });
});

describe('what the build and the package contain', () => {
  it('tsconfig.build.json compiles src/ only, without its *.test.ts', () => {
    const build = JSON.parse(fs.readFileSync(path.join(repoRoot, 'tsconfig.build.json'), 'utf8')) as {
      include?: string[];
      exclude?: string[];
      compilerOptions?: { rootDir?: string };
    };
    expect(build.compilerOptions?.rootDir).toBe('src');
    expect(build.include).toEqual(['src/**/*.ts']);
    expect(build.exclude).toContain('src/**/*.test.ts');
  });

  it('npm pack lists no test file, no source and no test helper', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    const unwanted = files.filter((f) => /^(test|src|scripts|bench|native)\//.test(f) || /\.test\.[cm]?[jt]s(\.map)?$/.test(f));
    expect(unwanted).toEqual([]);
    // Whatever dist/ holds is the compiled src/: no module named like a test helper from test/support.
    const helpers = fs
      .readdirSync(path.join(repoRoot, 'test/support'))
      .filter((f) => f.endsWith('.ts') && !isTestFile(f))
      .map((f) => f.replace(/\.ts$/, '.js'));
    expect(
      files.filter(
        (f) =>
          f.startsWith('dist/') &&
          helpers.includes(path.basename(f)) &&
          !fs.existsSync(path.join(srcDir, f.slice(5).replace(/\.js$/, '.ts'))),
      ),
    ).toEqual([]);
  });
});
