// A GeoIP2/GeoLite2 (MaxMind DB) file as a GeoDatabase, on the `maxmind` package's Reader.
//
// Kind detection, from the metadata's database_type: a type containing "City" (GeoLite2-City,
// GeoIP2-City, GeoIP2-City-Africa..., DBIP-City-Lite, our steerdns-Test-City) or "Enterprise"
// (GeoIP2-Enterprise carries city data) is 'city'; anything else (GeoLite2-Country,
// GeoIP2-Country, steerdns-Test-Country...) is 'country'. Lookups map whatever fields a record
// has, so the kind only describes the database; it never hides data.
//
// Record mapping (GeoLite2 layout): continent.code; country.iso_code, or registered_country's
// when the record has no country (some anycast and satellite networks), so such clients still
// steer by country; subdivisions[0].iso_code as "<country>-<code>"; location.latitude/longitude.
//
// Address handling: "::ffff:a.b.c.d" is looked up as a.b.c.d, and a "%zone" suffix is dropped,
// so the prefix is in the terms of the address's real family. For IPv4 addresses the reader
// starts at the IPv4 subtree (::/96) and counts depth from there, so its prefix is already
// 0-32; an IPv6 address in an IPv4-only database is in no network (prefix 0).
import { readFile } from 'node:fs/promises';
import { Reader, type CityResponse } from 'maxmind';
import { SteerError } from '../errors.js';
import { type LookupAddress, NetworkCache } from './network-cache.js';
import { RecentCache } from './recent-cache.js';
import type { GeoDatabase, GeoLocation } from './types.js';

/** Mapped data records, by data pointer; a Place is a few small fields. */
const RECORD_CACHE_SIZE = 100_000;
const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'ascii')]);
/** The spec bounds the metadata section (marker included) to 128 KiB at the end of the file. */
const METADATA_MAX = 128 * 1024;

/** A GeoLite2 record. Files come from outside, so every field read is checked at runtime. */
type GeoRecord = CityResponse;

type Place = Omit<GeoLocation, 'networkPrefix'>;

const NOWHERE: Place = Object.freeze({ continent: null, country: null, subdivision: null, latitude: null, longitude: null });

