// Reads one `<origin>.lb.yaml`: YAML → schema (shapes, defaults) → cross-checks → frozen
// LbZoneConfig. Every problem becomes a SteerError naming file, line and key path; all problems
// of a stage are reported together, sorted by line.
import { readFileSync } from 'node:fs';
import { type SteerError, steerError } from '../errors.js';
import { buildLbZoneConfig } from './build.js';
import { checkLbFile } from './check.js';
import { buildReceivers } from './load-notify.js';
import { canonicalOrigin } from './names.js';
import { knownKeysAt, lbFileSchema } from './schema.js';
import type { LbZoneConfig } from './types.js';
import { byLine, issueErrors, parseYamlText } from './yaml-issues.js';
import { formatPath } from './yaml-locate.js';

export type LoadLbResult = { readonly config: LbZoneConfig } | { readonly errors: readonly SteerError[] };

export function loadLbFile(file: string, origin: string): LoadLbResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { errors: [steerError('STEER_FILE_READ', [file, (err as Error).message])] };
  }
  return loadLbText(text, { file, origin });
}

export function loadLbText(text: string, opts: { file: string; origin: string }): LoadLbResult {
  const { file } = opts;
  const origin = canonicalOrigin(opts.origin);
  const yaml = parseYamlText(text, file, 'STEER_LB_SCHEMA');
  if ('errors' in yaml) return { errors: yaml.errors };
  const { raw, locator } = yaml;

  const parsed = lbFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const errors: SteerError[] = [];
    for (const issue of parsed.error.issues) errors.push(...issueErrors(issue, locator, file, 'STEER_LB_SCHEMA', knownKeysAt));
    return { errors: byLine(errors) };
  }

  const issues = checkLbFile(parsed.data, origin);
  if (issues.length > 0) {
    return {
      errors: byLine(
        issues.map((i) => steerError(i.code, [`${formatPath(i.path)}: ${i.message}`], { file, line: locator.lineOf(i.path) })),
      ),
    };
  }
  const notify = buildReceivers(parsed.data, origin, file, (path) => locator.lineOf(path));
  if ('errors' in notify) return { errors: notify.errors };
  const config = buildLbZoneConfig(parsed.data, origin, file);
  return { config: notify.receivers.length === 0 ? config : Object.freeze({ ...config, notifications: notify.receivers }) };
}
