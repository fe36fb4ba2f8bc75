import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { mmdbUint32, writeMmdb } from '../../test/support/mmdb-writer.js';
import { eventually } from '../../test/support/eventually.js';
import { SteerError } from '../errors.js';
import { asnDatabaseFromBuffer } from './asn-database.js';
import { GeoIpService } from './service.js';
import type { AsnDatabase } from './types.js';

/** A GeoLite2-ASN layout database: autonomous_system_number (uint32) and _organization. */
function asnDb(networks: { network: string; asn: number; org: string }[], type = 'GeoLite2-ASN'): Buffer {
  return writeMmdb(
    { database_type: type, languages: ['en'], build_epoch: 1_700_000_000 },
    networks.map((n) => ({
      network: n.network,
      data: { autonomous_system_number: mmdbUint32(n.asn), autonomous_system_organization: n.org },
    })),
  );
}

const NETS = [
  { network: '1.1.1.0/24', asn: 13335, org: 'CLOUDFLARENET' },
  { network: '8.8.0.0/16', asn: 15169, org: 'GOOGLE' },
  { network: '2606:4700::/32', asn: 13335, org: 'CLOUDFLARENET' },
];

const dirs: string[] = [];
const services: GeoIpService<AsnDatabase>[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('ASN database', () => {
  it('maps GeoLite2-ASN records and gives the network prefix as the scope', () => {
    const db = asnDatabaseFromBuffer(asnDb(NETS), 'asn.mmdb');
    expect(db.lookup('1.1.1.7')).toEqual({ asn: 13335, organization: 'CLOUDFLARENET', networkPrefix: 24 });
    expect(db.lookup('8.8.4.4')).toEqual({ asn: 15169, organization: 'GOOGLE', networkPrefix: 16 });
    expect(db.lookup('::ffff:8.8.8.8').asn).toBe(15169);
    expect(db.lookup('2606:4700:10::1')).toMatchObject({ asn: 13335, networkPrefix: 32 });
    const nowhere = db.lookup('9.9.9.9');
    expect(nowhere.asn).toBeNull();
    expect(nowhere.networkPrefix).toBeGreaterThan(0);
  });

  it('refuses junk, a truncated file and a database that is not an ASN one', () => {
    const open = (buf: Buffer) => () => asnDatabaseFromBuffer(buf, 'x.mmdb');
    expect(open(Buffer.from('not a database at all'))).toThrow(SteerError);
    const good = asnDb(NETS);
    expect(open(good.subarray(0, good.length - 40))).toThrow(SteerError);
    expect(open(asnDb(NETS, 'GeoLite2-City'))).toThrow(/not an ASN database/);
  });

  it('reloads when the file changes; a broken replacement keeps the previous database', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steerdns-asn-'));
    dirs.push(dir);
    const file = path.join(dir, 'GeoLite2-ASN.mmdb');
    writeFileSync(file, asnDb(NETS));
    const svc = await GeoIpService.openWith(
      file,
      pino({ level: 'silent' }),
      { debounceMs: 20, pollIntervalMs: 200, retries: 1, retryDelayMs: 50, label: 'ASN' },
      asnDatabaseFromBuffer,
    );
    services.push(svc);
    expect(svc.current().lookup('1.1.1.1').asn).toBe(13335);

    const errors: unknown[] = [];
    svc.on('reload-error', (e) => errors.push(e));
    writeFileSync(`${file}.tmp`, Buffer.from('junk'));
    renameSync(`${file}.tmp`, file);
    await eventually('the reload error', () => errors.length === 1, { timeoutMs: 10_000 });
    expect(svc.current().lookup('1.1.1.1').asn).toBe(13335);

    writeFileSync(`${file}.tmp`, asnDb([{ network: '1.1.1.0/24', asn: 64500, org: 'NEW' }]));
    renameSync(`${file}.tmp`, file);
    await eventually('the new database', () => svc.current().lookup('1.1.1.1').asn === 64500, { timeoutMs: 10_000 });
  });
});
