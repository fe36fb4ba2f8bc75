// Reads one `<origin>.lb.yaml`: YAML → schema (shapes, defaults) → cross-checks → frozen
// LbZoneConfig. Every problem becomes a SteerError naming file, line and key path; all problems
// of a stage are reported together, sorted by line.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type SteerError, steerError } from '../errors.js';
import { buildLbZoneConfig } from './build.js';
import { checkLbFile } from './check.js';
import { canonicalOrigin } from './names.js';
import { knownKeysAt, lbFileSchema } from './schema.js';
import type { LbZoneConfig } from './types.js';
import { formatPath, YamlLocator } from './yaml-locate.js';

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
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) =>
      steerError('STEER_LB_SCHEMA', [`YAML: ${e.message.split('\n')[0]}`], {
        file,
        line: e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line,
      }),
    );
    return { errors: byLine(errors) };
  }
  const locator = new YamlLocator(doc, lines);
  let raw: unknown;
  try {
    // Throws on an alias without its anchor, or on alias expansion past the limit (a "billion laughs" file).
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    return { errors: [steerError('STEER_LB_SCHEMA', [`YAML: ${(err as Error).message}`], { file, line: 1 })] };
  }

  const parsed = lbFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const errors: SteerError[] = [];
    for (const issue of parsed.error.issues) errors.push(...issueErrors(issue, locator, file));
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
  return { config: buildLbZoneConfig(parsed.data, origin, file) };
}

function issueErrors(issue: z.core.$ZodIssue, locator: YamlLocator, file: string): SteerError[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const allowed = knownKeysAt(path) ?? [];
    return issue.keys.map((key) =>
      steerError('STEER_LB_SCHEMA', [`${formatPath([...path, key])}: unknown key${suggest(key, allowed)}`], {
        file,
        line: locator.lineOf(path, key),
      }),
    );
  }
  return [steerError('STEER_LB_SCHEMA', [`${formatPath(path)}: ${problem(issue)}`], { file, line: locator.lineOf(path) })];
}

/** The operator-facing wording of one zod issue. */
function problem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${describe(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}, got ${describe(issue.input)}`
        : `must be one of ${issue.values.map((v) => String(v)).join(' | ')}, got ${describe(issue.input)}`;
    case 'invalid_key':
      return `bad key: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'too_small':
      if (issue.origin === 'array')
        return issue.message.startsWith('Too small') ? `needs at least ${String(issue.minimum)} item(s)` : issue.message;
      if (issue.origin === 'string') return issue.message.startsWith('Too small') ? 'must not be empty' : issue.message;
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describe(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${describe(issue.input)}`;
    default:
      return issue.message;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** ' (did you mean "interval"?)' when a known key is within two edits of the typo. */
function suggest(key: string, allowed: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : allowed.length > 0 ? ` (expected one of: ${allowed.join(', ')})` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

function byLine(errors: SteerError[]): SteerError[] {
  return errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
