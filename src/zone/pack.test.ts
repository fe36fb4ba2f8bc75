import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { buildZone } from './build.js';
import { lookup } from './lookup.js';
import { packZone, unpackZone, ZoneUnpacker } from './pack.js';
import { parseZoneText } from './parser.js';
import { formatRR, formatSection } from '../../test/support/zone-format.js';
import type { DynamicBinding, Zone } from './types.js';
import { factsOf } from './zone-facts.js';

const ZONE = `$TTL 3600
@        SOA ns1 host 7 1 2 3 300
         NS ns1
         NS ns2.other.net.
         MX 10 mail
ns1      A 192.0.2.53
         AAAA 2001:db8::53
mail     A 192.0.2.25
www      CNAME ns1
*.w      TXT "wild" "card\\001"
srv._tcp SRV 1 2 443 www
x.y.z    HINFO "cpu" "os"
caa      CAA 0 issue "ca.example"
raw      TYPE65280 \\# 3 010203
sub      NS ns.sub
ns.sub   A 192.0.2.9
a.b.sub  A 192.0.2.10
lb       TXT "beside a load balancer"
`;

const BINDINGS: ReadonlyMap<string, DynamicBinding> = new Map([
  ['lb.example.com', { lb: 'pool', types: [RRType.A, RRType.AAAA] }],
  ['only-lb.example.com', { lb: 'other', types: [RRType.A] }],
]);

function build(text: string, bindings: ReadonlyMap<string, DynamicBinding> = new Map()): Zone {
  const parsed = parseZoneText(text, { file: 'z.zone', origin: 'example.com', zonesDir: '/zones', readFile: () => '' });
  expect(parsed.errors.map((e) => e.describe())).toEqual([]);
  const r = buildZone(parsed.origin, parsed.records, { file: 'z.zone', bindings, loadedAt: 1234 });
  if (!('zone' in r)) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
  return r.zone;
}

/** Everything a zone holds, as sorted text. */
function dump(zone: Zone): string[] {
  const lines: string[] = [
    `origin ${zone.origin} file ${zone.file} serial ${zone.serial} records ${zone.recordCount} loaded ${zone.loadedAt}`,
  ];
  lines.push(`soa ${formatRR(zone.soa)}`, `cuts ${[...zone.cuts].sort().join(',')}`);
  const facts = factsOf(zone);
  lines.push(
    `wildcards ${facts.hasWildcards} cutOf ${[...facts.cutOf]
      .map((p) => p.join('>'))
      .sort()
      .join(',')}`,
  );
  for (const [name, node] of zone.nodes) {
    lines.push(`node ${name} ${node.name === name} lb=${node.dynamic?.lb ?? '-'} types=${[...node.rrsets.keys()].join(',')}`);
    for (const rrset of node.rrsets.values()) for (const rr of rrset) lines.push(`  ${formatRR(rr)}`);
  }
  return lines.sort();
}

describe('packZone / unpackZone', () => {
  it('gives back the same zone: nodes, empty non-terminals, every record kind, cuts, facts, load balancers', () => {
    const zone = build(ZONE, BINDINGS);
    const again = unpackZone(packZone(zone), BINDINGS);
    expect(dump(again)).toEqual(dump(zone));
    expect(again.nodes.get('lb.example.com')!.dynamic).toBe(BINDINGS.get('lb.example.com'));
  });

  it('answers lookups the same way', () => {
    const zone = build(ZONE, BINDINGS);
    const again = unpackZone(packZone(zone), BINDINGS);
    const questions: [string, number][] = [
      ['example.com', RRType.MX],
      ['example.com', RRType.NS],
      ['www.example.com', RRType.A],
      ['q.w.example.com', RRType.TXT],
      ['a.b.sub.example.com', RRType.A],
      ['b.sub.example.com', RRType.A],
      ['z.example.com', RRType.A],
      ['nope.example.com', RRType.A],
      ['raw.example.com', 65280],
      ['example.com', RRType.ANY],
    ];
    for (const [name, type] of questions) {
      const a = lookup(zone, name, type, null);
      const b = lookup(again, name, type, null);
      const show = (r: typeof a) => [r.kind, ...formatSection(r.answer), ...('authority' in r ? formatSection(r.authority) : [])];
      expect(show(b), `${name} ${type}`).toEqual(show(a));
    }
  });

  it('is frozen like a built zone', () => {
    const again = unpackZone(packZone(build(ZONE)), new Map());
    const node = again.nodes.get('ns1.example.com')!;
    const rrset = node.rrsets.get(RRType.A)!;
    expect(
      Object.isFrozen(again) &&
        Object.isFrozen(node) &&
        Object.isFrozen(rrset) &&
        Object.isFrozen(rrset[0]) &&
        Object.isFrozen(rrset[0]!.data),
    ).toBe(true);
    expect(() => (again.nodes as unknown as Map<string, unknown>).set('y', null)).toThrow(TypeError);
  });

  it('unpacks a step at a time and shows nothing before the end', () => {
    let text = ZONE;
    for (let i = 0; i < 1000; i++) text += `h${i} A 10.0.${i >> 8}.${i & 255}\n`;
    const zone = build(text);
    const u = new ZoneUnpacker(packZone(zone), new Map());
    let steps = 1;
    expect(() => u.zone()).toThrow();
    while (!u.step(0)) steps++; // a deadline already past: one batch of nodes per step
    expect(steps).toBeGreaterThan(3);
    expect(dump(u.zone())).toEqual(dump(zone));
  });

  it('refuses a load-balanced node whose binding is missing', () => {
    const packed = packZone(build(ZONE, BINDINGS));
    expect(() => unpackZone(packed, new Map())).toThrow(/no load balancer/);
  });
});
