import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { buildZone, type BuildResult } from './build.js';
import { parseZoneText } from './parser.js';
import { formatRR } from '../../test/support/zone-format.js';
import type { DynamicBinding, Zone } from './types.js';

const HEAD = `$TTL 3600
@ SOA ns1 host 7 1 2 3 300
  NS ns1
ns1 A 192.0.2.53
`;

function build(body: string, bindings?: ReadonlyMap<string, DynamicBinding>, head = HEAD): BuildResult {
  const parsed = parseZoneText(head + body, { file: 'z.zone', origin: 'example.com', zonesDir: '/zones', readFile: () => '' });
  expect(parsed.errors.map((e) => e.describe())).toEqual([]);
  return buildZone(parsed.origin, parsed.records, { file: 'z.zone', bindings });
}

function zoneOf(r: BuildResult): Zone {
  if (!('zone' in r)) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
  return r.zone;
}

/** Errors as "file:line CODE" (line omitted for zone-wide errors). */
function errorsOf(r: BuildResult): string[] {
  return 'errors' in r ? r.errors.map((e) => `${e.file}${e.line ? `:${e.line}` : ''} ${e.code}`) : [];
}

const LB: DynamicBinding = { lb: 'pool', types: [RRType.A, RRType.AAAA] };
const LB_CNAME: DynamicBinding = { lb: 'cpool', types: [RRType.A, RRType.AAAA, RRType.CNAME] };

