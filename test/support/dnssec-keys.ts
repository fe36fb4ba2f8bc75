// DNSSEC key files for tests, written as `steerdns keygen` writes them (BIND format, mode 0600),
// with chosen timing; and the trust-anchor text a validating resolver takes for a key.
import fs from 'node:fs';
import path from 'node:path';
import { generateRawKey, type AlgorithmNumber } from '../../src/dnssec/algorithms.js';
import { dnskeyRdata, dsRdata } from '../../src/dnssec/dnskey.js';
import { formatKeyFiles, formatTimestamp, type KeyTiming, TIMING_FIELDS } from '../../src/dnssec/key-file.js';

export interface TestKey {
  readonly base: string;
  readonly dir: string;
  /** "zone. DNSKEY 257 3 13 base64", as Unbound's trust-anchor takes it. */
  readonly anchor: string;
  readonly tag: number;
  /** "zone. DS tag alg 2 hex": the record a parent would publish (also an Unbound trust anchor). */
  readonly ds: string;
}

export const NO_TIMING: KeyTiming = { created: null, publish: null, activate: null, inactive: null, delete: null };

export function writeTestKey(
  keysDir: string,
  zone: string,
  alg: AlgorithmNumber,
  opts: { ksk?: boolean; timing?: Partial<KeyTiming> } = {},
): TestKey {
  const { privateRaw, publicRaw } = generateRawKey(alg);
  const ksk = opts.ksk ?? true;
  const files = formatKeyFiles(zone, alg, ksk, publicRaw, privateRaw, { ...NO_TIMING, ...opts.timing });
  const dir = path.join(keysDir, zone);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, `${files.base}.key`), files.keyText, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, `${files.base}.private`), files.privateText, { mode: 0o600 });
  const flags = ksk ? 257 : 256;
  const ds = dsRdata(zone, dnskeyRdata(flags, alg, publicRaw));
  return {
    base: files.base,
    dir,
    anchor: `${zone}. DNSKEY ${flags} 3 ${alg} ${Buffer.from(publicRaw).toString('base64')}`,
    tag: Number(files.base.slice(-5)),
    ds: `${zone}. DS ${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex').toUpperCase()}`,
  };
}

/** Moves a key's files out of the keys directory (the operator deleting them). */
export function removeTestKey(key: TestKey): void {
  fs.rmSync(path.join(key.dir, `${key.base}.key`));
  fs.rmSync(path.join(key.dir, `${key.base}.private`));
}

/** Rewrites a key's timing fields in its .private file, as dnssec-settime does (null: remove the field). */
export function setTestKeyTiming(key: TestKey, timing: Partial<KeyTiming>): void {
  const file = path.join(key.dir, `${key.base}.private`);
  let lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  for (const name of TIMING_FIELDS) {
    const value = timing[name.toLowerCase() as keyof KeyTiming];
    if (value === undefined) continue;
    lines = lines.filter((l) => !l.startsWith(`${name}:`));
    if (value !== null) lines.push(`${name}: ${formatTimestamp(value)}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}
