// The writer is checked against two independent readers: the `maxmind` npm Reader (what
// steerdns uses) and libmaxminddb's mmdblookup (the C reference reader).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Reader } from 'maxmind';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestGeoDb, TEST_GEO_NETWORKS } from './geo-fixture.js';
import {
  MMDB_METADATA_MARKER,
  mmdbDouble,
  mmdbFloat,
  mmdbInt32,
  mmdbUint128,
  mmdbUint16,
  mmdbUint32,
  mmdbUint64,
  writeMmdb,
  type MmdbNetwork,
  type MmdbValue,
} from './mmdb-writer.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'steerdns-mmdb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const reader = (buf: Buffer): Reader<Record<string, unknown>> => new Reader<Record<string, unknown>>(buf);
const meta = { database_type: 'steerdns-Test', languages: ['en'], description: { en: 'test' }, build_epoch: 1_700_000_000 };

function countOccurrences(haystack: Buffer, needle: string): number {
  const n = Buffer.from(needle, 'utf8');
  let count = 0;
  for (let at = haystack.indexOf(n); at >= 0; at = haystack.indexOf(n, at + 1)) count++;
  return count;
}

describe('writeMmdb read back by the maxmind Reader', () => {
  it('writes the metadata section the spec describes', () => {
    const buf = writeMmdb({ ...meta, record_size: 24 }, [{ network: '192.0.2.0/24', data: { a: 'x' } }]);
    const m = reader(buf).metadata;
    expect(m.databaseType).toBe('steerdns-Test');
    expect(m.languages).toEqual(['en']);
    expect(m.description).toEqual({ en: 'test' });
    expect(m.ipVersion).toBe(6);
    expect(m.recordSize).toBe(24);
    expect(m.binaryFormatMajorVersion).toBe(2);
    expect(m.binaryFormatMinorVersion).toBe(0);
    expect(m.buildEpoch.getTime()).toBe(1_700_000_000_000);
    // Marker once, and the 16-byte separator right after the tree.
    expect(buf.lastIndexOf(MMDB_METADATA_MARKER)).toBe(buf.indexOf(MMDB_METADATA_MARKER));
    expect(buf.subarray(m.searchTreeSize, m.searchTreeSize + 16).equals(Buffer.alloc(16))).toBe(true);
  });

  it('finds every fixture network with its record and prefix (IPv4 prefixes in IPv4 terms)', () => {
    const r = reader(buildTestGeoDb('city'));
    for (const n of TEST_GEO_NETWORKS) {
      const [addr, len] = n.network.split('/') as [string, string];
      const [rec, prefix] = r.getWithPrefixLength(addr);
      expect(prefix, n.network).toBe(Number(len));
      expect(rec).toMatchObject({
        continent: { code: n.continent },
        country: { iso_code: n.country },
        subdivisions: [{ iso_code: n.subdivisionCode }],
        location: { latitude: n.latitude, longitude: n.longitude },
      });
    }
  });

  it('answers absent addresses with null and the empty region around them', () => {
    const r = reader(buildTestGeoDb('city'));
    expect(r.getWithPrefixLength('203.0.113.200')).toEqual([null, 25]); // the other half of the /24
    expect(r.getWithPrefixLength('127.0.4.1')).toEqual([null, 22]); // 127.0.4.0/22 is empty
    expect(r.getWithPrefixLength('2001:db8:3::1')).toEqual([null, 48]); // sibling of 2001:db8:2::/48
    expect(r.getWithPrefixLength('2001:db8:4::1')).toEqual([null, 46]); // 2001:db8:4::/46 is empty
  });

  it('aliases ::ffff:0:0/96 to the IPv4 subtree', () => {
    const r = reader(buildTestGeoDb('city'));
    const [rec, prefix] = r.getWithPrefixLength('::ffff:127.0.3.9');
    expect(rec).toMatchObject({ country: { iso_code: 'JP' } });
    expect(prefix).toBe(96 + 24);
  });

  it.each([24, 28, 32] as const)('reads the same with %i-bit records', (recordSize) => {
    const r = reader(
      writeMmdb({ ...meta, record_size: recordSize }, [
        { network: '10.0.0.0/8', data: { n: 1 } },
        { network: '2001:db8::/32', data: { n: 2 } },
      ]),
    );
    expect(r.metadata.recordSize).toBe(recordSize);
    expect(r.getWithPrefixLength('10.9.9.9')).toEqual([{ n: 1 }, 8]);
    expect(r.getWithPrefixLength('2001:db8:ffff::1')).toEqual([{ n: 2 }, 32]);
    expect(r.getWithPrefixLength('11.0.0.1')).toEqual([null, 8]); // sibling of 10.0.0.0/8
    expect(r.getWithPrefixLength('12.0.0.1')).toEqual([null, 6]); // 12.0.0.0/6 is empty
  });

  it('lets a more specific network override a covering one, in either input order', () => {
    const nets: MmdbNetwork[] = [
      { network: '10.1.0.0/16', data: 'inner' },
      { network: '10.0.0.0/8', data: 'outer' },
    ];
    for (const order of [nets, [...nets].reverse()]) {
      const r = reader(writeMmdb(meta, order));
      expect(r.getWithPrefixLength('10.1.2.3')).toEqual(['inner', 16]);
      // The rest of the /8 is split around the /16: 10.0.0.0/16 is the leaf next to it.
      expect(r.getWithPrefixLength('10.0.2.3')).toEqual(['outer', 16]);
      expect(r.getWithPrefixLength('10.200.0.1')).toEqual(['outer', 9]);
    }
  });

  it('round-trips every data type it writes', () => {
    const long = 'x'.repeat(300); // size needs two extra bytes (285+)
    const mid = 'é'.repeat(40); // 80 bytes of UTF-8: one extra size byte (29+)
    const data: MmdbValue = {
      utf8: 'héllo ✓',
      empty: '',
      long,
      mid,
      double: mmdbDouble(40),
      plainDouble: -74.0123,
      float: mmdbFloat(1.5),
      u16: mmdbUint16(65535),
      u32: mmdbUint32(4_294_967_295),
      plainU32: 7,
      zero: 0,
      i32: mmdbInt32(-5),
      plainI32: -2_147_483_648,
      u64: mmdbUint64(2 ** 53 - 1),
      u64big: mmdbUint64(18_446_744_073_709_551_615n),
      u128: mmdbUint128(1n << 100n),
      yes: true,
      no: false,
      bytes: Uint8Array.from([0, 1, 254, 255]),
      array: [1, 'two', [3], { four: 4 }],
      nested: { a: { b: { c: [] } } },
      emptyMap: {},
    };
    const [rec] = reader(writeMmdb(meta, [{ network: '192.0.2.0/24', data }])).getWithPrefixLength('192.0.2.1');
    expect(rec).toEqual({
      utf8: 'héllo ✓',
      empty: '',
      long,
      mid,
      double: 40,
      plainDouble: -74.0123,
      float: 1.5,
      u16: 65535,
      u32: 4_294_967_295,
      plainU32: 7,
      zero: 0,
      i32: -5,
      plainI32: -2_147_483_648,
      u64: BigInt(2 ** 53 - 1),
      u64big: 18_446_744_073_709_551_615n,
      u128: 1n << 100n,
      yes: true,
      no: false,
      bytes: Buffer.from([0, 1, 254, 255]),
      array: [1, 'two', [3], { four: 4 }],
      nested: { a: { b: { c: [] } } },
      emptyMap: {},
    });
  });

  it('stores identical records and repeated strings once (pointers for the repeats)', () => {
    const shared = { country: { iso_code: 'ZZ', names: { en: 'A long country name for dedup' } } };
    const nets: MmdbNetwork[] = Array.from({ length: 50 }, (_, i) => ({ network: `10.${i}.0.0/16`, data: shared }));
    nets.push({ network: '11.0.0.0/8', data: { other: 'A long country name for dedup', country: { iso_code: 'ZZ' } } });
    const buf = writeMmdb(meta, nets);
    expect(countOccurrences(buf, 'A long country name for dedup')).toBe(1);
    expect(countOccurrences(buf, 'iso_code')).toBe(1);
    const r = reader(buf);
    expect(r.get('10.49.1.1')).toEqual(shared);
    expect(r.get('11.1.1.1')).toEqual({ other: 'A long country name for dedup', country: { iso_code: 'ZZ' } });
  });

  it('writes an ip_version 4 database', () => {
    const r = reader(writeMmdb({ ...meta, ip_version: 4 }, [{ network: '198.51.100.0/24', data: 'v4' }]));
    expect(r.metadata.ipVersion).toBe(4);
    expect(r.getWithPrefixLength('198.51.100.77')).toEqual(['v4', 24]);
  });

  it('handles the whole address space and an empty database', () => {
    const all = reader(writeMmdb(meta, [{ network: '::/0', data: 'everywhere' }]));
    expect(all.get('2001:db8::1')).toBe('everywhere');
    expect(all.get('8.8.8.8')).toBe('everywhere');
    const none = reader(writeMmdb(meta, []));
    expect(none.getWithPrefixLength('8.8.8.8')).toEqual([null, 0]);
    expect(none.getWithPrefixLength('2001:db8::1')[0]).toBeNull();
  });

  it('rejects bad networks', () => {
    expect(() => writeMmdb(meta, [{ network: '10.0.0.1/8', data: 1 }])).toThrow(/host bits/);
    expect(() => writeMmdb(meta, [{ network: '10.0.0.0', data: 1 }])).toThrow(/prefix/);
    expect(() => writeMmdb(meta, [{ network: '10.0.0.0/33', data: 1 }])).toThrow(/over 32/);
    expect(() => writeMmdb(meta, [{ network: 'nope/8', data: 1 }])).toThrow(/not an IP/);
    expect(() => writeMmdb({ ...meta, ip_version: 4 }, [{ network: '2001:db8::/32', data: 1 }])).toThrow(/ip_version 4/);
    expect(() => writeMmdb(meta, [{ network: '10.0.0.0/8', data: mmdbUint16(70000) }])).toThrow(/out of range/);
  });

  it('agrees with a longest-prefix-match model on random IPv4 networks (property)', () => {
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    const network = fc.tuple(octets, fc.integer({ min: 1, max: 32 })).map(([o, len]) => {
      const n = (((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0) & (len === 32 ? 0xffffffff : ~(0xffffffff >>> len));
      return { n: n >>> 0, len };
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(network, { minLength: 1, maxLength: 20, selector: (x) => `${x.n}/${x.len}` }),
        fc.array(octets, { minLength: 1, maxLength: 20 }),
        (nets, probes) => {
          const text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
          const r = reader(
            writeMmdb(
              { ...meta, ip_version: 4 },
              nets.map((x) => ({ network: `${text(x.n)}/${x.len}`, data: `${x.n}/${x.len}` })),
            ),
          );
          for (const o of probes) {
            const a = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
            const mask = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
            let best: { n: number; len: number } | null = null;
            // Leaf depth: the walk passes every depth some longer network shares with the address.
            let depth = 1;
            for (const x of nets) {
              if ((a & mask(x.len)) >>> 0 === x.n && (best === null || x.len > best.len)) best = x;
              let common = 0;
              while (common < 32 && ((a ^ x.n) & (0x80000000 >>> common)) === 0) common++;
              depth = Math.max(depth, Math.min(common, x.len - 1) + 1);
            }
            expect(r.getWithPrefixLength(text(a))).toEqual([best === null ? null : `${best.n}/${best.len}`, depth]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

// --- mmdblookup (libmaxminddb) -------------------------------------------------------------

const mmdblookup = spawnSync('mmdblookup', ['--version'], { encoding: 'utf8' });
const haveMmdblookup = mmdblookup.status === 0;
if (!haveMmdblookup) {
  console.warn('SKIPPED: mmdblookup (libmaxminddb) is not installed; writer/C-reader agreement not checked');
}

/** mmdblookup's "pretty" output ("key": value <type>) as a JS value. */
function parseMmdblookup(out: string): unknown {
  const tokens = out.match(/"(?:[^"\\]|\\.)*"|<[a-z0-9_]+>|[{}[\]]|-?\d+(?:\.\d+)?|true|false|:/g) ?? [];
  let i = 0;
  const value = (): unknown => {
    const t = tokens[i++]!;
    let v: unknown;
    if (t === '{') {
      const obj: Record<string, unknown> = {};
      while (tokens[i] !== '}') {
        const key = JSON.parse(tokens[i++]!) as string;
        i++; // ':'
        obj[key] = value();
      }
      i++;
      return obj;
    }
    if (t === '[') {
      const arr: unknown[] = [];
      while (tokens[i] !== ']') arr.push(value());
      i++;
      return arr;
    }
    if (t.startsWith('"')) v = JSON.parse(t);
    else if (t === 'true' || t === 'false') v = t === 'true';
    else v = Number(t);
    const type = tokens[i]?.startsWith('<') ? tokens[i++] : undefined;
    return type === '<double>' || type === '<float>' ? Math.round((v as number) * 1e4) / 1e4 : v;
  };
  return value();
}

function lookupC(file: string, ip: string): { record: unknown; prefix: number | null } {
  const res = spawnSync('mmdblookup', ['--file', file, '--ip', ip, '--verbose'], { encoding: 'utf8' });
  const prefix = /Record prefix length: (\d+)/.exec(res.stdout);
  const body = res.stdout.slice(res.stdout.indexOf('Record prefix length'));
  const start = body.indexOf('{');
  return { record: start < 0 ? null : parseMmdblookup(body.slice(start)), prefix: prefix ? Number(prefix[1]) : null };
}

describe.skipIf(!haveMmdblookup)('writeMmdb read back by mmdblookup (libmaxminddb)', () => {
  it('agrees with the maxmind Reader on records and prefixes for the city and country fixtures', () => {
    for (const kind of ['city', 'country'] as const) {
      const buf = buildTestGeoDb(kind);
      const file = path.join(tmp, `${kind}.mmdb`);
      writeFileSync(file, buf);
      const r = reader(buf);
      const probes = [
        ...TEST_GEO_NETWORKS.map((n) => n.network.split('/')[0]!),
        '127.0.0.200',
        '203.0.113.127',
        '2001:db8:2:ffff::1',
        '::ffff:198.51.100.1',
      ];
      for (const ip of probes) {
        const [rec, prefix] = r.getWithPrefixLength(ip);
        const c = lookupC(file, ip);
        // mmdblookup counts IPv4 depth from the IPv6 root (::/96 + n).
        expect(c.prefix, ip).toBe(ip.includes(':') ? prefix : prefix + 96);
        expect(c.record, ip).toEqual(
          JSON.parse(JSON.stringify(rec), (_k, v: unknown) =>
            typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v,
          ),
        );
      }
    }
  });

  it('reports no entry where the maxmind Reader finds none', () => {
    const file = path.join(tmp, 'city-absent.mmdb');
    writeFileSync(file, buildTestGeoDb('city'));
    for (const ip of ['8.8.8.8', '203.0.113.200', '2001:db8:3::1']) {
      const res = spawnSync('mmdblookup', ['--file', file, '--ip', ip], { encoding: 'utf8' });
      expect(res.stdout + res.stderr, ip).toMatch(/Could not find an entry/);
    }
  });

  it('reads every record size and the data types', () => {
    for (const recordSize of [24, 28, 32] as const) {
      const file = path.join(tmp, `types-${recordSize}.mmdb`);
      writeFileSync(
        file,
        writeMmdb({ ...meta, record_size: recordSize }, [
          {
            network: '192.0.2.0/24',
            data: { s: 'x'.repeat(300), u16: mmdbUint16(7), i32: mmdbInt32(-9), d: mmdbDouble(1.25), b: true, a: [1, 'z'] },
          },
        ]),
      );
      const out = execFileSync('mmdblookup', ['--file', file, '--ip', '192.0.2.9'], { encoding: 'utf8' });
      expect(parseMmdblookup(out)).toEqual({ s: 'x'.repeat(300), u16: 7, i32: -9, d: 1.25, b: true, a: [1, 'z'] });
    }
  });
});
