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
    name: 'CNAME into delegated space ends in a referral that keeps the CNAME',
    qname: 'tocut.example.com',
    qtype: RRType.A,
    kind: 'referral',
    answer: ['tocut.example.com. 3600 IN CNAME foo.sub.example.com.'],
    authority: ['sub.example.com. 3600 IN NS ns.sub.example.com.', 'sub.example.com. 3600 IN NS ns1.example.com.'],
    additional: [
      'ns.sub.example.com. 3600 IN A 192.0.2.10',
      'ns.sub.example.com. 3600 IN AAAA 2001:db8::10',
      'ns1.example.com. 3600 IN A 192.0.2.53',
    ],
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
    name: 'DS at a cut without DS records is the parent NODATA',
    qname: 'sub.example.com',
    qtype: RRType.DS,
    kind: 'nodata',
    authority: [SOA_NEG],
  },
  {
    name: 'DS below a cut is a referral',
    qname: 'foo.sub.example.com',
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

// Zone cuts with DS, CNAMEs into delegations, DNAME (RFC 6672).
const LONG_TARGET = Array.from({ length: 3 }, () => 'a'.repeat(60)).join('.');
const REDIRECT_TEXT = `
$ORIGIN example.com.
$TTL 3600
@          SOA    ns1 hostmaster 2024010101 7200 900 1209600 300
           NS     ns1
ns1        A      192.0.2.53
sub        NS     ns.sub
sub        DS     12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.sub     A      192.0.2.10
tosub      CNAME  host.sub
chain      CNAME  tosub
tocut      CNAME  sub
d          DNAME  e
d          A      192.0.2.60
d          TXT    "owner"
www.e      A      192.0.2.61
x.e        CNAME  www.e
d2         TYPE39 \\# 15 0164076578616d706c6503636f6d00
out        DNAME  example.net.
la         DNAME  lb
lb         DNAME  la
dsub       DNAME  sub
grow       DNAME  x.grow2
grow2      DNAME  grow
long       DNAME  ${LONG_TARGET}.
`;

const redirectZone = (() => {
  const parsed = parseZoneText(REDIRECT_TEXT, {
    file: 'redirect.zone',
    origin: 'example.com',
    zonesDir: '/nonexistent',
    readFile: () => '',
  });
  expect(parsed.errors.map((e) => e.describe())).toEqual([]);
  const built = buildZone(parsed.origin, parsed.records, { file: 'redirect.zone' });
  if (!('zone' in built)) throw new Error(built.errors.map((e) => e.describe()).join('\n'));
  return built.zone;
})();

const SUB_REFERRAL = {
  authority: ['sub.example.com. 3600 IN NS ns.sub.example.com.'],
  additional: ['ns.sub.example.com. 3600 IN A 192.0.2.10'],
};
/** The zone's own DS RRset as text (the formatter decides its spelling): the one the parent must serve. */
const DS_TEXT = formatSection([redirectZone.nodes.get('sub.example.com')!.rrsets.get(RRType.DS)!])[0]!;
const REDIRECT_SOA = 'example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300';
const D = 'd.example.com. 3600 IN DNAME e.example.com.';

const redirectCases: readonly Case[] = [
  {
    name: 'CNAME to a name below a cut: the CNAME, then the referral',
    qname: 'tosub.example.com',
    qtype: RRType.A,
    kind: 'referral',
    answer: ['tosub.example.com. 3600 IN CNAME host.sub.example.com.'],
    ...SUB_REFERRAL,
  },
  {
    name: 'CNAME to the cut itself',
    qname: 'tocut.example.com',
    qtype: RRType.AAAA,
    kind: 'referral',
    answer: ['tocut.example.com. 3600 IN CNAME sub.example.com.'],
    ...SUB_REFERRAL,
  },
  {
    name: 'CNAME chain into a delegation keeps every link',
    qname: 'chain.example.com',
    qtype: RRType.A,
    kind: 'referral',
    answer: ['chain.example.com. 3600 IN CNAME tosub.example.com.', 'tosub.example.com. 3600 IN CNAME host.sub.example.com.'],
    ...SUB_REFERRAL,
  },
  { name: 'DS at the cut is answered by the parent', qname: 'sub.example.com', qtype: RRType.DS, kind: 'answer', answer: [DS_TEXT] },
  {
    name: 'DS through a CNAME to the cut',
    qname: 'tocut.example.com',
    qtype: RRType.DS,
    kind: 'answer',
    answer: ['tocut.example.com. 3600 IN CNAME sub.example.com.', DS_TEXT],
  },
  { name: 'other types at the cut are still referred', qname: 'sub.example.com', qtype: RRType.NS, kind: 'referral', ...SUB_REFERRAL },
  {
    name: 'DNAME rewrites a name below its owner',
    qname: 'www.d.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: [D, 'www.d.example.com. 3600 IN CNAME www.e.example.com.', 'www.e.example.com. 3600 IN A 192.0.2.61'],
  },
  {
    name: 'DNAME then a CNAME',
    qname: 'x.d.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: [
      D,
      'x.d.example.com. 3600 IN CNAME x.e.example.com.',
      'x.e.example.com. 3600 IN CNAME www.e.example.com.',
      'www.e.example.com. 3600 IN A 192.0.2.61',
    ],
  },
  {
    name: 'DNAME then NODATA',
    qname: 'x.d.example.com',
    qtype: RRType.MX,
    kind: 'nodata',
    answer: [D, 'x.d.example.com. 3600 IN CNAME x.e.example.com.', 'x.e.example.com. 3600 IN CNAME www.e.example.com.'],
    authority: [REDIRECT_SOA],
  },
  {
    name: 'DNAME to a missing name is NXDOMAIN with the rewrite (RFC 6604)',
    qname: 'nx.d.example.com',
    qtype: RRType.A,
    kind: 'nxdomain',
    answer: [D, 'nx.d.example.com. 3600 IN CNAME nx.e.example.com.'],
    authority: [REDIRECT_SOA],
  },
  {
    name: 'DNAME to DNAME (the second in generic form)',
    qname: 'www.d2.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: [
      'd2.example.com. 3600 IN DNAME d.example.com.',
      'www.d2.example.com. 3600 IN CNAME www.d.example.com.',
      D,
      'www.d.example.com. 3600 IN CNAME www.e.example.com.',
      'www.e.example.com. 3600 IN A 192.0.2.61',
    ],
  },
  {
    name: 'DNAME out of the zone ends with the synthesised CNAME',
    qname: 'a.b.out.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['out.example.com. 3600 IN DNAME example.net.', 'a.b.out.example.com. 3600 IN CNAME a.b.example.net.'],
  },
  {
    name: 'DNAME loop stops at the first name seen twice',
    qname: 'x.la.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: [
      'la.example.com. 3600 IN DNAME lb.example.com.',
      'x.la.example.com. 3600 IN CNAME x.lb.example.com.',
      'lb.example.com. 3600 IN DNAME la.example.com.',
      'x.lb.example.com. 3600 IN CNAME x.la.example.com.',
    ],
  },
  {
    name: 'DNAME into a delegation: the rewrite, then the referral',
    qname: 'host.dsub.example.com',
    qtype: RRType.A,
    kind: 'referral',
    answer: ['dsub.example.com. 3600 IN DNAME sub.example.com.', 'host.dsub.example.com. 3600 IN CNAME host.sub.example.com.'],
    ...SUB_REFERRAL,
  },
  {
    name: 'qtype CNAME below a DNAME gets the synthesised CNAME, not followed',
    qname: 'x.d.example.com',
    qtype: RRType.CNAME,
    kind: 'answer',
    answer: [D, 'x.d.example.com. 3600 IN CNAME x.e.example.com.'],
  },
  {
    name: 'qtype DNAME below a DNAME follows the rewrite',
    qname: 'www.d.example.com',
    qtype: 39,
    kind: 'nodata',
    answer: [D, 'www.d.example.com. 3600 IN CNAME www.e.example.com.'],
    authority: [REDIRECT_SOA],
  },
  {
    name: 'ANY below a DNAME follows the rewrite',
    qname: 'www.d.example.com',
    qtype: RRType.ANY,
    kind: 'answer',
    answer: [D, 'www.d.example.com. 3600 IN CNAME www.e.example.com.', 'www.e.example.com. 3600 IN A 192.0.2.61'],
  },
  { name: 'the DNAME owner answers DNAME', qname: 'd.example.com', qtype: 39, kind: 'answer', answer: [D] },
  {
    name: 'the DNAME owner answers its other data',
    qname: 'd.example.com',
    qtype: RRType.A,
    kind: 'answer',
    answer: ['d.example.com. 3600 IN A 192.0.2.60'],
  },
  { name: 'the DNAME owner has no CNAME', qname: 'd.example.com', qtype: RRType.CNAME, kind: 'nodata', authority: [REDIRECT_SOA] },
];

