import { describe, expect, it } from 'vitest';
import { RRType, type RRset } from '../wire/types.js';
import { buildZone } from './build.js';
import { lookup } from './lookup.js';
import { parseZoneText } from './parser.js';
import type { Zone } from './types.js';

// RFC 9460 §4.1 additional-section processing, on a zone with every shape of target.
const ZONE_TEXT = `
$ORIGIN svc.test.
$TTL 300
@          SOA   ns hostmaster 1 3600 600 86400 60
           NS    ns
ns         A     192.0.2.53
@          HTTPS 0 pool
pool       HTTPS 1 . alpn=h2,h3
           A     192.0.2.10
           AAAA  2001:db8::10
svc        HTTPS 1 edge ipv4hint=192.0.2.20
           HTTPS 2 edge port=8443
           HTTPS 3 backup
edge       A     192.0.2.20
backup     AAAA  2001:db8::30
_dns       SVCB  1 ns alpn=dot
far        HTTPS 1 cdn.example.net.
chain      HTTPS 0 chain2
chain2     HTTPS 0 chain3
chain3     HTTPS 1 . alpn=h2
           A     192.0.2.40
loop1      HTTPS 0 loop2
loop2      HTTPS 0 loop1
none       HTTPS 0 .
deleg      HTTPS 1 host.sub
sub        NS    ns.sub
ns.sub     A     192.0.2.99
host.sub   A     192.0.2.98
`;

function zone(): Zone {
  const parsed = parseZoneText(ZONE_TEXT, { file: 'svc.zone', origin: 'svc.test', zonesDir: '/nonexistent', readFile: () => '' });
  expect(parsed.errors.map((e) => e.describe())).toEqual([]);
  const built = buildZone(parsed.origin, parsed.records, { file: 'svc.zone', bindings: new Map() });
  if (!('zone' in built)) throw new Error(built.errors.map((e) => e.describe()).join('\n'));
  return built.zone;
}

const z = zone();
const TYPE = new Map<number, string>([
  [RRType.A, 'A'],
  [RRType.AAAA, 'AAAA'],
  [RRType.HTTPS, 'HTTPS'],
  [RRType.SVCB, 'SVCB'],
]);
const names = (sets: readonly RRset[]): string[] => sets.map((s) => `${s[0]!.name} ${TYPE.get(s[0]!.type)} ×${s.length}`);

function additionalOf(qname: string, qtype: number): string[] {
  const r = lookup(z, qname, qtype, null);
  expect(r.kind).toBe('answer');
  return r.kind === 'answer' ? names(r.additional) : [];
}

describe('SVCB/HTTPS additional section (RFC 9460 §4.1)', () => {
  it('ServiceMode with target ".": the owner’s own addresses', () => {
    expect(additionalOf('pool.svc.test', RRType.HTTPS)).toEqual(['pool.svc.test A ×1', 'pool.svc.test AAAA ×1']);
  });

  it('ServiceMode targets: each in-zone target’s A/AAAA once', () => {
    expect(additionalOf('svc.svc.test', RRType.HTTPS)).toEqual(['edge.svc.test A ×1', 'backup.svc.test AAAA ×1']);
  });

  it('SVCB works like HTTPS', () => {
    expect(additionalOf('_dns.svc.test', RRType.SVCB)).toEqual(['ns.svc.test A ×1']);
  });

  it('AliasMode at the apex: the target’s HTTPS RRset, then its addresses', () => {
    expect(additionalOf('svc.test', RRType.HTTPS)).toEqual(['pool.svc.test HTTPS ×1', 'pool.svc.test A ×1', 'pool.svc.test AAAA ×1']);
  });

  it('AliasMode chains are followed to the ServiceMode record at the end', () => {
    expect(additionalOf('chain.svc.test', RRType.HTTPS)).toEqual([
      'chain2.svc.test HTTPS ×1',
      'chain3.svc.test HTTPS ×1',
      'chain3.svc.test A ×1',
    ]);
  });

  it('an AliasMode loop stops, each RRset added once', () => {
    expect(additionalOf('loop1.svc.test', RRType.HTTPS)).toEqual(['loop2.svc.test HTTPS ×1']);
  });

  it('adds nothing for targets outside the zone, below a cut, or AliasMode "."', () => {
    expect(additionalOf('far.svc.test', RRType.HTTPS)).toEqual([]);
    expect(additionalOf('deleg.svc.test', RRType.HTTPS)).toEqual([]);
    expect(additionalOf('none.svc.test', RRType.HTTPS)).toEqual([]);
  });
});
