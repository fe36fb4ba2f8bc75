// A GeoLite2-ASN (MaxMind DB) file as an AsnDatabase: autonomous_system_number and
// autonomous_system_organization per network. Opened and checked like the city database
// (database.ts), and additionally refused when its database_type does not say ASN, so a City
// file passed to --asn-db by mistake fails at start (or keeps the previous file at reload)
// instead of steering every client as "no AS".
import type { AsnResponse, Reader } from 'maxmind';
import type { SteerError } from '../errors.js';
import { ipv4Net24, mmdbReaderFromBuffer, normalizeLookupAddress, openError, probeLookups, readDatabaseFile } from './database.js';
import { RecentCache } from './recent-cache.js';
import type { AsnDatabase, AsnLocation } from './types.js';

const ADDRESS_CACHE_SIZE = 10_000;
/** Like the city database: ECS sources are /24s and AS networks are rarely longer. */
const NET24_CACHE_SIZE = 1 << 17;

function asnOf(record: AsnResponse | null): Omit<AsnLocation, 'networkPrefix'> {
  const n = record?.autonomous_system_number;
  const org = record?.autonomous_system_organization;
  return {
    asn: typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null,
    organization: typeof org === 'string' && org !== '' ? org : null,
  };
}

class MaxMindAsnDatabase implements AsnDatabase {
  readonly databaseType: string;
  readonly buildEpoch: number;
  private readonly ipVersion: number;
  private readonly byAddress = new RecentCache<string, AsnLocation>(ADDRESS_CACHE_SIZE);
  private readonly byNet24 = new RecentCache<number, AsnLocation>(NET24_CACHE_SIZE);

  constructor(
    private readonly reader: Reader<AsnResponse>,
    readonly file: string,
  ) {
    this.databaseType = reader.metadata.databaseType;
    this.buildEpoch = Math.floor(reader.metadata.buildEpoch.getTime() / 1000);
    this.ipVersion = reader.metadata.ipVersion;
  }

  lookup(ip: string): AsnLocation {
    const net24 = ipv4Net24(ip);
    if (net24 >= 0) {
      const hit = this.byNet24.get(net24);
      if (hit !== undefined) return hit;
    }
    const cached = this.byAddress.get(ip);
    if (cached !== undefined) return cached;
    const addr = normalizeLookupAddress(ip);
    if (addr === null) throw new Error(`not an IP address: ${ip}`);
    let result: AsnLocation;
    if (addr.family === 6 && this.ipVersion === 4) {
      result = Object.freeze({ asn: null, organization: null, networkPrefix: 0 });
    } else {
      const [record, prefix] = this.reader.getWithPrefixLength(addr.ip);
      result = Object.freeze({ ...asnOf(record), networkPrefix: prefix });
    }
    if (net24 >= 0 && result.networkPrefix <= 24) this.byNet24.set(net24, result);
    else this.byAddress.set(ip, result);
    return result;
  }
}

/** Opens an ASN database from bytes already read. Throws STEER_GEOIP_OPEN. */
export function asnDatabaseFromBuffer(buf: Buffer, file: string): AsnDatabase {
  const fail = (why: string): SteerError => openError(file, why);
  const reader = mmdbReaderFromBuffer<AsnResponse>(buf, file);
  const type = reader.metadata.databaseType;
  if (!/asn/i.test(type)) throw fail(`database_type "${type}" is not an ASN database (expected GeoLite2-ASN or similar)`);
  const db = new MaxMindAsnDatabase(reader, file);
  probeLookups(db, reader.metadata.ipVersion, file);
  return db;
}

export async function openAsnDatabase(file: string): Promise<AsnDatabase> {
  return asnDatabaseFromBuffer(await readDatabaseFile(file), file);
}
