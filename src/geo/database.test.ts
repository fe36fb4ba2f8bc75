import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestGeoDb, TEST_GEO_BUILD_EPOCH, TEST_GEO_NETWORKS, writeTestGeoDb } from '../../test/support/geo-fixture.js';
import { SteerError } from '../errors.js';
import fc from 'fast-check';
import { detectGeoKind, geoDatabaseFromBuffer, openGeoDatabase } from './database.js';
import { ipv4Net24, normalizeLookupAddress } from './network-cache.js';
import { mmdbDouble, writeMmdb } from '../../test/support/mmdb-writer.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'steerdns-geodb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const city = geoDatabaseFromBuffer(buildTestGeoDb('city'), 'test-city.mmdb');
const country = geoDatabaseFromBuffer(buildTestGeoDb('country'), 'test-country.mmdb');

describe('GeoDatabase over the test fixture', () => {
  it('reads kind, type and build time from the metadata', () => {
    expect(city.kind).toBe('city');
    expect(city.databaseType).toBe('steerdns-Test-City');
    expect(city.buildEpoch).toBe(TEST_GEO_BUILD_EPOCH);
    expect(city.file).toBe('test-city.mmdb');
    expect(country.kind).toBe('country');
    expect(country.databaseType).toBe('steerdns-Test-Country');
  });

  it.each(TEST_GEO_NETWORKS.map((n) => [n.network, n] as const))('maps %s from a City record', (network, n) => {
    const [addr, len] = network.split('/') as [string, string];
    expect(city.lookup(addr)).toEqual({
      continent: n.continent,
      country: n.country,
      subdivision: `${n.country}-${n.subdivisionCode}`,
      latitude: n.latitude,
      longitude: n.longitude,
      networkPrefix: Number(len),
    });
  });

  it('maps a Country record to continent and country only', () => {
    expect(country.lookup('127.0.1.77')).toEqual({
      continent: 'EU',
      country: 'GB',
      subdivision: null,
      latitude: null,
      longitude: null,
      networkPrefix: 24,
    });
    expect(country.lookup('2001:db8:2::53')).toMatchObject({ continent: 'NA', country: 'US', networkPrefix: 48 });
  });

  it('gives IPv4 prefixes in IPv4 terms and IPv6 prefixes in IPv6 terms', () => {
    expect(city.lookup('203.0.113.9').networkPrefix).toBe(25);
    expect(city.lookup('198.51.100.255').networkPrefix).toBe(24);
    expect(city.lookup('2001:db8:1:abcd::1').networkPrefix).toBe(48);
    expect(city.lookup('::1').networkPrefix).toBe(128);
  });

  it('looks up IPv4-mapped IPv6 and zoned addresses as their plain form', () => {
    expect(city.lookup('::ffff:127.0.3.1')).toEqual(city.lookup('127.0.3.1'));
    expect(city.lookup('::FFFF:127.0.3.1').networkPrefix).toBe(24);
    expect(city.lookup('0:0:0:0:0:ffff:7f00:301')).toMatchObject({ country: 'JP', networkPrefix: 24 });
    expect(city.lookup('::1%lo')).toMatchObject({ country: 'GB', networkPrefix: 128 });
  });

  it('returns all-null fields with the empty region prefix for unknown addresses', () => {
    const nowhere = { continent: null, country: null, subdivision: null, latitude: null, longitude: null };
    expect(city.lookup('203.0.113.200')).toEqual({ ...nowhere, networkPrefix: 25 });
    expect(city.lookup('127.0.4.1')).toEqual({ ...nowhere, networkPrefix: 22 });
    expect(city.lookup('2001:db8:3::1')).toEqual({ ...nowhere, networkPrefix: 48 });
    // 8.0.0.0/5 holds no network (the nearest is ::1, i.e. 0.0.0.1, in the IPv4 subtree).
    expect(city.lookup('8.8.8.8')).toEqual({ ...nowhere, networkPrefix: 5 });
  });

  it('returns the same answer from its cache as from the tree', () => {
    const a = city.lookup('198.51.100.1');
    const b = city.lookup('198.51.100.1');
    const c = city.lookup('198.51.100.2');
    expect(b).toBe(a);
    expect(c).toEqual(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('shares a /24 only when the network is a /24 or shorter (203.0.113.0/25 vs its other half)', () => {
    for (const order of [
      ['203.0.113.9', '203.0.113.200'],
      ['203.0.113.200', '203.0.113.9'],
    ]) {
      const db = geoDatabaseFromBuffer(buildTestGeoDb('city'), 'fresh.mmdb');
      const seen = order.map((ip) => db.lookup(ip));
      const byIp = Object.fromEntries(order.map((ip, i) => [ip, seen[i]]));
      expect(byIp['203.0.113.9']).toMatchObject({ country: 'AU', networkPrefix: 25 });
      expect(byIp['203.0.113.200']).toMatchObject({ country: null, networkPrefix: 25 });
    }
    // A /24 network: the second address is served from the first one's entry.
    const db = geoDatabaseFromBuffer(buildTestGeoDb('city'), 'fresh.mmdb');
    expect(db.lookup('127.0.1.200')).toBe(db.lookup('127.0.1.3'));
  });

  it('answers from its caches exactly as a fresh database does, in any order', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ipv4 = fc.oneof(
      fc.tuple(octet).map(([d]) => `203.0.113.${d}`),
      fc.tuple(fc.integer({ min: 0, max: 5 }), octet).map(([c, d]) => `127.0.${c}.${d}`),
      fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
    );
    fc.assert(
      fc.property(fc.array(ipv4, { minLength: 1, maxLength: 40 }), (ips) => {
        const cached = geoDatabaseFromBuffer(buildTestGeoDb('city'), 'cached.mmdb');
        for (const ip of ips) {
          const fresh = geoDatabaseFromBuffer(buildTestGeoDb('city'), 'fresh.mmdb');
          expect(cached.lookup(ip)).toEqual(fresh.lookup(ip));
          // The probe by /24 number, when it knows an answer, gives the answer of a fresh lookup.
          const byNet24 = cached.cachedNet24?.(ipv4Net24(ip));
          if (byNet24 !== undefined) expect(byNet24).toEqual(fresh.lookup(ip));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('knows a /24 by number only after a lookup there found a network of /24 or shorter', () => {
    const db = geoDatabaseFromBuffer(buildTestGeoDb('city'), 'fresh.mmdb');
    const net = ipv4Net24('127.0.1.3');
    expect(db.cachedNet24?.(net)).toBeUndefined();
    const found = db.lookup('127.0.1.3');
    expect(db.cachedNet24?.(net)).toBe(found);
    // 203.0.113.0/25 is longer than a /24: never answered by number.
    db.lookup('203.0.113.9');
    expect(db.cachedNet24?.(ipv4Net24('203.0.113.9'))).toBeUndefined();
  });

  it('keys IPv4 text by its /24 and leaves anything else to the general path', () => {
    expect(ipv4Net24('1.2.3.4')).toBe((1 << 16) | (2 << 8) | 3);
    expect(ipv4Net24('255.255.255.0')).toBe(0xffffff);
    expect(ipv4Net24('0.0.0.0')).toBe(0);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.',
      '.1.2.3',
      '256.1.1.1',
      '1.2.3.1000',
      '01.2.3.4',
      '1..2.3',
      '::1',
      '::ffff:1.2.3.4',
      '1.2.3.4%lo',
      'a.b.c.d',
    ]) {
      expect(ipv4Net24(bad), bad).toBe(-1);
    }
  });

  it('throws for text that is not an address', () => {
    expect(() => city.lookup('not-an-ip')).toThrow(/not an IP address/);
    expect(() => city.lookup('300.1.1.1')).toThrow(/not an IP address/);
    expect(() => city.lookup('')).toThrow(/not an IP address/);
  });
});

describe('record mapping details', () => {
  const meta = { database_type: 'GeoIP2-City', build_epoch: 1 };

  it('falls back to registered_country when a record has no country', () => {
    const db = geoDatabaseFromBuffer(
      writeMmdb(meta, [
        {
          network: '192.0.2.0/24',
          data: { continent: { code: 'EU' }, registered_country: { iso_code: 'NL' }, subdivisions: [{ iso_code: 'NH' }] },
        },
      ]),
      'x',
    );
    expect(db.lookup('192.0.2.1')).toMatchObject({ continent: 'EU', country: 'NL', subdivision: 'NL-NH' });
  });

  it('leaves out a subdivision without a country and coordinates that are missing or not numbers', () => {
    const db = geoDatabaseFromBuffer(
      writeMmdb(meta, [
        { network: '192.0.2.0/24', data: { subdivisions: [{ iso_code: 'CA' }], location: { latitude: 'north' } } },
        {
          network: '198.51.100.0/24',
          data: { country: { iso_code: 'US' }, location: { latitude: mmdbDouble(0), longitude: mmdbDouble(-0.5) } },
        },
      ]),
      'x',
    );
    expect(db.lookup('192.0.2.1')).toEqual({
      continent: null,
      country: null,
      subdivision: null,
      latitude: null,
      longitude: null,
      networkPrefix: 24,
    });
    expect(db.lookup('198.51.100.1')).toMatchObject({ country: 'US', subdivision: null, latitude: 0, longitude: -0.5 });
  });

  it('puts IPv6 addresses in no network of an IPv4-only database', () => {
    const db = geoDatabaseFromBuffer(
      writeMmdb({ ...meta, ip_version: 4 }, [
        { network: '0.0.0.0/1', data: { country: { iso_code: 'AA' } } },
        { network: '128.0.0.0/1', data: { country: { iso_code: 'BB' } } },
      ]),
      'x',
    );
    expect(db.lookup('200.1.1.1')).toMatchObject({ country: 'BB', networkPrefix: 1 });
    expect(db.lookup('::ffff:10.0.0.1')).toMatchObject({ country: 'AA', networkPrefix: 1 });
    expect(db.lookup('2001:db8::1')).toMatchObject({ country: null, networkPrefix: 0 });
  });
});

describe('detectGeoKind', () => {
  it.each([
    ['GeoLite2-City', 'city'],
    ['GeoIP2-City', 'city'],
    ['GeoIP2-City-Africa', 'city'],
    ['GeoIP2-Enterprise', 'city'],
    ['DBIP-City-Lite', 'city'],
    ['steerdns-Test-City', 'city'],
    ['GeoLite2-Country', 'country'],
    ['GeoIP2-Country', 'country'],
    ['DBIP-Country-Lite', 'country'],
    ['steerdns-Test-Country', 'country'],
  ] as const)('%s → %s', (type, kind) => {
    expect(detectGeoKind(type)).toBe(kind);
  });
});

describe('normalizeLookupAddress', () => {
  it.each([
    ['192.0.2.1', { ip: '192.0.2.1', family: 4 }],
    ['::ffff:192.0.2.1', { ip: '192.0.2.1', family: 4 }],
    ['::ffff:c000:201', { ip: '192.0.2.1', family: 4 }],
    ['2001:db8::1', { ip: '2001:db8::1', family: 6 }],
    ['fe80::1%eth0', { ip: 'fe80::1', family: 6 }],
    ['ffff::1', { ip: 'ffff::1', family: 6 }],
    ['::1:ffff:c000:201', { ip: '::1:ffff:c000:201', family: 6 }],
    ['bogus', null],
  ] as const)('%s', (input, expected) => {
    expect(normalizeLookupAddress(input)).toEqual(expected);
  });
});

describe('opening files', () => {
  it('opens a file written by the fixture', async () => {
    const db = await openGeoDatabase(writeTestGeoDb(tmp, 'country'));
    expect(db.kind).toBe('country');
    expect(db.lookup('127.0.2.1').country).toBe('US');
  });

  const broken: [string, Buffer | null][] = [
    ['a missing file', null],
    ['an empty file', Buffer.alloc(0)],
    ['junk', Buffer.from('this is not a MaxMind database\n'.repeat(100))],
    ['a truncated database (first half)', buildTestGeoDb('city').subarray(0, 1200)],
    [
      'a database cut just after the marker',
      (() => {
        const b = buildTestGeoDb('city');
        return b.subarray(0, b.lastIndexOf(Buffer.from('MaxMind.com')) + 11);
      })(),
    ],
  ];
  it.each(broken)('rejects %s with STEER_GEOIP_OPEN', async (name, content) => {
    const file = path.join(tmp, `${name.replace(/\W+/g, '-')}.mmdb`);
    if (content !== null) writeFileSync(file, content);
    const err = await openGeoDatabase(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SteerError);
    expect((err as SteerError).code).toBe('STEER_GEOIP_OPEN');
    expect((err as SteerError).file).toBe(file);
    expect((err as SteerError).describe()).toContain(file);
  });
});