/** 'city' or 'country' from a database_type string (see the file comment). */
export function detectGeoKind(databaseType: string): 'city' | 'country' {
  return /city|enterprise/i.test(databaseType) ? 'city' : 'country';
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function placeOf(record: GeoRecord): Place {
  const country = str(record.country?.iso_code) ?? str(record.registered_country?.iso_code);
  const sub = str(record.subdivisions?.[0]?.iso_code);
  return Object.freeze({
    continent: str(record.continent?.code),
    country,
    subdivision: country !== null && sub !== null ? `${country}-${sub}` : null,
    latitude: num(record.location?.latitude),
    longitude: num(record.location?.longitude),
  });
}

/** Position of the metadata marker, or -1: a missing marker means truncated or not an mmdb. */
function findMetadataMarker(buf: Buffer): number {
  return buf.lastIndexOf(METADATA_MARKER, buf.length - METADATA_MARKER.length);
}

/**
 * mmdb-lib's Reader splits a lookup into a tree walk (→ data pointer, prefix) and a record
 * decode. Decoding a GeoLite2 City record (names in eight languages) costs ~20 µs, ten times the
 * walk, and many networks share one record; so when these two methods exist we walk, then map
 * each record once per pointer. Without them (a future mmdb-lib) the public getWithPrefixLength
 * path gives the same answers, only slower.
 */
interface ReaderInternals {
  findAddressInTree(ip: string): [number | null, number];
  resolveDataPointer(pointer: number): unknown;
}

function hasInternals(reader: object): reader is ReaderInternals {
  const r = reader as Partial<ReaderInternals>;
  return typeof r.findAddressInTree === 'function' && typeof r.resolveDataPointer === 'function';
}

class MaxMindGeoDatabase implements GeoDatabase {
  readonly kind: 'city' | 'country';
  readonly databaseType: string;
  readonly buildEpoch: number;
  private readonly ipVersion: number;
  private readonly internals: ReaderInternals | null;
  private readonly byPointer = new RecentCache<number, Place>(RECORD_CACHE_SIZE);
  private readonly networks = new NetworkCache<GeoLocation>((addr) => this.find(addr));

  constructor(
    private readonly reader: Reader<GeoRecord>,
    readonly file: string,
  ) {
    const meta = reader.metadata;
    this.databaseType = meta.databaseType;
    this.kind = detectGeoKind(meta.databaseType);
    this.buildEpoch = Math.floor(meta.buildEpoch.getTime() / 1000);
    this.ipVersion = meta.ipVersion;
    this.internals = hasInternals(reader) ? reader : null;
  }

  lookup(ip: string): GeoLocation {
    return this.networks.lookup(ip);
  }

  cachedNet24(net24: number): GeoLocation | undefined {
    return this.networks.cachedNet24(net24);
  }

  private find(addr: LookupAddress): GeoLocation {
    if (addr.family === 6 && this.ipVersion === 4) return Object.freeze({ ...NOWHERE, networkPrefix: 0 });
    if (this.internals !== null) {
      const [pointer, prefix] = this.internals.findAddressInTree(addr.ip);
      return Object.freeze({ ...this.placeAt(this.internals, pointer), networkPrefix: prefix });
    }
    const [record, prefix] = this.reader.getWithPrefixLength(addr.ip);
    return Object.freeze({ ...(record === null ? NOWHERE : placeOf(record)), networkPrefix: prefix });
  }

  private placeAt(internals: ReaderInternals, pointer: number | null): Place {
    if (pointer === null) return NOWHERE;
    let place = this.byPointer.get(pointer);
    if (place === undefined) {
      const record = internals.resolveDataPointer(pointer);
      place = record !== null && typeof record === 'object' ? placeOf(record as GeoRecord) : NOWHERE;
      this.byPointer.set(pointer, place);
    }
    return place;
  }
}

/**
 * A Reader over bytes already read, after the checks that catch a truncated or foreign file
 * before any lookup (shared by the city/country and the ASN databases). Throws STEER_GEOIP_OPEN.
 */
export function mmdbReaderFromBuffer<T extends object>(buf: Buffer, file: string): Reader<T> {
  const fail = (why: string): SteerError => openError(file, why);
  const marker = findMetadataMarker(buf);
  if (marker < 0 || buf.length - marker > METADATA_MAX) {
    throw fail('no MaxMind DB metadata (truncated, or not an .mmdb file)');
  }
  let reader: Reader<T>;
  try {
    reader = new Reader<T>(buf);
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const meta = reader.metadata;
  if (typeof meta.databaseType !== 'string') throw fail('metadata has no database_type');
  if (meta.ipVersion !== 4 && meta.ipVersion !== 6) throw fail(`unsupported ip_version ${String(meta.ipVersion)}`);
  if (!Number.isInteger(meta.nodeCount) || meta.nodeCount < 1) throw fail('metadata has no node_count');
  if (meta.searchTreeSize + 16 > marker) throw fail('search tree runs past the data section (truncated file)');
  if (!(meta.buildEpoch instanceof Date) || Number.isNaN(meta.buildEpoch.getTime())) throw fail('metadata has no build_epoch');
  return reader;
}

/** Opens a database from bytes already read; `file` names it in errors and in GeoDatabase.file. */
export function geoDatabaseFromBuffer(buf: Buffer, file: string): GeoDatabase {
  const reader = mmdbReaderFromBuffer<GeoRecord>(buf, file);
  const meta = reader.metadata;
  const db = new MaxMindGeoDatabase(reader, file);
  probeLookups(db, meta.ipVersion, file);
  return db;
}

/**
 * One lookup per family the database covers: it walks the tree and decodes a record, so a
 * corrupt body fails here (STEER_GEOIP_OPEN) rather than at the first query.
 */
export function probeLookups(db: { lookup(ip: string): unknown }, ipVersion: number, file: string): void {
  try {
    db.lookup('1.1.1.1');
    if (ipVersion === 6) db.lookup('2001:4860::1');
  } catch (err) {
    throw openError(file, `lookup failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads and opens a GeoIP2/GeoLite2 City or Country database. Throws STEER_GEOIP_OPEN. */
export async function openGeoDatabase(file: string): Promise<GeoDatabase> {
  return geoDatabaseFromBuffer(await readDatabaseFile(file), file);
}

/** The bytes of a MaxMind database file; an unreadable file is STEER_GEOIP_OPEN with its errno code. */
export async function readDatabaseFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw openError(file, (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err)));
  }
}

/** STEER_GEOIP_OPEN: `file` cannot serve as a database, and why. */
export function openError(file: string, why: string): SteerError {
  return new SteerError('STEER_GEOIP_OPEN', [file, why], { file });
}
