import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Algorithm, generateRawKey, type AlgorithmNumber } from './algorithms.js';
import { dnskeyRdata, dsRdata, keyTag } from './dnskey.js';
import { formatKeyFiles, type KeyTiming, parseTimestamp, readKeyPair } from './key-file.js';
import { isActive, isPublished, loadKeySet, nextKeyEvent } from './key-set.js';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const HOUR = 3_600_000;
const always: KeyTiming = { created: null, publish: null, activate: null, inactive: null, delete: null };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-keys-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a key for `zone` into dir/zone/ and returns the .private path. */
function writeKey(zone: string, alg: AlgorithmNumber, timing: KeyTiming = always, ksk = true): string {
  const { privateRaw, publicRaw } = generateRawKey(alg);
  const files = formatKeyFiles(zone, alg, ksk, publicRaw, privateRaw, timing);
  const zoneDir = path.join(dir, zone);
  fs.mkdirSync(zoneDir, { recursive: true });
  fs.writeFileSync(path.join(zoneDir, `${files.base}.key`), files.keyText, { mode: 0o600 });
  fs.writeFileSync(path.join(zoneDir, `${files.base}.private`), files.privateText, { mode: 0o600 });
  return path.join(zoneDir, `${files.base}.private`);
}

describe('key files', () => {
  it.each([Algorithm.ECDSAP256SHA256, Algorithm.ED25519])(
    'a written key of algorithm %i reads back with its tag in the file name',
    (alg) => {
      const file = writeKey('example.com', alg);
      const read = readKeyPair(file, 'example.com');
      if ('errors' in read) throw new Error(read.errors.map((e) => e.describe()).join('\n'));
      expect(read.key.algorithm).toBe(alg);
      expect(read.key.flags).toBe(257);
      expect(path.basename(file)).toBe(`Kexample.com.+${String(alg).padStart(3, '0')}+${String(read.key.tag).padStart(5, '0')}.private`);
    },
  );

  it('computes the key tag and DS digest of RFC 4034 §5.4 / RFC 4509 style inputs consistently', () => {
    // RFC 8080 §6.1's Ed25519 example: DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= → tag 3613,
    // DS 3613 15 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b.
    const rdata = dnskeyRdata(257, 15, Buffer.from('l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=', 'base64'));
    expect(keyTag(rdata)).toBe(3613);
    expect(dsRdata('example.com', rdata).subarray(4).toString('hex')).toBe(
      '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b',
    );
  });

  it('reports a private key that does not match its public key, at the PrivateKey line', () => {
    const file = writeKey('example.com', Algorithm.ECDSAP256SHA256);
    const other = generateRawKey(Algorithm.ECDSAP256SHA256).privateRaw;
    const text = fs.readFileSync(file, 'utf8').replace(/^PrivateKey: .*$/m, `PrivateKey: ${Buffer.from(other).toString('base64')}`);
    fs.writeFileSync(file, text);
    const read = readKeyPair(file, 'example.com');
    expect('errors' in read && read.errors[0]!.code).toBe('STEER_DNSSEC_KEY_MISMATCH');
    expect('errors' in read && read.errors[0]!.describe()).toMatch(/\.private:3: the private key does not match/);
  });

  it('reports malformed files with file and line', () => {
    const file = writeKey('example.com', Algorithm.ED25519, { ...always, activate: NOW });
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^Activate: .*$/m, 'Activate: tomorrow'));
    const bad = readKeyPair(file, 'example.com');
    expect('errors' in bad && bad.errors[0]!.describe()).toMatch(/\.private:\d+: bad DNSSEC key file: Activate: expected YYYYMMDDHHMMSS/);
    const keyFile = file.replace(/\.private$/, '.key');
    fs.writeFileSync(keyFile, 'example.com. IN DNSKEY 257 3 15 not*base64\n');
    const bad2 = readKeyPair(file, 'example.com');
    expect('errors' in bad2 && bad2.errors[0]!.describe()).toMatch(/\.key:1: bad DNSSEC key file: the public key is not base64/);
  });

  it('refuses a private key file others may read', () => {
    const file = writeKey('example.com', Algorithm.ED25519);
    fs.chmodSync(file, 0o644);
    const read = readKeyPair(file, 'example.com');
    expect('errors' in read && read.errors[0]!.code).toBe('STEER_DNSSEC_KEY_PERMISSIONS');
  });

  it('refuses a key of another zone', () => {
    const file = writeKey('example.org', Algorithm.ED25519);
    const read = readKeyPair(file, 'example.com');
    expect('errors' in read && read.errors[0]!.message).toMatch(/for example.org, not for the zone example.com/);
  });
});

describe('key timing', () => {
  const timing = (t: Partial<KeyTiming>): KeyTiming => ({ ...always, ...t });

  it('publishes and activates by the BIND fields', () => {
    const file = writeKey(
      'example.com',
      Algorithm.ED25519,
      timing({ publish: NOW - HOUR, activate: NOW + HOUR, inactive: NOW + 2 * HOUR, delete: NOW + 3 * HOUR }),
    );
    const read = readKeyPair(file, 'example.com');
    if ('errors' in read) throw new Error('unreadable');
    const k = read.key;
    expect([isPublished(k, NOW), isActive(k, NOW)]).toEqual([true, false]);
    expect([isPublished(k, NOW + HOUR), isActive(k, NOW + HOUR)]).toEqual([true, true]);
    expect([isPublished(k, NOW + 2 * HOUR), isActive(k, NOW + 2 * HOUR)]).toEqual([true, false]);
    expect([isPublished(k, NOW + 3 * HOUR), isActive(k, NOW + 3 * HOUR)]).toEqual([false, false]);
    expect(nextKeyEvent([k], NOW)).toBe(NOW + HOUR);
  });

  it('a published key without Activate is a standby key, a key without any timing is active', () => {
    const standby = readKeyPair(writeKey('a.test', Algorithm.ED25519, timing({ publish: NOW - HOUR })), 'a.test');
    const plain = readKeyPair(writeKey('b.test', Algorithm.ED25519), 'b.test');
    if ('errors' in standby || 'errors' in plain) throw new Error('unreadable');
    expect(isActive(standby.key, NOW)).toBe(false);
    expect(isActive(plain.key, NOW)).toBe(true);
  });

  it('a zone with keys but none active is an error; a zone without a directory is unsigned', () => {
    writeKey('example.com', Algorithm.ED25519, timing({ publish: NOW - HOUR, activate: Date.now() + 10 * HOUR }));
    const loaded = loadKeySet(dir, 'example.com');
    expect('errors' in loaded && loaded.errors[0]!.code).toBe('STEER_DNSSEC_NO_ACTIVE_KEY');
    expect(loadKeySet(dir, 'example.net')).toEqual({ keys: null });
  });

  it('parses only real UTC timestamps', () => {
    expect(parseTimestamp('20261205120000')).toBe(NOW);
    expect(parseTimestamp('20261332120000')).toBeNull();
    expect(parseTimestamp('2026120512')).toBeNull();
  });
});
