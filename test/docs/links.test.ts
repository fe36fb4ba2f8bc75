// The README and docs/ link to each other and into the repository: every relative link must name
// a file that exists, and a #anchor must be a heading of the target, as GitHub renders it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { anchorsOf, githubSlug, isExternal, linksOf } from '../support/markdown.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const documents = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const anchorCache = new Map<string, Set<string>>();
function anchorsIn(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(file, 'utf8'));
    anchorCache.set(file, anchors);
  }
  return anchors;
}

/** What is wrong with one relative link of `from` (a repository-relative path), or null. */
function brokenLink(from: string, target: string): string | null {
  const hash = target.indexOf('#');
  const file = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
  const resolved = file === '' ? path.join(root, from) : path.resolve(path.dirname(path.join(root, from)), decodeURIComponent(file));
  if (!resolved.startsWith(root + path.sep)) return 'points outside the repository';
  if (!existsSync(resolved)) return `${path.relative(root, resolved)} does not exist`;
  if (anchor === null) return null;
  if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) return 'an anchor into something that is not a Markdown file';
  return anchorsIn(resolved).has(anchor) ? null : `no heading with anchor #${anchor} in ${path.relative(root, resolved)}`;
}

describe('links in README.md and docs/', () => {
  it('finds the documents and their links', () => {
    expect(documents).toContain('docs/operations.md');
    const total = documents.reduce((n, d) => n + linksOf(readFileSync(path.join(root, d), 'utf8')).length, 0);
    expect(total).toBeGreaterThan(20);
  });

  it.each(documents)('every relative link in %s resolves', (doc) => {
    const problems = linksOf(readFileSync(path.join(root, doc), 'utf8'))
      .filter((l) => !isExternal(l.target))
      .map((l) => ({ ...l, problem: brokenLink(doc, l.target) }))
      .filter((l) => l.problem !== null)
      .map((l) => `${doc}:${l.line}: ${l.target}: ${l.problem}`);
    expect(problems).toEqual([]);
  });

  it('README stays a front page: at most 12 KB, the reference lives in docs/', () => {
    expect(readFileSync(path.join(root, 'README.md')).length).toBeLessThanOrEqual(12 * 1024);
  });
});

describe('the link checker itself', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Response rate limiting (UDP): off by default')).toBe('response-rate-limiting-udp-off-by-default');
    expect(githubSlug('The `--workers` flag — and [more](x.md)')).toBe('the---workers-flag--and-more');
    expect(githubSlug('HTTP API and status page')).toBe('http-api-and-status-page');
    expect(githubSlug('_Every core_')).toBe('every-core');
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const anchors = anchorsOf('# A\n\n## Usage\n\n```sh\n# not a heading\n```\n\n## Usage\n');
    expect([...anchors]).toEqual(['a', 'usage', 'usage-1']);
  });

  it('reports a missing file and a missing anchor, and skips links in code', () => {
    const links = linksOf('[ok](docs/zones.md) `[in code](nowhere.md)` [x](https://example.com)\n```\n[fenced](gone.md)\n```\n');
    expect(links.map((l) => l.target)).toEqual(['docs/zones.md', 'https://example.com']);
    expect(brokenLink('README.md', 'docs/zones.md')).toBeNull();
    expect(brokenLink('README.md', 'docs/no-such-file.md')).toMatch(/does not exist/);
    expect(brokenLink('README.md', 'docs/zones.md#no-such-heading')).toMatch(/no heading with anchor #no-such-heading/);
    expect(brokenLink('docs/zones.md', '#reload')).toBeNull();
    expect(brokenLink('docs/zones.md', '../../outside.md')).toMatch(/outside the repository/);
  });
});
