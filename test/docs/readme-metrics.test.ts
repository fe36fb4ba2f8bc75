// The README's metrics table is the operator's reference: every metric name the code registers
// must be in it, and every steerdns_ name it lists must still exist.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Metric names as registered: string literals 'steerdns_…' in the source. */
function registeredNames(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'(steerdns_[a-z0-9_]+)'/g)) names.add(m[1]!);
  }
  return names;
}

describe('README metrics reference', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('### Troubleshooting'));
  const documented = new Set([...section.matchAll(/`(steerdns_[a-z0-9_]+)`/g)].map((m) => m[1]!));
  const registered = registeredNames();

  it('finds the metrics section and the registered names', () => {
    expect(section.length).toBeGreaterThan(100);
    expect(registered.has('steerdns_queries_total')).toBe(true);
    expect(registered.size).toBeGreaterThan(20);
  });

  it('documents every metric the server registers', () => {
    expect([...registered].filter((n) => !documented.has(n))).toEqual([]);
  });

  it('documents no metric that does not exist', () => {
    expect([...documented].filter((n) => !registered.has(n))).toEqual([]);
  });
});
