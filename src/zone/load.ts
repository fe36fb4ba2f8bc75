// One zone file on disk → a Zone: origin from the file name (zones/<origin>.zone) unless the file
// sets $ORIGIN before its first record, then parse and build.
import path from 'node:path';
import { steerError, type SteerError } from '../errors.js';
import { buildZoneFromList } from './build.js';
import { parseNameText } from './name.js';
import { parseZone, readZoneFileText } from './parser.js';
import type { DynamicBinding, Zone } from './types.js';

export interface LoadOptions {
  readonly bindings?: ReadonlyMap<string, DynamicBinding>;
  readonly maxErrors?: number;
}

export type LoadResult = { readonly zone: Zone; readonly warnings: readonly SteerError[] } | { readonly errors: readonly SteerError[] };

/** The origin a zone file's name implies: "example.com.zone" → "example.com", or null. */
export function originFromFileName(file: string): string | null {
  const base = path.basename(file);
  const stem = base.endsWith('.zone') ? base.slice(0, -'.zone'.length) : base;
  if (stem === '') return null;
  const r = parseNameText(stem, '');
  return r.ok ? r.name : null;
}

export function loadZoneFile(file: string, zonesDir: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = readZoneFileText(file);
  } catch (err) {
    return { errors: [steerError('STEER_FILE_READ', [file, err instanceof Error ? err.message : String(err)], { file })] };
  }
  const fileOrigin = originFromFileName(file);
  if (fileOrigin === null) {
    return { errors: [steerError('STEER_ZONE_BAD_NAME', [`cannot take a zone name from the file name ${path.basename(file)}`], { file })] };
  }
  const parsed = parseZone(text, { file, origin: fileOrigin, zonesDir, maxErrors: opts.maxErrors });
  if (parsed.errors.length > 0) return { errors: parsed.errors };
  return buildZoneFromList(parsed.origin, parsed.list, { file, bindings: opts.bindings });
}
