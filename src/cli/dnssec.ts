// `steerdns keygen ZONE [--algorithm 13|15] [--ksk]` and `steerdns ds ZONE`: key files in BIND's
// format under --keys DIR/<zone>/, and the DS/DNSKEY records to give the registrar.
import fs from 'node:fs';
import path from 'node:path';
import { Algorithm, type AlgorithmNumber, generateRawKey } from '../dnssec/algorithms.js';
import { dnskeyText, dsText } from '../dnssec/describe.js';
import { formatKeyFiles } from '../dnssec/key-file.js';
import { isKsk, isPublished, loadKeySet, zoneKeyDir } from '../dnssec/key-set.js';
import { canonicalName } from '../wire/name.js';
import type { CliOptions } from './options.js';

/** The zone argument in canonical form, or an error message. */
function zoneArgument(options: CliOptions, command: string): string | { error: string } {
  const [zone, ...extra] = options.positionals;
  if (zone === undefined || extra.length > 0) return { error: `usage: steerdns ${command} ZONE --keys DIR` };
  try {
    return canonicalName(zone);
  } catch (err) {
    return { error: `${zone}: ${(err as Error).message}` };
  }
}

function keysDirOf(options: CliOptions, command: string): string | { error: string } {
  if (options.keys === undefined)
    return { error: `steerdns ${command}: --keys DIR is required (the keys directory, one subdirectory per zone)` };
  return path.resolve(options.keys);
}

export function runKeygen(options: CliOptions): number {
  const zone = zoneArgument(options, 'keygen');
  const keys = keysDirOf(options, 'keygen');
  if (typeof zone !== 'string' || typeof keys !== 'string') {
    process.stderr.write(`${typeof zone !== 'string' ? zone.error : (keys as { error: string }).error}\n`);
    return 2;
  }
  const alg = Number(options.algorithm ?? Algorithm.ECDSAP256SHA256);
  if (alg !== Algorithm.ECDSAP256SHA256 && alg !== Algorithm.ED25519) {
    process.stderr.write(`steerdns keygen: --algorithm ${options.algorithm}: expected 13 (ECDSAP256SHA256) or 15 (ED25519)\n`);
    return 2;
  }
  const dir = zoneKeyDir(keys, zone);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Math.floor(Date.now() / 1000) * 1000;
  const { privateRaw, publicRaw } = generateRawKey(alg as AlgorithmNumber);
  // A CSK (the default) and a KSK carry the SEP flag; --zsk makes a zone-signing key only.
  const files = formatKeyFiles(zone, alg as AlgorithmNumber, !options.zsk, publicRaw, privateRaw, {
    created: now,
    publish: now,
    activate: now,
    inactive: null,
    delete: null,
  });
  const base = path.join(dir, files.base);
  fs.writeFileSync(`${base}.key`, files.keyText, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(`${base}.private`, files.privateText, { mode: 0o600, flag: 'wx' });
  process.stdout.write(`${files.base}\n`);
  return 0;
}

export function runDs(options: CliOptions): number {
  const zone = zoneArgument(options, 'ds');
  const keys = keysDirOf(options, 'ds');
  if (typeof zone !== 'string' || typeof keys !== 'string') {
    process.stderr.write(`${typeof zone !== 'string' ? zone.error : (keys as { error: string }).error}\n`);
    return 2;
  }
  const loaded = loadKeySet(keys, zone);
  if ('errors' in loaded) {
    for (const e of loaded.errors) process.stderr.write(`${e.describe()}\n`);
    return 1;
  }
  if (loaded.keys === null) {
    process.stderr.write(`steerdns ds: no keys for ${zone || '.'} in ${zoneKeyDir(keys, zone)}\n`);
    return 1;
  }
  const now = Date.now();
  const sep = loaded.keys.keys.filter((k) => isKsk(k) && isPublished(k, now));
  if (sep.length === 0) {
    process.stderr.write(`steerdns ds: ${zone} has no published key with the SEP flag (a KSK or CSK)\n`);
    return 1;
  }
  for (const k of sep) process.stdout.write(`${dsText(k)}\n${dnskeyText(k)}\n`);
  return 0;
}
