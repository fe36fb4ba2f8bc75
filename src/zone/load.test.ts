import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { loadZoneFile, originFromFileName } from './load.js';
import { lookup } from './lookup.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-load-'));
const zonesDir = path.join(root, 'zones');
fs.mkdirSync(zonesDir);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(zonesDir, name);
  fs.writeFileSync(file, text);
  return file;
}

const BODY = '$TTL 60\n@ SOA ns host 1 2 3 4 5\n  NS ns\nns A 192.0.2.1\n';

describe('loadZoneFile', () => {
  it('takes the origin from the file name', () => {
    const r = loadZoneFile(write('example.net.zone', BODY), zonesDir);
    if (!('zone' in r)) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
    expect(r.zone.origin).toBe('example.net');
    expect(lookup(r.zone, 'ns.example.net', RRType.A, null).kind).toBe('answer');
  });

  it('lets an $ORIGIN at the top override the file name', () => {
    const r = loadZoneFile(write('misc.zone', `$ORIGIN other.test.\n${BODY}`), zonesDir);
    expect('zone' in r && r.zone.origin).toBe('other.test');
  });

  it('returns every parse error with file and line, and no zone', () => {
    const file = write('bad.test.zone', `${BODY}x A nope\ny BOGUS 1\n`);
    const r = loadZoneFile(file, zonesDir);
    expect('errors' in r && r.errors.map((e) => e.describe())).toEqual([
      `${file}:5: bad A record data: "nope" is not an IPv4 address [STEER_ZONE_BAD_RDATA]`,
      `${file}:6: unknown record type BOGUS [STEER_ZONE_UNKNOWN_TYPE]`,
    ]);
  });

  it('reports the address rules (leading zeros, zone ids) at file and line', () => {
    const file = write('rules.test.zone', `${BODY}x A 192.0.2.010\ny AAAA fe80::1%eth0\n`);
    const r = loadZoneFile(file, zonesDir);
    expect('errors' in r && r.errors.map((e) => e.describe())).toEqual([
      `${file}:5: bad A record data: "192.0.2.010": leading zeros in IPv4 octets are not allowed (some parsers read them as octal); write 192.0.2.10 [STEER_ZONE_BAD_RDATA]`,
      `${file}:6: bad AAAA record data: "fe80::1%eth0": zone ids (%interface) are not allowed; they name an interface of one host and mean nothing in DNS data or configuration [STEER_ZONE_BAD_RDATA]`,
    ]);
  });

  it('returns zone-level errors', () => {
    const r = loadZoneFile(write('nosoa.test.zone', '$TTL 5\n@ NS ns\n'), zonesDir);
    expect('errors' in r && r.errors.map((e) => e.code)).toEqual(['STEER_ZONE_NO_SOA']);
  });

  it('reports a missing file', () => {
    const r = loadZoneFile(path.join(zonesDir, 'absent.zone'), zonesDir);
    expect('errors' in r && r.errors.map((e) => e.code)).toEqual(['STEER_FILE_READ']);
  });

  it('refuses bytes that are not UTF-8, naming the line', () => {
    const file = path.join(zonesDir, 'latin.test.zone');
    fs.writeFileSync(file, Buffer.concat([Buffer.from(`${BODY}t TXT "`), Buffer.from([0xe9]), Buffer.from('"\n')]));
    const r = loadZoneFile(file, zonesDir);
    expect('errors' in r && r.errors[0]!.message).toContain('line 5 is not valid UTF-8');
  });

  it('ignores a UTF-8 byte-order mark', () => {
    const file = path.join(zonesDir, 'bom.test.zone');
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(BODY)]));
    expect('zone' in loadZoneFile(file, zonesDir)).toBe(true);
  });

  it('passes bindings to the zone', () => {
    const r = loadZoneFile(write('lb.test.zone', BODY), zonesDir, {
      bindings: new Map([['www.lb.test', { lb: 'www', types: [RRType.A] }]]),
    });
    expect('zone' in r && r.zone.nodes.get('www.lb.test')?.dynamic?.lb).toBe('www');
  });

  it('loads the example zone shipped with the project', () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const dir = path.join(repo, 'zones');
    const r = loadZoneFile(path.join(dir, 'example.com.zone'), dir);
    if (!('zone' in r)) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
    expect(r.zone.origin).toBe('example.com');
    expect(r.zone.recordCount).toBeGreaterThan(10);
  });
});

describe('originFromFileName', () => {
  it.each([
    ['zones/example.com.zone', 'example.com'],
    ['/x/Example.COM.zone', 'example.com'],
    ['example.com..zone', 'example.com'],
    ['.zone', null],
    ['a..b.zone', null],
  ])('%s → %s', (file, origin) => {
    expect(originFromFileName(file)).toBe(origin);
  });
});
