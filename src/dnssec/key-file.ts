// BIND's key file pair, as dnssec-keygen and ldns-keygen write it:
//   K<zone>.+<alg>+<tag>.key      "<zone>. [ttl] [IN] DNSKEY <flags> 3 <alg> <base64>" plus ; comments
//   K<zone>.+<alg>+<tag>.private  "Private-key-format: v1.x", "Algorithm:", "PrivateKey:", and the
//                                 timing fields Created/Publish/Activate/Inactive/Delete (YYYYMMDDHHMMSS, UTC)
// Reading checks everything a signer relies on and reports file:line; writing produces files
// both BIND's and ldns's tools read back.
import fs from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { type SteerError, steerError } from '../errors.js';
import { canonicalName } from '../wire/name.js';
import { algorithmName, isSupportedAlgorithm, privateKeyFromRaw, type AlgorithmNumber } from './algorithms.js';
import { DNSKEY_REVOKE, DNSKEY_SEP, DNSKEY_ZONE, dnskeyRdata, keyTag } from './dnskey.js';

/** When a key enters and leaves each role, in ms since the epoch; null: not set. */
export interface KeyTiming {
  readonly created: number | null;
  readonly publish: number | null;
  readonly activate: number | null;
  readonly inactive: number | null;
  readonly delete: number | null;
}

export interface DnssecKey {
  readonly zone: string;
  readonly algorithm: AlgorithmNumber;
  readonly flags: number;
  readonly tag: number;
  /** DNSKEY RDATA. */
  readonly dnskey: Buffer;
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
  /** TTL written in the .key file, if any. */
  readonly ttl: number | null;
  readonly timing: KeyTiming;
  /** The .private file (the key's name in messages). */
  readonly file: string;
}

export const TIMING_FIELDS = ['Created', 'Publish', 'Activate', 'Inactive', 'Delete'] as const;

/** BIND's base name of a key: K<zone>.+<alg>+<tag> (the root zone is "K.+..."). */
export function keyBaseName(zone: string, algorithm: number, tag: number): string {
  return `K${zone}.+${String(algorithm).padStart(3, '0')}+${String(tag).padStart(5, '0')}`;
}

/** Loads one key from its .private file and the .key beside it; errors carry file:line. */
export function readKeyPair(privateFile: string, zone: string): { key: DnssecKey } | { errors: SteerError[] } {
  const keyFile = privateFile.replace(/\.private$/, '.key');
  const fail = (file: string, line: number | undefined, why: string): { errors: SteerError[] } => ({
    errors: [steerError('STEER_DNSSEC_KEY_FORMAT', [why], { file, line })],
  });
  let privateText: string;
  let publicText: string;
  try {
    const mode = fs.statSync(privateFile).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o007) !== 0) {
      return { errors: [steerError('STEER_DNSSEC_KEY_PERMISSIONS', [mode.toString(8).padStart(3, '0')], { file: privateFile })] };
    }
    privateText = fs.readFileSync(privateFile, 'utf8');
  } catch (err) {
    return { errors: [steerError('STEER_FILE_READ', [privateFile, (err as Error).message], { file: privateFile })] };
  }
  try {
    publicText = fs.readFileSync(keyFile, 'utf8');
  } catch (err) {
    return { errors: [steerError('STEER_FILE_READ', [keyFile, (err as Error).message], { file: keyFile })] };
  }

  const pub = parsePublic(publicText);
  if ('error' in pub) return fail(keyFile, pub.line, pub.error);
  if (pub.owner !== zone) return fail(keyFile, pub.line, `the key is for ${pub.owner || '.'}, not for the zone ${zone || '.'}`);
  if (!isSupportedAlgorithm(pub.algorithm)) {
    return fail(keyFile, pub.line, `algorithm ${pub.algorithm} is not supported (use 13, ECDSAP256SHA256, or 15, ED25519)`);
  }
  if ((pub.flags & DNSKEY_ZONE) === 0) return fail(keyFile, pub.line, `flags ${pub.flags} lack the zone key bit (256)`);
  if ((pub.flags & DNSKEY_REVOKE) !== 0) return fail(keyFile, pub.line, 'the key is revoked (flag 128); remove its files');

  const priv = parsePrivate(privateText);
  if ('error' in priv) return fail(privateFile, priv.line, priv.error);
  if (priv.algorithm !== pub.algorithm) {
    return fail(privateFile, priv.algorithmLine, `algorithm ${priv.algorithm} here, ${pub.algorithm} in ${path.basename(keyFile)}`);
  }
  let pair: ReturnType<typeof privateKeyFromRaw>;
  try {
    pair = privateKeyFromRaw(pub.algorithm, priv.privateKey);
  } catch (err) {
    return fail(privateFile, priv.keyLine, `PrivateKey: ${(err as Error).message}`);
  }
  if (!Buffer.from(pair.publicRaw).equals(Buffer.from(pub.publicKey))) {
    return { errors: [steerError('STEER_DNSSEC_KEY_MISMATCH', [path.basename(keyFile)], { file: privateFile, line: priv.keyLine })] };
  }
  const dnskey = dnskeyRdata(pub.flags, pub.algorithm, pub.publicKey);
  return {
    key: Object.freeze({
      zone,
      algorithm: pub.algorithm,
      flags: pub.flags,
      tag: keyTag(dnskey),
      dnskey,
      publicKey: pub.publicKey,
      privateKey: pair.privateKey,
      ttl: pub.ttl,
      timing: Object.freeze(priv.timing),
      file: privateFile,
    }),
  };
}

interface PublicPart {
  readonly owner: string;
  readonly ttl: number | null;
  readonly flags: number;
  readonly algorithm: number;
  readonly publicKey: Uint8Array;
  readonly line: number;
}

