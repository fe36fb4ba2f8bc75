// Properties of rule matching over random rule sets and clients:
//  - when no rule matches, the answer is the one the load balancer gives without rules;
//  - the ECS scope is safe: every other client subnet inside the returned scope gets the same
//    rules and the same answer (so a resolver caching it for that block is right);
//  - the scope is no narrower than what was tested: never past the longest network a condition
//    or the GeoIP database looked at (plus the one bit a miss needs).
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RRType } from '../../wire/types.js';
import { prepareLb } from '../prepare.js';
import { steer } from '../steer.js';
import { answerText, client, fakeGeo, healthWithDown, lbConfig, seededRandom } from '../../../test/support/lb-fixtures.js';

// Disjoint networks tiling 10.0.0.0/9 (where the clients are), so every lookup's network prefix
// is the honest one a real database tree would give.
const GEO_NETS = [
  { cidr: '10.0.0.0/12', continent: 'EU', country: 'GB' },
  { cidr: '10.16.0.0/12', continent: 'EU', country: 'FR' },
  { cidr: '10.32.0.0/11', continent: 'NA', country: 'US' },
  { cidr: '10.64.0.0/11', continent: 'AS', country: 'JP' },
  { cidr: '10.96.0.0/12', continent: 'AS', country: 'KR' },
  { cidr: '10.112.0.0/12', continent: 'AS', country: 'CN' },
];
const geo = fakeGeo(GEO_NETS);
const LONGEST_GEO = 12;

const POOLS = ['p0', 'p1', 'p2'];
const poolsYaml = Object.fromEntries(POOLS.map((p, i) => [p, { origins: [{ name: `${p}o`, address: `192.0.2.${i + 1}` }] }]));

const cidr = fc
  .tuple(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 24 }))
  .map(([b, c, prefix]) => {
    const n = ((10 << 24) | (b << 16) | (c << 8)) >>> 0;
    const masked = prefix === 0 ? 0 : (n & (~0 << (32 - prefix))) >>> 0;
    return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${prefix}`;
  });

type Cond = Record<string, unknown>;
const leaf: fc.Arbitrary<Cond> = fc.oneof(
  fc.array(cidr, { minLength: 1, maxLength: 3 }).map((client_subnet) => ({ client_subnet })),
  fc.subarray(['GB', 'FR', 'US', 'JP'], { minLength: 1 }).map((country) => ({ country })),
  fc.subarray(['EU', 'NA', 'AS'], { minLength: 1 }).map((continent) => ({ continent })),
  fc.constantFrom({ qtype: ['A'] }, { qtype: ['AAAA'] }),
);
const condition: fc.Arbitrary<Cond> = fc.oneof(
  { weight: 3, arbitrary: leaf },
  leaf.map((c) => ({ not: c })),
  fc.array(leaf, { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
  fc.tuple(leaf, leaf).map(([a, b]) => ({ ...b, ...a })),
);
const rule = fc.record({
  condition,
  pools: fc.shuffledSubarray(POOLS, { minLength: 1 }),
  ttl: fc.integer({ min: 1, max: 300 }),
  continue: fc.boolean(),
});
const ruleSet = fc.array(rule, { minLength: 1, maxLength: 5 });

function configFor(list: { condition: Cond; pools: string[]; ttl: number; continue: boolean }[]) {
  const lb = {
    steering_policy: 'geo',
    default_pools: ['p0', 'p1'],
    country_pools: { FR: ['p2'] },
    rules: list.map((r, i) => ({
      name: `r${i}`,
      condition: r.condition,
      overrides: { default_pools: r.pools, ttl: r.ttl },
      continue: r.continue,
    })),
  };
  const plain = { ...lb, rules: [] };
  return {
    withRules: lbConfig(stringify({ pools: poolsYaml, load_balancers: { www: lb } })),
    without: lbConfig(stringify({ pools: poolsYaml, load_balancers: { www: plain } })),
  };
}

const subnet24 = fc.tuple(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 255 }));
const qtype = fc.constantFrom(RRType.A, RRType.AAAA);

function ask(config: ReturnType<typeof lbConfig>, b: number, c: number, type: number) {
  const out = steer(prepareLb(config, healthWithDown()), 'www.example.com', type, {
    client: client(`10.${b}.${c}.0/24`),
    geo,
    random: seededRandom(1),
    trace: null,
  });
  return { answer: answerText(out.rrset), ttl: out.ttl, rule: out.rule ?? null, scope: out.scope };
}

function longestTested(list: { condition: Cond }[]): number {
  let longest = 0;
  const walk = (c: Cond): void => {
    for (const n of (c.client_subnet as string[] | undefined) ?? []) longest = Math.max(longest, Number(n.split('/')[1]) + 1);
    if (c.not) walk(c.not as Cond);
    for (const a of (c.any as Cond[] | undefined) ?? []) walk(a);
  };
  for (const r of list) walk(r.condition);
  return longest;
}

describe('rule matching, for random rule sets and clients', () => {
  it('no matching rule answers exactly like the load balancer without rules', () => {
    fc.assert(
      fc.property(ruleSet, subnet24, qtype, (list, [b, c], type) => {
        const { withRules, without } = configFor(list);
        const got = ask(withRules, b, c, type);
        fc.pre(got.rule === null);
        const plain = ask(without, b, c, type);
        expect(got.answer).toEqual(plain.answer);
        expect(got.ttl).toBe(plain.ttl);
        expect(got.scope).toBeGreaterThanOrEqual(plain.scope);
      }),
      { numRuns: 100 },
    );
  });

  it('every client subnet inside the returned scope gets the same rules and answer', () => {
    fc.assert(
      fc.property(ruleSet, subnet24, qtype, fc.integer({ min: 0, max: 0xffff }), (list, [b, c], type, noise) => {
        const { withRules } = configFor(list);
        const got = ask(withRules, b, c, type);
        // Another /24 in the same /scope block: keep the first `scope` bits, vary the rest up to /24.
        const base = ((10 << 24) | (b << 16) | (c << 8)) >>> 0;
        const free = 24 - Math.min(got.scope, 24);
        const keep = got.scope === 0 ? 0 : (~0 << (32 - got.scope)) >>> 0;
        const other = ((base & keep) | (((noise << 8) & (2 ** (free + 8) - 1)) >>> 0)) >>> 0;
        fc.pre(other >>> 24 === 10 && ((other >>> 16) & 255) < 128);
        const twin = ask(withRules, (other >>> 16) & 255, (other >>> 8) & 255, type);
        expect({ rule: twin.rule, answer: twin.answer, ttl: twin.ttl }).toEqual({ rule: got.rule, answer: got.answer, ttl: got.ttl });
      }),
      { numRuns: 100 },
    );
  });

  it('the scope goes no further than the networks the conditions and the GeoIP database tested', () => {
    fc.assert(
      fc.property(ruleSet, subnet24, qtype, (list, [b, c], type) => {
        const { withRules } = configFor(list);
        expect(ask(withRules, b, c, type).scope).toBeLessThanOrEqual(Math.max(longestTested(list), LONGEST_GEO));
      }),
      { numRuns: 100 },
    );
  });
});
