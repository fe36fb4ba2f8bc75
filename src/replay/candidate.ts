// A candidate configuration from load-balancer file texts (the what-if API's request body): each
// text replaces the LB file of a zone being served, and is read and checked exactly as the file
// on disk would be (readOrigin), errors reported as `NAME:line: message [CODE]`.
import path from 'node:path';
import { readOrigin } from '../config/config-loader.js';
import type { OriginConfig } from '../config/state.js';
import { LB_SUFFIXES } from '../config/config-loader.js';

export type CandidateResult = { readonly origins: ReadonlyMap<string, OriginConfig> } | { readonly errors: readonly string[] };

export function candidateFromTexts(current: ReadonlyMap<string, OriginConfig>, files: Readonly<Record<string, string>>): CandidateResult {
  const errors: string[] = [];
  const out = new Map(current);
  for (const [name, text] of Object.entries(files)) {
    const suffix = LB_SUFFIXES.find((s) => name.endsWith(s));
    const origin = suffix === undefined ? '' : name.slice(0, -suffix.length).toLowerCase().replace(/\.$/, '');
    const served = suffix === undefined || name.includes('/') ? undefined : current.get(origin);
    if (served === undefined) {
      errors.push(`${name}: not the load-balancer file of a zone this server serves (expected <origin>.lb.yaml)`);
      continue;
    }
    const read = readOrigin(origin, served.zoneFile, name, path.dirname(served.zoneFile), text);
    if ('errors' in read) {
      errors.push(...read.errors.map((e) => e.describe()));
      continue;
    }
    out.set(origin, Object.freeze({ ...served, zone: read.zone, lb: read.lb, lbFile: name, loadedAt: Date.now() }));
  }
  return errors.length > 0 ? { errors } : { origins: out };
}
