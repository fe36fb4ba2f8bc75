// docs/conformance.md names, for every behaviour, the tests that prove it. A renamed or removed
// test must not leave the document pointing at nothing: every quoted name must still be a test
// of test/conformance.test.ts ("Conformance:") or a case of the Knot interop suite ("Knot:").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

const conformanceTests = [...read('test/conformance.test.ts').matchAll(/\bit\(\s*'([^']+)'/g)].map((m) => m[1]!);
const knotCases = [...read('test/interop/knot-vs-steerdns.test.ts').matchAll(/\b(?:udp|tcp)\(\s*'([^']+)'/g)].map((m) => m[1]!);

interface Citation {
  readonly suite: 'Conformance' | 'Knot';
  readonly quoted: string;
}

/** Quoted test names in the "proved by" column, by suite ("Conformance: "…"; Knot: "…""). */
function citations(doc: string): Citation[] {
  const out: Citation[] = [];
  for (const row of doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'))) {
    const provedBy = row.split(' | ').at(-1) ?? '';
    // A suite label applies to the quotations after it, up to the next label (a quoted name may
    // itself hold a ";").
    let suite: Citation['suite'] | null = null;
    for (const m of provedBy.matchAll(/\b(Conformance|Knot):|"([^"]+)"/g)) {
      if (m[1] !== undefined) suite = m[1] as Citation['suite'];
      else if (suite !== null) out.push({ suite, quoted: m[2]! });
    }
  }
  return out;
}

/** A quotation may elide with "…": every piece between the ellipses must be in the one name. */
const matches = (quoted: string, name: string): boolean =>
  quoted
    .split('…')
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '')
    .every((piece) => name.includes(piece));

describe('docs/conformance.md cites tests that exist', () => {
  const cited = citations(read('docs/conformance.md'));

  it('reads both suites and the citations', () => {
    expect(conformanceTests.length).toBeGreaterThan(25);
    expect(knotCases.length).toBeGreaterThan(40);
    expect(cited.filter((c) => c.suite === 'Conformance').length).toBeGreaterThan(25);
    expect(cited.filter((c) => c.suite === 'Knot').length).toBeGreaterThan(25);
  });

  it('every quoted name is a test of its suite', () => {
    const missing = cited
      .filter(({ suite, quoted }) => !(suite === 'Conformance' ? conformanceTests : knotCases).some((name) => matches(quoted, name)))
      .map(({ suite, quoted }) => `${suite}: "${quoted}"`);
    expect(missing).toEqual([]);
  });

  it('every conformance test is cited at least once', () => {
    const uncited = conformanceTests.filter((name) => !cited.some((c) => c.suite === 'Conformance' && matches(c.quoted, name)));
    expect(uncited).toEqual([]);
  });

  it('an elided quotation matches only a name holding every piece', () => {
    expect(matches('a normal answer copies ID…', 'a normal answer copies ID, RD and opcode')).toBe(true);
    expect(matches('…TXT RRset…', 'a 650-byte TXT RRset fits')).toBe(true);
    expect(matches('a normal answer drops ID…', 'a normal answer copies ID, RD and opcode')).toBe(false);
  });
});
