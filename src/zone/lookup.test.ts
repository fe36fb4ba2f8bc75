import { describe, expect, it } from 'vitest';
import { addressRecord } from '../wire/rdata.js';
import { RRType, type RRset } from '../wire/types.js';
import { buildZone } from './build.js';
import { lookup, MAX_CNAME_CHAIN } from './lookup.js';
import { parseZoneText } from './parser.js';
import { formatSection } from '../../test/support/zone-format.js';
import type { DynamicAnswer, DynamicBinding, DynamicSource, LookupResult, Zone } from './types.js';

const CHAIN_LINKS = Array.from({ length: 14 }, (_, i) => `c${i + 1} CNAME c${i + 2}`).join('\n');

const ZONE_TEXT = `
$ORIGIN example.com.
$TTL 3600
@         SOA   ns1 hostmaster 2024010101 7200 900 1209600 300
          NS    ns1
          NS    ns2.example.net.
ns1       A     192.0.2.53
www       A     192.0.2.1
          AAAA  2001:db8::1
alias     CNAME www
chain     CNAME alias
dangling  CNAME nowhere
out       CNAME www.example.org.
loop1     CNAME loop2
loop2     CNAME loop1
tocut     CNAME foo.sub
alias2    CNAME lb
*.w       TXT   "wild"
sub.w     A     192.0.2.9
*.cw      CNAME www
x.c       A     192.0.2.3
sub       NS    ns.sub
          NS    ns1
ns.sub    A     192.0.2.10
          AAAA  2001:db8::10
mail      MX    10 www
          MX    20 lb
          MX    30 mx.example.net.
          MX    40 www
_sip._tcp SRV   10 60 5060 www
nosrv     SRV   0 0 0 .
long      TXT   "${'x'.repeat(300)}"
caa       CAA   0 issue "letsencrypt.org"
gen       TYPE65280 \\# 4 0a000001
lb        TXT   "steered"
${CHAIN_LINKS}
c15       A     192.0.2.15
`;

const LB: DynamicBinding = { lb: 'lb', types: [RRType.A, RRType.AAAA] };
const LBC: DynamicBinding = { lb: 'lbc', types: [RRType.A, RRType.AAAA, RRType.CNAME] };
const BINDINGS = new Map<string, DynamicBinding>([
  ['lb.example.com', LB],
  ['lbc.example.com', LBC],
  ['a.b.dyn.example.com', LB],
]);

function makeZone(): Zone {
  const parsed = parseZoneText(ZONE_TEXT, { file: 'test.zone', origin: 'example.com', zonesDir: '/nonexistent', readFile: () => '' });
  expect(parsed.errors.map((e) => e.describe())).toEqual([]);
  const built = buildZone(parsed.origin, parsed.records, { file: 'test.zone', bindings: BINDINGS });
  if (!('zone' in built)) throw new Error(built.errors.map((e) => e.describe()).join('\n'));
  return built.zone;
}

const zone = makeZone();

/** A DynamicSource answering from a table keyed "owner TYPE", recording every call. */
class FakeSource implements DynamicSource {
  readonly calls: string[] = [];
  constructor(private readonly table: Record<string, DynamicAnswer>) {}
  resolve(owner: string, binding: DynamicBinding, qtype: number): DynamicAnswer {
    const key = `${owner} ${qtype === RRType.A ? 'A' : qtype === RRType.AAAA ? 'AAAA' : qtype === RRType.CNAME ? 'CNAME' : qtype}`;
    this.calls.push(`${binding.lb}:${key}`);
    return this.table[key] ?? { rrset: null, scope: 0 };
  }
}

const cname = (owner: string, target: string, ttl = 30): RRset => [
  { name: owner, type: RRType.CNAME, ttl, data: { kind: 'name', name: target } },
];

function source(): FakeSource {
  return new FakeSource({
    'lb.example.com A': {
      rrset: [addressRecord('lb.example.com', '198.51.100.1', 30), addressRecord('lb.example.com', '198.51.100.2', 30)],
      scope: 24,
    },
    'lb.example.com AAAA': { rrset: [addressRecord('lb.example.com', '2001:db8::100', 30)], scope: 16 },
    'lbc.example.com A': { rrset: cname('lbc.example.com', 'www.example.com'), scope: 20 },
    'lbc.example.com CNAME': { rrset: cname('lbc.example.com', 'www.example.com'), scope: 20 },
    'a.b.dyn.example.com A': { rrset: [addressRecord('a.b.dyn.example.com', '203.0.113.7', 10)], scope: 0 },
  });
}

