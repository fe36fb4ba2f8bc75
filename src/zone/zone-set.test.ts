import { describe, expect, it } from 'vitest';
import { SteerError } from '../errors.js';
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
