// DNSSEC key files for tests, written as `steerdns keygen` writes them (BIND format, mode 0600),
// with chosen timing; and the trust-anchor text a validating resolver takes for a key.
import fs from 'node:fs';
import path from 'node:path';
import { generateRawKey, type AlgorithmNumber } from '../../src/dnssec/algorithms.js';
import { formatKeyFiles, type KeyTiming } from '../../src/dnssec/key-file.js';

export interface TestKey {
  readonly base: string;
  readonly dir: string;
  /** "zone. DNSKEY 257 3 13 base64", as Unbound's trust-anchor takes it. */
  readonly anchor: string;
  readonly tag: number;
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
  return {
    base: files.base,
    dir,
    anchor: `${zone}. DNSKEY ${flags} 3 ${alg} ${Buffer.from(publicRaw).toString('base64')}`,
    tag: Number(files.base.slice(-5)),
  };
}

/** Moves a key's files out of the keys directory (the operator deleting them). */
export function removeTestKey(key: TestKey): void {
  fs.rmSync(path.join(key.dir, `${key.base}.key`));
  fs.rmSync(path.join(key.dir, `${key.base}.private`));
}
