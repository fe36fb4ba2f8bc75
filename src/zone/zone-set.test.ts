import { describe, expect, it } from 'vitest';
import { SteerError } from '../errors.js';
import { RRType } from '../wire/types.js';
import { buildZone } from './build.js';
import { parseZoneText } from './parser.js';
import type { Zone } from './types.js';
import { ZoneSet } from './zone-set.js';

function zone(origin: string): Zone {
  const text = '$TTL 60\n@ SOA ns host 1 2 3 4 5\n  NS ns\n';
  const parsed = parseZoneText(text, { file: `${origin}.zone`, origin, zonesDir: '/zones', readFile: () => '' });
  const built = buildZone(parsed.origin, parsed.records, { file: `${origin}.zone` });
  if (!('zone' in built)) throw new Error('zone did not build');
  return built.zone;
}

describe('ZoneSet', () => {
  const com = zone('example.com');
  const sub = zone('sub.example.com');
  const set = new ZoneSet([com, sub], 7);

  it.each([
    ['example.com', 'example.com'],
    ['www.example.com', 'example.com'],
    ['sub.example.com', 'sub.example.com'],
    ['a.b.sub.example.com', 'sub.example.com'],
    ['xsub.example.com', 'example.com'],
    ['a\\.sub.example.com', 'example.com'],
    ['example.org', null],
    ['com', null],
    ['', null],
  ])('%s → %s', (qname, origin) => {
    expect(set.find(qname)?.origin ?? null).toBe(origin);
  });

  it.each([
    ['sub.example.com', 'example.com', 'the apex of a child whose parent is served: the parent'],
    ['a.sub.example.com', 'sub.example.com', 'below the apex: the zone itself'],
    ['example.com', 'example.com', 'an apex whose parent is not served: the zone itself'],
    ['www.example.com', 'example.com', 'any other name: as for other types'],
  ])('DS for %s → %s (%s)', (qname, origin) => {
    expect(set.find(qname, RRType.DS)?.origin ?? null).toBe(origin);
    // Every other type keeps the longest match.
    expect(set.find(qname, RRType.A)).toBe(set.find(qname));
  });

  it('DS for a zone apex under a root zone goes to the root; DS for the root stays there', () => {
    const withRoot = new ZoneSet([com, zone('.')]);
    expect(withRoot.find('example.com', RRType.DS)?.origin).toBe('');
    expect(withRoot.find('', RRType.DS)?.origin).toBe('');
  });

  it('a root zone catches everything else', () => {
    const withRoot = new ZoneSet([com, zone('.')]);
    expect(withRoot.find('example.org')?.origin).toBe('');
    expect(withRoot.find('www.example.com')?.origin).toBe('example.com');
  });

  it('is frozen and carries its generation', () => {
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.zones)).toBe(true);
    expect(set.generation).toBe(7);
    expect(set.zones.map((z) => z.origin)).toEqual(['example.com', 'sub.example.com']);
    expect(set.get('sub.example.com')).toBe(sub);
  });

  it('refuses two zones with one origin', () => {
    expect(() => new ZoneSet([com, zone('example.com')])).toThrow(SteerError);
  });

  it('an empty set finds nothing', () => {
    expect(new ZoneSet([]).find('example.com')).toBe(null);
  });
});
