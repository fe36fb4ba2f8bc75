// docs/operations.md documents every command-line flag and every config file key, and nothing
// that does not exist: both lists come from the code (cli/args.ts, config/server-config.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_FLAGS, FLAG_ONLY } from '../../src/cli/args.js';
import { configKeyOfFlag, configKeys, FILE_ONLY_KEYS, LIVE_KEYS } from '../../src/config/server-config.js';
import { repoRoot } from '../support/build.js';

const doc = readFileSync(path.join(repoRoot, 'docs/operations.md'), 'utf8');

/** The text of the `## title` section, up to the next `## `. */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/operations.md has no "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** First-column cells of the table rows of `text`: `| \`--zones DIR\` | ...` → ['--zones DIR']. */
function firstCells(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...(l.split(' | ')[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe('docs/operations.md', () => {
  it('documents every flag in the command line table, and no flag that does not exist', () => {
    const documented = new Set(
      firstCells(section('Command line'))
        .filter((c) => c.startsWith('-'))
        .flatMap((c) => c.split(/[ ,]+/).filter((w) => w.startsWith('--')))
        .map((w) => w.slice(2)),
    );
    // --client is documented in the explain row of the commands table (a question, not a setting).
    const expected = Object.keys(CLI_FLAGS).filter((f) => f !== 'client');
    expect([...documented].sort()).toEqual(expected.sort());
    expect(section('Command line')).toContain('--client');
  });

  it('documents every config key with its flag and whether SIGHUP applies it, and no key that does not exist', () => {
    const rows = section('Configuration file')
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split(' | ').map((c) => c.replace(/^\| /, '').trim()));
    const byKey = new Map(rows.map((r) => [r[0]!.replace(/`/g, ''), r]));
    expect([...byKey.keys()].sort()).toEqual([...configKeys()].sort());
    const flagOfKey = new Map(
      Object.keys(CLI_FLAGS)
        .filter((f) => !(f in FLAG_ONLY))
        .map((f) => [configKeyOfFlag(f), f]),
    );
    for (const [key, row] of byKey) {
      expect(row[1], key).toBe(key in FILE_ONLY_KEYS ? '—' : `\`--${flagOfKey.get(key)}\``);
      expect(row[3]?.split(' ')[0], key).toBe(LIVE_KEYS.has(key) ? 'live' : 'restart');
    }
  });

  it('names the commands', () => {
    for (const c of ['serve', 'check', 'explain', 'help', '--version']) expect(section('Command line')).toContain(c);
  });
});
