// Property tests for the load-balancer file loader: whatever the bytes — a mutated copy
// of the shipped example, arbitrary YAML documents, near-valid configurations with values at their
// edges — loading never throws, and every error names the file and a line inside it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadLbText, type LoadLbResult } from './load.js';

const FILE = '/zones/example.com.lb.yaml';
const here = path.dirname(fileURLToPath(import.meta.url));
const example = fs.readFileSync(path.join(here, '../../zones/example.com.lb.yaml'), 'utf8');

/** Loads and checks the invariants every outcome must keep; returns the outcome. */
function loadChecked(text: string): LoadLbResult {
  const r = loadLbText(text, { file: FILE, origin: 'example.com' });
  if ('errors' in r) {
    expect(r.errors.length).toBeGreaterThan(0);
    const lines = text.split('\n').length;
    for (const e of r.errors) {
      expect(e.file).toBe(FILE);
      expect(e.line, e.describe()).toBeGreaterThanOrEqual(1);
      expect(e.line, e.describe()).toBeLessThanOrEqual(lines);
      expect(e.code).toMatch(/^STEER_/);
    }
  } else {
    expect(Object.isFrozen(r.config)).toBe(true);
  }
  return r;
}

describe('the shipped example, damaged', () => {
  it('loads as it is', () => {
    expect('config' in loadChecked(example)).toBe(true);
  });

  const pieces = [
    ':',
    ': ',
    '- ',
    '{',
    '}',
    '[',
    ']',
    ',',
    '"',
    "'",
    '#',
    '&a ',
    '*a',
    '<<: *a',
    '!!binary ',
    '!!js/function ',
    '~',
    'null',
    '.nan',
    '-.inf',
    '1e309',
    '-1',
    '0x1F',
    '0o17',
    '99999999999999999999',
    '\t',
    '\n',
    '\n  ',
    '\n      ',
    '---\n',
    '...\n',
    '%YAML 1.1\n',
    '\u0000',
    '\ufeff',
    'é',
    '👀',
    'weight: ',
    'address: ',
    'default_pools: ',
    'origins: ',
    'policy: ',
    '256.1.1.1',
    '::g',
    '10.0.0.0/33',
    'a'.repeat(300),
  ];
  const edit = fc.record({ at: fc.nat(), cut: fc.nat({ max: 12 }), insert: fc.array(fc.constantFrom(...pieces), { maxLength: 3 }) });

  it('text edits never throw, and errors name a line', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), (edits) => {
        let text = example;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert.join('') + text.slice(at + e.cut);
        }
        loadChecked(text);
      }),
      { numRuns: 400 },
    );
  });

  it('bit flips and truncation never throw, and errors name a line', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { maxLength: 4 }), fc.nat(), (flips, cut) => {
        const bytes = Buffer.from(example, 'utf8');
        for (const f of flips) bytes[f.at % bytes.length]! ^= 1 << f.bit;
        loadChecked(bytes.subarray(0, cut % (bytes.length + 1)).toString('utf8'));
      }),
      { numRuns: 400 },
    );
  });
});

describe('arbitrary documents', () => {
  it('any YAML value at all never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        loadChecked(stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('alias expansion is bounded (a "billion laughs" file is an error, not a hang)', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const started = performance.now();
    const r = loadChecked(`${lines.join('\n')}\n`);
    expect('errors' in r).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('near-valid configurations with values at their edges', () => {
  const number = fc.oneof(
    fc.constantFrom(0, -1, 1, 0.5, 1e-9, 65535, 65536, 2 ** 31, 2 ** 53, Number.MAX_VALUE),
    fc.double({ noNaN: true }),
  );
  const address = fc.oneof(
    fc.constantFrom(
      '192.0.2.1',
      '2001:db8::1',
      '0.0.0.0',
      '255.255.255.255',
      '::',
      '::ffff:192.0.2.1',
      '192.0.2.01',
      '1.2.3',
      'fe80::1%eth0',
      'host.example.net.',
      `${'a'.repeat(64)}.example.net.`,
      `${'b'.repeat(63)}.`.repeat(4),
      '-bad-.example.',
      '',
      ' ',
    ),
    fc.ipV4(),
    fc.ipV6(),
    fc.domain(),
    fc.string({ maxLength: 20 }),
  );
  const cidr = fc.oneof(
    fc.constantFrom('192.0.2.0/24', '0.0.0.0/0', '::/0', '192.0.2.1/33', '2001:db8::/129', '192.0.2.0/-1', '/24', '192.0.2.0/24/8'),
    fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 40 })).map(([a, p]) => `${a}/${p}`),
  );
  const origin = fc.record(
    {
      name: fc.string({ maxLength: 8 }),
      address,
      weight: fc.option(number, { nil: undefined }),
      enabled: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: ['name', 'address'] },
  );
  const pool = fc.record(
    {
      origins: fc.array(origin, { maxLength: 4 }),
      minimum_origins: fc.option(number, { nil: undefined }),
      latitude: fc.option(number, { nil: undefined }),
      longitude: fc.option(number, { nil: undefined }),
      origin_steering: fc.option(fc.record({ policy: fc.constantFrom('random', 'hash', 'all', 'least', '') }), { nil: undefined }),
    },
    { requiredKeys: ['origins'] },
  );
  const config = fc
    .record({
      pools: fc.dictionary(fc.constantFrom('p1', 'p2', 'p3', 'P1', 'p-1', ''), pool, { maxKeys: 3 }),
      lbs: fc.dictionary(
        fc.constantFrom('www', '@', 'a.b', 'www.example.com.', 'www.example.org.', '*', 'x'.repeat(70)),
        fc.record(
          {
            default_pools: fc.array(fc.constantFrom('p1', 'p2', 'p3', 'missing'), { maxLength: 3 }),
            ttl: fc.option(number, { nil: undefined }),
            steering_policy: fc.option(fc.constantFrom('off', 'random', 'geo', 'proximity', 'hash', 'nearest'), { nil: undefined }),
            fallback_pool: fc.option(fc.constantFrom('p1', 'missing'), { nil: undefined }),
            subnet_pools: fc.option(fc.dictionary(cidr, fc.array(fc.constantFrom('p1', 'p2'), { maxLength: 2 }), { maxKeys: 2 }), {
              nil: undefined,
            }),
            max_records: fc.option(number, { nil: undefined }),
          },
          { requiredKeys: ['default_pools'] },
        ),
        { maxKeys: 3 },
      ),
    })
    .map(({ pools, lbs }) => ({ pools, load_balancers: lbs }));

  it('never throw; a loaded config only holds what the schema allows', () => {
    let loaded = 0;
    fc.assert(
      fc.property(config, (c) => {
        const r = loadChecked(stringify(c));
        if ('config' in r) {
          loaded++;
          for (const lb of r.config.loadBalancers.values()) {
            expect(lb.ttl).toBeGreaterThanOrEqual(0);
            expect(Number.isInteger(lb.ttl)).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
    // The generator is near enough to valid that the success path is exercised too.
    expect(loaded).toBeGreaterThan(4);
  });
});