describe('buildZone', () => {
  it('builds nodes, empty non-terminals, cuts, serial and record count', () => {
    const zone = zoneOf(build('a.b.c A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.2\n'));
    expect(zone.origin).toBe('example.com');
    expect(zone.serial).toBe(7);
    expect(zone.recordCount).toBe(6);
    expect([...zone.nodes.keys()].sort()).toEqual([
      'a.b.c.example.com',
      'b.c.example.com',
      'c.example.com',
      'example.com',
      'ns.sub.example.com',
      'ns1.example.com',
      'sub.example.com',
    ]);
    expect(zone.nodes.get('b.c.example.com')!.rrsets.size).toBe(0);
    expect([...zone.cuts]).toEqual(['sub.example.com']);
    expect(formatRR(zone.soa)).toBe('example.com. 3600 IN SOA ns1.example.com. host.example.com. 7 1 2 3 300');
  });

  it("keeps a node's RRsets in type order", () => {
    const zone = zoneOf(build('x TXT "t"\nx AAAA ::1\nx A 192.0.2.1\nx MX 1 x\n'));
    expect([...zone.nodes.get('x.example.com')!.rrsets.keys()]).toEqual([RRType.A, RRType.MX, RRType.TXT, RRType.AAAA]);
  });

  it('collapses duplicate records, comparing names case-insensitively', () => {
    const zone = zoneOf(build('x A 192.0.2.1\nx A 192.0.2.1\nX.EXAMPLE.COM. A 192.0.2.1\ny CNAME Target\ny CNAME target\n'));
    expect(zone.nodes.get('x.example.com')!.rrsets.get(RRType.A)).toHaveLength(1);
    expect(zone.recordCount).toBe(5);
  });

  it('loads a DS at the apex (the parent’s data in the child’s file, as Knot and NSD do) with a warning', () => {
    const r = build('@ DS \\# 4 00010203\n');
    if (!('zone' in r)) throw new Error(`expected a zone: ${r.errors.map((e) => e.describe()).join('; ')}`);
    expect(r.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual(['z.zone:5 STEER_ZONE_DS_AT_APEX']);
  });

  it('gives an RRset with mixed TTLs the smallest one, with a warning', () => {
    const r = build('x 300 A 192.0.2.1\nx 60 A 192.0.2.2\nx 600 A 192.0.2.3\n');
    if (!('zone' in r)) throw new Error('expected a zone');
    expect(
      r.zone.nodes
        .get('x.example.com')!
        .rrsets.get(RRType.A)!
        .map((rr) => rr.ttl),
    ).toEqual([60, 60, 60]);
    expect(r.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual(['z.zone:6 STEER_ZONE_TTL_MISMATCH']);
    expect(r.warnings[0]!.message).toContain('using the smallest, 60');
  });

  it('is deeply frozen', () => {
    const zone = zoneOf(build('x A 192.0.2.1\n'));
    expect(Object.isFrozen(zone)).toBe(true);
    const node = zone.nodes.get('x.example.com')!;
    const rrset = node.rrsets.get(RRType.A)!;
    expect(Object.isFrozen(node) && Object.isFrozen(rrset) && Object.isFrozen(rrset[0]) && Object.isFrozen(rrset[0]!.data)).toBe(true);
    expect(() => (zone.nodes as Map<string, unknown>).set('y', null)).toThrow(TypeError);
    expect(() => (node.rrsets as Map<number, unknown>).delete(RRType.A)).toThrow(TypeError);
    expect(() => (zone.cuts as Set<string>).add('y')).toThrow(TypeError);
  });

  it.each([
    ['no SOA', '', ['z.zone STEER_ZONE_NO_SOA'], '$TTL 1\n@ NS ns1\n'],
    ['no NS', '', ['z.zone STEER_ZONE_NO_NS'], '$TTL 1\n@ SOA a b 1 2 3 4 5\n'],
    ['two SOAs', '@ SOA ns2 host 8 1 2 3 4\n', ['z.zone:5 STEER_ZONE_MULTIPLE_SOA'], HEAD],
    ['SOA below the apex', 'x SOA a b 1 2 3 4 5\n', ['z.zone:5 STEER_ZONE_SOA_NOT_APEX'], HEAD],
    ['data outside the zone', 'www.example.org. A 192.0.2.1\n', ['z.zone:5 STEER_ZONE_OUT_OF_ZONE'], HEAD],
    ['a name that only looks inside', 'a\\.example.com. A 192.0.2.1\n', ['z.zone:5 STEER_ZONE_OUT_OF_ZONE'], HEAD],
    ['CNAME after other data', 'x A 192.0.2.1\n\nx CNAME y\n', ['z.zone:7 STEER_ZONE_CNAME_CONFLICT'], HEAD],
    ['other data after a CNAME', 'x CNAME y\nx TXT "t"\n', ['z.zone:6 STEER_ZONE_CNAME_CONFLICT'], HEAD],
    ['CNAME at the apex', '@ CNAME y\n', ['z.zone:5 STEER_ZONE_CNAME_CONFLICT', 'z.zone:5 STEER_ZONE_CNAME_CONFLICT'], HEAD],
    ['two CNAMEs', 'x CNAME y\nx CNAME z\n', ['z.zone:6 STEER_ZONE_MULTIPLE_CNAME'], HEAD],
    ['non-glue below a cut', 'sub NS ns.sub\nns.sub A 192.0.2.1\nns.sub TXT "no"\n', ['z.zone:7 STEER_ZONE_OCCLUDED'], HEAD],
    ['non-delegation data at a cut', 'sub NS ns.sub\nsub MX 1 sub\n', ['z.zone:6 STEER_ZONE_OCCLUDED'], HEAD],
    ['a cut below a cut', 'sub NS ns.sub\nx.sub NS ns.sub\n', ['z.zone:6 STEER_ZONE_OCCLUDED'], HEAD],
    ['NS at a wildcard', '*.w NS ns1\n', ['z.zone:5 STEER_ZONE_WILDCARD_NS'], HEAD],
    ['DS away from a delegation', 'x A 192.0.2.1\nx DS \\# 4 00010203\n', ['z.zone:6 STEER_ZONE_DS_NOT_AT_CUT'], HEAD],
    ['two DNAMEs at a name', 'd DNAME a\nd DNAME b\n', ['z.zone:6 STEER_ZONE_MULTIPLE_DNAME'], HEAD],
    ['DNAME and CNAME at a name', 'd DNAME a\nd CNAME b\n', ['z.zone:6 STEER_ZONE_CNAME_CONFLICT'], HEAD],
    [
      'data below a DNAME',
      'd DNAME a\nx.d A 192.0.2.1\n\nw.x.d TXT "t"\n',
      ['z.zone:6 STEER_ZONE_BELOW_DNAME', 'z.zone:8 STEER_ZONE_BELOW_DNAME'],
      HEAD,
    ],
    ['a delegation below a DNAME', 'd DNAME a\nsub.d NS ns1\n', ['z.zone:6 STEER_ZONE_BELOW_DNAME'], HEAD],
    ['DNAME at a cut', 'sub NS ns.x.\nsub DNAME a\n', ['z.zone:6 STEER_ZONE_OCCLUDED'], HEAD],
    [
      'in-zone data below a DNAME at the apex',
      '@ DNAME example.net.\n',
      ['z.zone:4 STEER_ZONE_BELOW_DNAME'],
      '$TTL 3600\n@ SOA ns1 host 7 1 2 3 300\n  NS ns1\nns1 A 192.0.2.53\n',
    ],
  ])('rejects %s', (_what, body, expected, head) => {
    expect(errorsOf(build(body, undefined, head))).toEqual(expected);
  });

  it('names the DNAME that hides data below it', () => {
    const r = build('d DNAME a\nx.d A 192.0.2.1\n');
    expect('errors' in r ? r.errors[0]!.describe() : '').toBe(
      'z.zone:6: A record at x.d.example.com. is below the DNAME at d.example.com. (nothing may exist below a DNAME owner; RFC 6672 §2.3) [STEER_ZONE_BELOW_DNAME]',
    );
  });

  it('accepts a DNAME beside other data, a DNAME at the apex with out-of-zone servers, and marks zones that have one', () => {
    const zone = zoneOf(build('d DNAME a\nd A 192.0.2.1\nd TXT "t"\n'));
    expect([...zone.nodes.get('d.example.com')!.rrsets.keys()]).toEqual([RRType.A, RRType.TXT, RRType.DNAME]);
    zoneOf(build('@ DNAME example.net.\n', undefined, '$TTL 3600\n@ SOA ns.example.net. host 7 1 2 3 300\n  NS ns.example.net.\n'));
  });

  it('accepts glue and DS at a cut and the RRSIG/NSEC companions of a CNAME', () => {
    zoneOf(build('sub NS sub\nsub A 192.0.2.1\nsub DS \\# 4 00010203\nsub AAAA ::1\nx CNAME y\nx RRSIG \\# 2 0000\nx NSEC \\# 2 0000\n'));
  });

  describe('load-balanced names', () => {
    it('creates a node (and its parents) for a binding without static data', () => {
      const zone = zoneOf(build('', new Map([['a.b.example.com', LB]])));
      expect(zone.nodes.get('a.b.example.com')!.dynamic).toBe(LB);
      expect(zone.nodes.get('b.example.com')!.dynamic).toBe(null);
      expect(zone.recordCount).toBe(3);
    });

    it('attaches the binding to a node with other static data', () => {
      const zone = zoneOf(build('lb TXT "hello"\n', new Map([['lb.example.com', LB]])));
      const node = zone.nodes.get('lb.example.com')!;
      expect(node.dynamic).toBe(LB);
      expect(node.rrsets.has(RRType.TXT)).toBe(true);
    });

    it.each([
      ['static data of a type it answers', 'lb AAAA ::1\n', LB, 'z.zone:5', 'the load balancer answers AAAA'],
      ['a static CNAME', 'lb CNAME www\n', LB, 'z.zone:5', 'static CNAME'],
      ['static data beside a CNAME-capable balancer', 'lb TXT "x"\n', LB_CNAME, 'z.zone:5', 'may answer with a CNAME'],
      ['a name below a cut', 'sub NS ns.x\n', LB, 'z.zone', 'delegation at sub.example.com.'],
      ['a name below a DNAME', 'sub DNAME x\n', LB, 'z.zone', 'DNAME at sub.example.com.'],
      ['a CNAME-capable balancer at a DNAME owner', 'lb DNAME x\n', LB_CNAME, 'z.zone:5', 'may answer with a CNAME'],
    ])('rejects %s, naming the name', (_what, body, binding, where, text) => {
      const name = body.startsWith('sub') ? 'x.sub.example.com' : 'lb.example.com';
      const r = build(body, new Map([[name, binding]]));
      expect(errorsOf(r)).toEqual([`${where} STEER_ZONE_DYNAMIC_CONFLICT`]);
      const message = 'errors' in r ? r.errors[0]!.message : '';
      expect(message).toContain(`${name}.`);
      expect(message).toContain(text);
    });

    it('rejects a binding outside the zone', () => {
      expect(errorsOf(build('', new Map([['www.example.org', LB]])))).toEqual(['z.zone STEER_ZONE_OUT_OF_ZONE']);
    });
  });
});