describe('lookup: zone cuts, DS and DNAME', () => {
  it.each(redirectCases)('$name ($qname)', (c) => {
    const result = lookup(redirectZone, c.qname, c.qtype, null);
    expect(result.kind).toBe(c.kind);
    expect(formatSection(result.answer)).toEqual(c.answer ?? []);
    expect(formatSection('authority' in result ? result.authority : [])).toEqual(c.authority ?? []);
    expect(formatSection('additional' in result ? result.additional : [])).toEqual(c.additional ?? []);
  });

  it('a rewrite longer than 255 octets is YXDOMAIN with the DNAME (RFC 6672 §2.2)', () => {
    const label = 'y'.repeat(60);
    const fits = lookup(redirectZone, `${label}.long.example.com`, RRType.A, null);
    expect(fits.kind).toBe('answer');
    expect(formatSection(fits.answer)[1]).toBe(`${label}.long.example.com. 3600 IN CNAME ${label}.${LONG_TARGET}.`);
    const tooLong = lookup(redirectZone, `${label}.${label}.long.example.com`, RRType.A, null);
    expect(tooLong.kind).toBe('yxdomain');
    expect(formatSection(tooLong.answer)).toEqual([`long.example.com. 3600 IN DNAME ${LONG_TARGET}.`]);
  });

  it('bounds a chain of DNAMEs that grows the name at every step', () => {
    // grow → x.grow2 → x.grow → x.x.grow2 ...: never a name seen before, so only the bound stops it.
    const r = lookup(redirectZone, 'q.grow.example.com', RRType.A, null);
    expect(r.kind).toBe('answer');
    const cnames = r.answer.filter((s) => s[0]!.type === RRType.CNAME);
    expect(cnames).toHaveLength(MAX_CNAME_CHAIN);
    expect(r.answer).toHaveLength(2 * MAX_CNAME_CHAIN);
  });

  it('synthesises the CNAME with the TTL of the DNAME', () => {
    const text = REDIRECT_TEXT.replace('d          DNAME  e', 'd          600 DNAME  e');
    const parsed = parseZoneText(text, { file: 't.zone', origin: 'example.com', zonesDir: '/nonexistent', readFile: () => '' });
    const built = buildZone(parsed.origin, parsed.records, { file: 't.zone' });
    if (!('zone' in built)) throw new Error('zone did not build');
    const r = lookup(built.zone, 'www.d.example.com', RRType.A, null);
    expect(formatSection(r.answer).slice(0, 2)).toEqual([
      'd.example.com. 600 IN DNAME e.example.com.',
      'www.d.example.com. 600 IN CNAME www.e.example.com.',
    ]);
  });
});