const SOA_NEG = 'example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300';

interface Case {
  readonly name: string;
  readonly qname: string;
  readonly qtype: number;
  readonly kind: LookupResult['kind'];
  readonly answer?: readonly string[];
  readonly authority?: readonly string[];
  readonly additional?: readonly string[];
  readonly scope?: number;
  readonly noSource?: boolean;
}

const cases: readonly Case[] = [
  { name: 'exact A', qname: 'www.example.com', qtype: RRType.A, kind: 'answer', answer: ['www.example.com. 3600 IN A 192.0.2.1'] },
  {
    name: 'exact AAAA',
    qname: 'www.example.com',
    qtype: RRType.AAAA,
    kind: 'answer',
    answer: ['www.example.com. 3600 IN AAAA 2001:db8::1'],
  },
  {
    name: 'NODATA carries the SOA with min(TTL, MINIMUM)',
    qname: 'www.example.com',
    qtype: RRType.TXT,
    kind: 'nodata',
    authority: [SOA_NEG],
  },
  { name: 'NXDOMAIN', qname: 'nope.example.com', qtype: RRType.A, kind: 'nxdomain', authority: [SOA_NEG] },
  { name: 'NXDOMAIN deep below a missing name', qname: 'a.b.nope.example.com', qtype: RRType.A, kind: 'nxdomain', authority: [SOA_NEG] },
  { name: 'empty non-terminal is NODATA', qname: 'c.example.com', qtype: RRType.A, kind: 'nodata', authority: [SOA_NEG] },
  {
    name: 'name below an empty non-terminal',
    qname: 'x.c.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['x.c.example.com. 3600 IN A 192.0.2.3'],
  },
  {
    name: 'apex SOA answers normally',
    qname: 'example.com',
    qtype: RRType.SOA,
    kind: 'answer',
    answer: ['example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300'],
  },
  {
    name: 'apex NS gets in-zone NS addresses in additional (conformance 17)',
    qname: 'example.com',
    qtype: RRType.NS,
    kind: 'answer',
    answer: ['example.com. 3600 IN NS ns1.example.com.', 'example.com. 3600 IN NS ns2.example.net.'],
    additional: ['ns1.example.com. 3600 IN A 192.0.2.53'],
  },
  // CNAMEs
  {
    name: 'CNAME followed in zone',
    qname: 'alias.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['alias.example.com. 3600 IN CNAME www.example.com.', 'www.example.com. 3600 IN A 192.0.2.1'],
  },
  {
    name: 'CNAME chain',
    qname: 'chain.example.com',
    qtype: RRType.AAAA,
    kind: 'answer',
    answer: [
      'chain.example.com. 3600 IN CNAME alias.example.com.',
      'alias.example.com. 3600 IN CNAME www.example.com.',
      'www.example.com. 3600 IN AAAA 2001:db8::1',
    ],
  },
  {
    name: 'qtype CNAME returns only the CNAME',
    qname: 'alias.example.com',
    qtype: RRType.CNAME,
    kind: 'answer',
    answer: ['alias.example.com. 3600 IN CNAME www.example.com.'],
  },
  {
    name: 'CNAME to a name without the type: NODATA with the chain',
    qname: 'alias.example.com',
    qtype: RRType.MX,
    kind: 'nodata',
    answer: ['alias.example.com. 3600 IN CNAME www.example.com.'],
    authority: [SOA_NEG],
  },
  {
    name: 'dangling CNAME: NXDOMAIN with the CNAME (RFC 6604)',
    qname: 'dangling.example.com',
    qtype: RRType.A,
    kind: 'nxdomain',
    answer: ['dangling.example.com. 3600 IN CNAME nowhere.example.com.'],
    authority: [SOA_NEG],
  },
  {
    name: 'CNAME out of the zone ends the chain',
    qname: 'out.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['out.example.com. 3600 IN CNAME www.example.org.'],
  },
  {
    name: 'CNAME loop stops',
    qname: 'loop1.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['loop1.example.com. 3600 IN CNAME loop2.example.com.', 'loop2.example.com. 3600 IN CNAME loop1.example.com.'],
  },
  {
    name: 'CNAME into delegated space ends the chain',
    qname: 'tocut.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['tocut.example.com. 3600 IN CNAME foo.sub.example.com.'],
  },
  // Wildcards
  {
    name: 'wildcard synthesis takes the qname as owner',
    qname: 'foo.w.example.com',
    qtype: RRType.TXT,
    kind: 'answer',
    answer: ['foo.w.example.com. 3600 IN TXT "wild"'],
  },
  {
    name: 'wildcard matches several labels down',
    qname: 'a.b.w.example.com',
    qtype: RRType.TXT,
    kind: 'answer',
    answer: ['a.b.w.example.com. 3600 IN TXT "wild"'],
  },
  { name: 'wildcard without the type is NODATA', qname: 'foo.w.example.com', qtype: RRType.A, kind: 'nodata', authority: [SOA_NEG] },
  {
    name: 'existing name is not covered by the wildcard',
    qname: 'sub.w.example.com',
    qtype: RRType.TXT,
    kind: 'nodata',
    authority: [SOA_NEG],
  },
  {
    name: 'wildcard does not match below an existing name',
    qname: 'foo.sub.w.example.com',
    qtype: RRType.TXT,
    kind: 'nxdomain',
    authority: [SOA_NEG],
  },
  {
    name: 'the wildcard name itself',
    qname: '*.w.example.com',
    qtype: RRType.TXT,
    kind: 'answer',
    answer: ['*.w.example.com. 3600 IN TXT "wild"'],
  },
  {
    name: 'parent of a wildcard is an empty non-terminal',
    qname: 'w.example.com',
    qtype: RRType.TXT,
    kind: 'nodata',
    authority: [SOA_NEG],
  },
  {
    name: 'wildcard CNAME',
    qname: 'x.cw.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['x.cw.example.com. 3600 IN CNAME www.example.com.', 'www.example.com. 3600 IN A 192.0.2.1'],
  },
  // Delegation
  ...['sub.example.com', 'foo.sub.example.com', 'ns.sub.example.com', 'deep.er.sub.example.com'].map(
    (qname): Case => ({
      name: `referral for ${qname}`,
      qname,
      qtype: RRType.A,
      kind: 'referral',
      authority: ['sub.example.com. 3600 IN NS ns.sub.example.com.', 'sub.example.com. 3600 IN NS ns1.example.com.'],
      additional: [
        'ns.sub.example.com. 3600 IN A 192.0.2.10',
        'ns.sub.example.com. 3600 IN AAAA 2001:db8::10',
        'ns1.example.com. 3600 IN A 192.0.2.53',
      ],
    }),
  ),
  {
    name: 'DS at the cut is a referral',
    qname: 'sub.example.com',
    qtype: RRType.DS,
    kind: 'referral',
    authority: ['sub.example.com. 3600 IN NS ns.sub.example.com.', 'sub.example.com. 3600 IN NS ns1.example.com.'],
    additional: [
      'ns.sub.example.com. 3600 IN A 192.0.2.10',
      'ns.sub.example.com. 3600 IN AAAA 2001:db8::10',
      'ns1.example.com. 3600 IN A 192.0.2.53',
    ],
  },
  // Additional section processing
  {
    name: 'MX targets get addresses, dynamic ones from the source, once each',
    qname: 'mail.example.com',
    qtype: RRType.MX,
    kind: 'answer',
    answer: [
      'mail.example.com. 3600 IN MX 10 www.example.com.',
      'mail.example.com. 3600 IN MX 20 lb.example.com.',
      'mail.example.com. 3600 IN MX 30 mx.example.net.',
      'mail.example.com. 3600 IN MX 40 www.example.com.',
    ],
    additional: [
      'www.example.com. 3600 IN A 192.0.2.1',
      'www.example.com. 3600 IN AAAA 2001:db8::1',
      'lb.example.com. 30 IN A 198.51.100.1',
      'lb.example.com. 30 IN A 198.51.100.2',
      'lb.example.com. 30 IN AAAA 2001:db8::100',
    ],
    scope: 24,
  },
  {
    name: 'SRV target gets addresses',
    qname: '_sip._tcp.example.com',
    qtype: RRType.SRV,
    kind: 'answer',
    answer: ['_sip._tcp.example.com. 3600 IN SRV 10 60 5060 www.example.com.'],
    additional: ['www.example.com. 3600 IN A 192.0.2.1', 'www.example.com. 3600 IN AAAA 2001:db8::1'],
  },
  {
    name: 'SRV "." target has no additional',
    qname: 'nosrv.example.com',
    qtype: RRType.SRV,
    kind: 'answer',
    answer: ['nosrv.example.com. 3600 IN SRV 0 0 0 .'],
  },
  // ANY (RFC 8482)
  {
    name: 'ANY returns one RRset',
    qname: 'www.example.com',
    qtype: RRType.ANY,
    kind: 'answer',
    answer: ['www.example.com. 3600 IN A 192.0.2.1'],
  },
  {
    name: 'ANY at the apex returns the lowest type',
    qname: 'example.com',
    qtype: RRType.ANY,
    kind: 'answer',
    answer: ['example.com. 3600 IN NS ns1.example.com.', 'example.com. 3600 IN NS ns2.example.net.'],
    additional: ['ns1.example.com. 3600 IN A 192.0.2.53'],
  },
  {
    name: 'ANY at a CNAME returns the CNAME unfollowed',
    qname: 'alias.example.com',
    qtype: RRType.ANY,
    kind: 'answer',
    answer: ['alias.example.com. 3600 IN CNAME www.example.com.'],
  },
  { name: 'ANY at an empty non-terminal', qname: 'c.example.com', qtype: RRType.ANY, kind: 'nodata', authority: [SOA_NEG] },
  { name: 'ANY at a missing name', qname: 'nope.example.com', qtype: RRType.ANY, kind: 'nxdomain', authority: [SOA_NEG] },
  {
    name: 'ANY at a wildcard',
    qname: 'q.w.example.com',
    qtype: RRType.ANY,
    kind: 'answer',
    answer: ['q.w.example.com. 3600 IN TXT "wild"'],
  },
  {
    name: 'ANY at a dynamic name returns the steered A',
    qname: 'lb.example.com',
    qtype: RRType.ANY,
    kind: 'answer',
    answer: ['lb.example.com. 30 IN A 198.51.100.1', 'lb.example.com. 30 IN A 198.51.100.2'],
    scope: 24,
  },
  {
    name: 'ANY below a cut is a referral',
    qname: 'x.sub.example.com',
    qtype: RRType.ANY,
    kind: 'referral',
    authority: ['sub.example.com. 3600 IN NS ns.sub.example.com.', 'sub.example.com. 3600 IN NS ns1.example.com.'],
    additional: [
      'ns.sub.example.com. 3600 IN A 192.0.2.10',
      'ns.sub.example.com. 3600 IN AAAA 2001:db8::10',
      'ns1.example.com. 3600 IN A 192.0.2.53',
    ],
  },
  // Data types
  {
    name: 'long TXT is split into 255-byte strings',
    qname: 'long.example.com',
    qtype: RRType.TXT,
    kind: 'answer',
    answer: [`long.example.com. 3600 IN TXT "${'x'.repeat(255)}" "${'x'.repeat(45)}"`],
  },
  {
    name: 'CAA',
    qname: 'caa.example.com',
    qtype: RRType.CAA,
    kind: 'answer',
    answer: ['caa.example.com. 3600 IN CAA 0 issue "letsencrypt.org"'],
  },
  {
    name: 'generic type',
    qname: 'gen.example.com',
    qtype: 65280,
    kind: 'answer',
    answer: ['gen.example.com. 3600 IN TYPE65280 \\# 4 0a000001'],
  },
  // Dynamic names
  {
    name: 'dynamic A with scope',
    qname: 'lb.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['lb.example.com. 30 IN A 198.51.100.1', 'lb.example.com. 30 IN A 198.51.100.2'],
    scope: 24,
  },
  {
    name: 'static TXT beside a load balancer',
    qname: 'lb.example.com',
    qtype: RRType.TXT,
    kind: 'answer',
    answer: ['lb.example.com. 3600 IN TXT "steered"'],
    scope: 0,
  },
  { name: 'dynamic type without data is NODATA', qname: 'lb.example.com', qtype: RRType.MX, kind: 'nodata', authority: [SOA_NEG] },
  {
    name: 'dynamic CNAME is followed',
    qname: 'lbc.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['lbc.example.com. 30 IN CNAME www.example.com.', 'www.example.com. 3600 IN A 192.0.2.1'],
    scope: 20,
  },
  {
    name: 'a CNAME-capable binding answers other types with its CNAME',
    qname: 'lbc.example.com',
    qtype: RRType.TXT,
    kind: 'nodata',
    answer: ['lbc.example.com. 30 IN CNAME www.example.com.'],
    authority: [SOA_NEG],
    scope: 20,
  },
  {
    name: 'static CNAME to a dynamic name',
    qname: 'alias2.example.com',
    qtype: RRType.AAAA,
    kind: 'answer',
    answer: ['alias2.example.com. 3600 IN CNAME lb.example.com.', 'lb.example.com. 30 IN AAAA 2001:db8::100'],
    scope: 16,
  },
  {
    name: 'dynamic name without static data',
    qname: 'a.b.dyn.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['a.b.dyn.example.com. 10 IN A 203.0.113.7'],
  },
  {
    name: 'parents of a dynamic name are empty non-terminals',
    qname: 'b.dyn.example.com',
    qtype: RRType.A,
    kind: 'nodata',
    authority: [SOA_NEG],
  },
  {
    name: 'dynamic NODATA when the source has nothing',
    qname: 'a.b.dyn.example.com',
    qtype: RRType.AAAA,
    kind: 'nodata',
    authority: [SOA_NEG],
  },
  {
    name: 'no source: dynamic names have no dynamic data',
    qname: 'lb.example.com',
    qtype: RRType.A,
    kind: 'nodata',
    authority: [SOA_NEG],
    noSource: true,
  },
  {
    name: 'no source: static data still answers',
    qname: 'lb.example.com',
    qtype: RRType.TXT,
    kind: 'answer',
    answer: ['lb.example.com. 3600 IN TXT "steered"'],
    noSource: true,
  },
];