function parsePublic(text: string): PublicPart | { error: string; line: number } {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i]!.replace(/;.*$/, '').trim();
    if (content === '') continue;
    const tokens = content.split(/\s+/);
    const at = tokens.findIndex((t) => t.toUpperCase() === 'DNSKEY');
    const line = i + 1;
    if (at < 1) return { error: `expected "<zone>. [ttl] [IN] DNSKEY <flags> 3 <algorithm> <key>"`, line };
    let owner: string;
    try {
      owner = canonicalName(tokens[0]!);
    } catch (err) {
      return { error: (err as Error).message, line };
    }
    let ttl: number | null = null;
    for (const t of tokens.slice(1, at)) {
      if (/^\d+$/.test(t)) ttl = Number(t);
      else if (t.toUpperCase() !== 'IN') return { error: `unexpected "${t}" before DNSKEY`, line };
    }
    const [flags, protocol, algorithm, ...key] = tokens.slice(at + 1);
    if (!/^\d+$/.test(flags ?? '') || !/^\d+$/.test(protocol ?? '') || !/^\d+$/.test(algorithm ?? '') || key.length === 0) {
      return { error: 'DNSKEY needs flags, protocol, algorithm and a base64 key', line };
    }
    if (Number(protocol) !== 3) return { error: `protocol ${protocol}, expected 3`, line };
    const b64 = key.join('');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { error: 'the public key is not base64', line };
    return { owner, ttl, flags: Number(flags), algorithm: Number(algorithm), publicKey: Buffer.from(b64, 'base64'), line };
  }
  return { error: 'no DNSKEY record in the file', line: 1 };
}

interface PrivatePart {
  readonly algorithm: number;
  readonly algorithmLine: number;
  readonly privateKey: Uint8Array;
  readonly keyLine: number;
  readonly timing: KeyTiming;
}

function parsePrivate(text: string): PrivatePart | { error: string; line: number } {
  const fields = new Map<string, { value: string; line: number }>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '' || l.startsWith(';')) continue;
    const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(l);
    if (!m) return { error: `expected "Field: value"`, line: i + 1 };
    fields.set(m[1]!, { value: m[2]!, line: i + 1 });
  }
  const format = fields.get('Private-key-format');
  if (!format || !/^v1\.\d+$/.test(format.value))
    return { error: 'not a BIND private key file (no "Private-key-format: v1.x" line)', line: 1 };
  const alg = fields.get('Algorithm');
  const algorithm = Number(/^(\d+)/.exec(alg?.value ?? '')?.[1] ?? Number.NaN);
  if (!alg || !Number.isInteger(algorithm)) return { error: 'no "Algorithm: <number>" line', line: alg?.line ?? 1 };
  const key = fields.get('PrivateKey');
  if (!key || !/^[A-Za-z0-9+/]+={0,2}$/.test(key.value)) {
    return { error: 'no base64 "PrivateKey:" line (only ECDSA P-256 and Ed25519 keys are read)', line: key?.line ?? 1 };
  }
  const timing: Record<string, number | null> = {};
  for (const name of TIMING_FIELDS) {
    const f = fields.get(name);
    if (f === undefined) {
      timing[name.toLowerCase()] = null;
      continue;
    }
    const at = parseTimestamp(f.value);
    if (at === null) return { error: `${name}: expected YYYYMMDDHHMMSS (UTC), got "${f.value}"`, line: f.line };
    timing[name.toLowerCase()] = at;
  }
  return {
    algorithm,
    algorithmLine: alg.line,
    privateKey: Buffer.from(key.value, 'base64'),
    keyLine: key.line,
    timing: timing as unknown as KeyTiming,
  };
}

/** YYYYMMDDHHMMSS (UTC) → ms since the epoch; null when malformed. */
export function parseTimestamp(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const at = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(at);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return at;
}

export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export interface NewKeyFiles {
  readonly base: string;
  readonly keyText: string;
  readonly privateText: string;
}

/** The two files of a new key, in the format dnssec-keygen writes. */
export function formatKeyFiles(
  zone: string,
  algorithm: AlgorithmNumber,
  ksk: boolean,
  publicRaw: Uint8Array,
  privateRaw: Uint8Array,
  timing: KeyTiming,
): NewKeyFiles {
  const flags = DNSKEY_ZONE | (ksk ? DNSKEY_SEP : 0);
  const tag = keyTag(dnskeyRdata(flags, algorithm, publicRaw));
  const owner = `${zone}.`;
  const stamp = (ms: number) => `${formatTimestamp(ms)} (${new Date(ms).toUTCString()})`;
  const comments = [`; This is a ${ksk ? 'key-signing' : 'zone-signing'} key, keyid ${tag}, for ${owner}`];
  const privateLines = ['Private-key-format: v1.3', `Algorithm: ${algorithm} (${algorithmName(algorithm)})`];
  privateLines.push(`PrivateKey: ${Buffer.from(privateRaw).toString('base64')}`);
  for (const name of TIMING_FIELDS) {
    const at = timing[name.toLowerCase() as keyof KeyTiming];
    if (at === null) continue;
    comments.push(`; ${name}: ${stamp(at)}`);
    privateLines.push(`${name}: ${formatTimestamp(at)}`);
  }
  return {
    base: keyBaseName(zone, algorithm, tag),
    keyText: `${comments.join('\n')}\n${owner} IN DNSKEY ${flags} 3 ${algorithm} ${Buffer.from(publicRaw).toString('base64')}\n`,
    privateText: `${privateLines.join('\n')}\n`,
  };
}
