// The metrics table in docs/operations.md is the operator's reference: every metric name the code
// registers must be in it, and every steerdns_ name it lists must still exist.
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

/** The "## Metrics" section of docs/operations.md, up to the next heading of that level. */
function metricsSection(): string {
  const doc = readFileSync(path.join(root, 'docs/operations.md'), 'utf8');
  const start = doc.indexOf('\n## Metrics\n');
  if (start === -1) return '';
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

describe('docs/operations.md metrics reference', () => {
  const section = metricsSection();
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
