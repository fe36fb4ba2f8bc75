// A GeoLite2-ASN (MaxMind DB) file as an AsnDatabase: autonomous_system_number and
// autonomous_system_organization per network. Opened and checked like the city database
// (database.ts), and additionally refused when its database_type does not say ASN, so a City
// file passed to --asn-db by mistake fails at start (or keeps the previous file at reload)
// instead of steering every client as "no AS".
import type { AsnResponse, Reader } from 'maxmind';
import type { SteerError } from '../errors.js';
import { mmdbReaderFromBuffer, openError, probeLookups, readDatabaseFile } from './database.js';
import { type LookupAddress, NetworkCache } from './network-cache.js';
import type { AsnDatabase, AsnLocation } from './types.js';

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
  private readonly networks = new NetworkCache<AsnLocation>((addr) => this.find(addr));

  constructor(
    private readonly reader: Reader<AsnResponse>,
    readonly file: string,
  ) {
    this.databaseType = reader.metadata.databaseType;
    this.buildEpoch = Math.floor(reader.metadata.buildEpoch.getTime() / 1000);
    this.ipVersion = reader.metadata.ipVersion;
  }

  lookup(ip: string): AsnLocation {
    return this.networks.lookup(ip);
  }

  private find(addr: LookupAddress): AsnLocation {
    if (addr.family === 6 && this.ipVersion === 4) return Object.freeze({ asn: null, organization: null, networkPrefix: 0 });
    const [record, prefix] = this.reader.getWithPrefixLength(addr.ip);
    return Object.freeze({ ...asnOf(record), networkPrefix: prefix });
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