describe('lookup', () => {
  it.each(cases)('$name ($qname)', (c) => {
    const result = lookup(zone, c.qname, c.qtype, c.noSource ? null : source());
    expect(result.kind).toBe(c.kind);
    expect(formatSection(result.answer)).toEqual(c.answer ?? []);
    expect(formatSection('authority' in result ? result.authority : [])).toEqual(c.authority ?? []);
    expect(formatSection('additional' in result ? result.additional : [])).toEqual(c.additional ?? []);
    expect(result.scope).toBe(c.scope ?? 0);
  });

  it('bounds CNAME chains', () => {
    const r = lookup(zone, 'c1.example.com', RRType.A, null);
    expect(r.kind).toBe('answer');
    expect(r.answer).toHaveLength(MAX_CNAME_CHAIN);
    expect(formatSection(r.answer).at(-1)).toBe(`c${MAX_CNAME_CHAIN}.example.com. 3600 IN CNAME c${MAX_CNAME_CHAIN + 1}.example.com.`);
    // Three links shorter, the chain reaches its A record.
    const shorter = lookup(zone, 'c4.example.com', RRType.A, null);
    expect(formatSection(shorter.answer).at(-1)).toBe('c15.example.com. 3600 IN A 192.0.2.15');
  });

  it('only calls the source for the types the binding owns', () => {
    const s = source();
    lookup(zone, 'lb.example.com', RRType.TXT, s);
    expect(s.calls).toEqual([]);
    lookup(zone, 'lb.example.com', RRType.AAAA, s);
    expect(s.calls).toEqual(['lb:lb.example.com AAAA']);
  });

  it('reuses one negative SOA RRset per zone', () => {
    const a = lookup(zone, 'nope.example.com', RRType.A, null);
    const b = lookup(zone, 'www.example.com', RRType.TXT, null);
    expect(a.kind === 'nxdomain' && b.kind === 'nodata' && a.authority[0] === b.authority[0]).toBe(true);
  });

  it('ignores source data of the wrong type', () => {
    const bad = new FakeSource({ 'lb.example.com AAAA': { rrset: [addressRecord('lb.example.com', '192.0.2.99', 30)], scope: 8 } });
    const r = lookup(zone, 'lb.example.com', RRType.AAAA, bad);
    expect(r.kind).toBe('nodata');
    expect(r.scope).toBe(8);
  });

  it('answers a name outside the zone with NXDOMAIN instead of looping', () => {
    expect(lookup(zone, 'www.example.org', RRType.A, null).kind).toBe('nxdomain');
  });
});
