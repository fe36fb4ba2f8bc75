// A small GeoIP database that tests build with the project's own MaxMind DB writer, so geo
// behaviour is tested against known networks rather than a vendor file's current contents.
// Records follow the GeoLite2 layout (continent.code, country.iso_code, subdivisions[].iso_code,
// location.latitude/longitude), so the production reader maps them exactly as it maps the real
// database.
//
// Networks other tests rely on (keep this list stable; add, never change):
//   127.0.0.0/24     NA US US-NY   40.7,  -74.0
//   127.0.1.0/24     EU GB GB-ENG  51.5,   -0.1
//   127.0.2.0/24     NA US US-CA   37.4, -122.1
//   127.0.3.0/24     AS JP JP-13   35.7,  139.7
//   198.51.100.0/24  EU DE DE-BE   52.5,   13.4
//   203.0.113.0/25   OC AU AU-NSW -33.9,  151.2
//   2001:db8:1::/48  EU FR FR-IDF  48.9,    2.3
//   2001:db8:2::/48  NA US US-CA   37.4, -122.1
//   ::1/128          EU GB GB-ENG  51.5,   -0.1
// Every other address is absent (all-null location). Empty regions have predictable prefixes,
// e.g. 203.0.113.200 → /25, 127.0.4.1 → /22, 2001:db8:3::1 → /48.
// Note the IPv4-in-IPv6 layout: IPv4 lives at ::/96, so ::1/128 is also where 0.0.0.1 is.
// The file also maps ::ffff:0:0/96 to the IPv4 networks (as MaxMind's databases do).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mmdbDouble, mmdbUint16, mmdbUint32, writeMmdb, type MmdbValue } from './mmdb-writer.js';

export interface TestGeoNetwork {
  readonly network: string;
  readonly continent: string;
  readonly country: string;
  /** ISO 3166-2 subdivision code without the country, as GeoLite2 stores it (e.g. "NY"). */
  readonly subdivisionCode: string;
  readonly latitude: number;
  readonly longitude: number;
}

export const TEST_GEO_NETWORKS: readonly TestGeoNetwork[] = Object.freeze([
  { network: '127.0.0.0/24', continent: 'NA', country: 'US', subdivisionCode: 'NY', latitude: 40.7, longitude: -74.0 },
  { network: '127.0.1.0/24', continent: 'EU', country: 'GB', subdivisionCode: 'ENG', latitude: 51.5, longitude: -0.1 },
  { network: '127.0.2.0/24', continent: 'NA', country: 'US', subdivisionCode: 'CA', latitude: 37.4, longitude: -122.1 },
  { network: '127.0.3.0/24', continent: 'AS', country: 'JP', subdivisionCode: '13', latitude: 35.7, longitude: 139.7 },
  { network: '198.51.100.0/24', continent: 'EU', country: 'DE', subdivisionCode: 'BE', latitude: 52.5, longitude: 13.4 },
  { network: '203.0.113.0/25', continent: 'OC', country: 'AU', subdivisionCode: 'NSW', latitude: -33.9, longitude: 151.2 },
  { network: '2001:db8:1::/48', continent: 'EU', country: 'FR', subdivisionCode: 'IDF', latitude: 48.9, longitude: 2.3 },
  { network: '2001:db8:2::/48', continent: 'NA', country: 'US', subdivisionCode: 'CA', latitude: 37.4, longitude: -122.1 },
  { network: '::1/128', continent: 'EU', country: 'GB', subdivisionCode: 'ENG', latitude: 51.5, longitude: -0.1 },
]);

/** Fixed build time so two builds of the fixture are byte-identical. */
export const TEST_GEO_BUILD_EPOCH = 1_700_000_000;

const CONTINENT_GEONAME: Readonly<Record<string, number>> = {
  AF: 6255146,
  AS: 6255147,
  EU: 6255148,
  NA: 6255149,
  OC: 6255151,
  SA: 6255150,
  AN: 6255152,
};

function countryRecord(n: TestGeoNetwork): Record<string, MmdbValue> {
  return {
    continent: { code: n.continent, geoname_id: mmdbUint32(CONTINENT_GEONAME[n.continent] ?? 0), names: { en: n.continent } },
    country: { iso_code: n.country, names: { en: n.country } },
    registered_country: { iso_code: n.country },
  };
}

function cityRecord(n: TestGeoNetwork): Record<string, MmdbValue> {
  return {
    ...countryRecord(n),
    subdivisions: [{ iso_code: n.subdivisionCode, names: { en: `${n.country}-${n.subdivisionCode}` } }],
    location: {
      accuracy_radius: mmdbUint16(100),
      latitude: mmdbDouble(n.latitude),
      longitude: mmdbDouble(n.longitude),
    },
  };
}

/** The database file bytes (for tests that want a Buffer rather than a file). */
export function buildTestGeoDb(kind: 'city' | 'country' = 'city'): Buffer {
  const type = kind === 'city' ? 'steerdns-Test-City' : 'steerdns-Test-Country';
  return writeMmdb(
    {
      database_type: type,
      languages: ['en'],
      description: { en: `steerdns test ${kind} database` },
      ip_version: 6,
      record_size: 28,
      build_epoch: TEST_GEO_BUILD_EPOCH,
    },
    TEST_GEO_NETWORKS.map((n) => ({ network: n.network, data: kind === 'city' ? cityRecord(n) : countryRecord(n) })),
  );
}

/** Writes the test database into dir (created if needed) and returns its path. */
export function writeTestGeoDb(dir: string, kind: 'city' | 'country' = 'city'): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, kind === 'city' ? 'test-city.mmdb' : 'test-country.mmdb');
  writeFileSync(file, buildTestGeoDb(kind));
  return file;
}
