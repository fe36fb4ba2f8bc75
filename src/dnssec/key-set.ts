// A zone's keys directory and what its keys do at a given moment. Keys live in
// <keys dir>/<zone>/ (BIND file names); the timing fields decide, moment by moment, which keys are
// published in the DNSKEY RRset and which sign:
//   published: Publish (else Activate) has passed and Delete has not; a key with no timing at all
//              (ldns-keygen writes none) is published and active.
//   active:    published, Activate has passed and Inactive has not.
// Roles: a key with the SEP flag (257) is a KSK, one without a ZSK. When some active key is a ZSK,
// ZSKs sign the zone's data and KSKs only the DNSKEY/CDS/CDNSKEY RRsets; when none is, the active
// KSKs sign everything (a combined signing key, CSK).
import fs from 'node:fs';
import path from 'node:path';
import { type SteerError, steerError } from '../errors.js';
import { DNSKEY_SEP } from './dnskey.js';
import { type DnssecKey, readKeyPair } from './key-file.js';

export interface KeySet {
  readonly zone: string;
  readonly dir: string;
  readonly keys: readonly DnssecKey[];
}

export function isPublished(key: DnssecKey, now: number): boolean {
  const t = key.timing;
  const from = t.publish ?? t.activate;
  return (from === null || from <= now) && (t.delete === null || t.delete > now);
}

export function isActive(key: DnssecKey, now: number): boolean {
  const t = key.timing;
  if (!isPublished(key, now)) return false;
  const from = t.activate ?? (t.publish === null ? null : Number.POSITIVE_INFINITY);
  return (from === null || from <= now) && (t.inactive === null || t.inactive > now);
}

export const isKsk = (key: DnssecKey): boolean => (key.flags & DNSKEY_SEP) !== 0;

/** The next moment after `now` at which some key changes state (Infinity: none). */
export function nextKeyEvent(keys: readonly DnssecKey[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    for (const at of [k.timing.publish, k.timing.activate, k.timing.inactive, k.timing.delete]) {
      if (at !== null && at > now && at < next) next = at;
    }
  }
  return next;
}

/** The directory holding a zone's keys. */
export function zoneKeyDir(keysDir: string, zone: string): string {
  return path.join(keysDir, zone === '' ? '.' : zone);
}

/**
 * Reads <keysDir>/<zone>/; null when the zone has no key directory (it is served unsigned).
 * Every key must load, and at least one must be active now: a zone with keys is never served
 * unsigned by accident (its DS may be at the parent).
 */
export function loadKeySet(keysDir: string, zone: string, now = Date.now()): { keys: KeySet | null } | { errors: SteerError[] } {
  const dir = zoneKeyDir(keysDir, zone);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys: null };
    return { errors: [steerError('STEER_FILE_READ', [dir, (err as Error).message], { file: dir })] };
  }
  const prefix = `K${zone}.+`;
  const errors: SteerError[] = [];
  const keys: DnssecKey[] = [];
  const names = new Set(entries);
  for (const entry of entries.sort()) {
    if (entry.endsWith('.key') && entry.startsWith('K') && !names.has(entry.replace(/\.key$/, '.private'))) {
      errors.push(steerError('STEER_DNSSEC_KEY_FORMAT', ['public key file without its .private file'], { file: path.join(dir, entry) }));
      continue;
    }
    if (!entry.endsWith('.private')) continue;
    const file = path.join(dir, entry);
    if (!entry.startsWith(prefix)) {
      errors.push(
        steerError('STEER_DNSSEC_KEY_FORMAT', [`a key file for zone ${zone} must be named ${prefix}<alg>+<tag>.private`], { file }),
      );
      continue;
    }
    const read = readKeyPair(file, zone);
    if ('errors' in read) errors.push(...read.errors);
    else keys.push(read.key);
  }
  if (errors.length > 0) return { errors };
  if (keys.length === 0) return { keys: null };
  if (!keys.some((k) => isActive(k, now))) {
    return { errors: [steerError('STEER_DNSSEC_NO_ACTIVE_KEY', [zone, dir], { file: dir })] };
  }
  return { keys: Object.freeze({ zone, dir, keys: Object.freeze(keys) }) };
}
