// YAML text → plain data, and zod issues → SteerErrors with file:line and did-you-mean
// suggestions. Shared by every YAML file steerdns reads (load balancers, the server config), so
// they all report problems the same way.
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { type SteerError, type SteerErrorCode, steerError } from '../errors.js';
import { formatPath, YamlLocator } from './yaml-locate.js';

export type ParsedYaml = { readonly raw: unknown; readonly locator: YamlLocator } | { readonly errors: readonly SteerError[] };

/** Parses one YAML document (duplicate keys are errors, aliases are bounded); an empty file is {}. */
export function parseYamlText(text: string, file: string, code: SteerErrorCode): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) =>
      steerError(code, [`YAML: ${e.message.split('\n')[0]}`], {
        file,
        line: e.linePos?.[0].line ?? lines.linePos(e.pos[0]).line,
      }),
    );
    return { errors: byLine(errors) };
  }
  try {
    // Throws on an alias without its anchor, or on alias expansion past the limit (a "billion laughs" file).
    return { raw: doc.toJS({ maxAliasCount: 100 }) ?? {}, locator: new YamlLocator(doc, lines) };
  } catch (err) {
    return { errors: [steerError(code, [`YAML: ${(err as Error).message}`], { file, line: 1 })] };
  }
}

/**
 * One zod issue → SteerErrors at the line of the key. `knownKeysAt(path)` lists the keys allowed
 * at a mapping, for the did-you-mean suggestion on an unknown key.
 */
export function issueErrors(
  issue: z.core.$ZodIssue,
  locator: YamlLocator,
  file: string,
  code: SteerErrorCode,
  knownKeysAt: (path: readonly PropertyKey[]) => readonly string[] | null,
): SteerError[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const allowed = knownKeysAt(path) ?? [];
    return issue.keys.map((key) =>
      steerError(code, [`${formatPath([...path, key])}: unknown key${suggest(key, allowed)}`], {
        file,
        line: locator.lineOf(path, key),
      }),
    );
  }
  return [steerError(code, [`${formatPath(path)}: ${problem(issue)}`], { file, line: locator.lineOf(path) })];
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
export function suggest(key: string, allowed: readonly string[]): string {
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

export function byLine(errors: SteerError[]): SteerError[] {
  return errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** The keys a strict object schema allows at `path` (through optional, default and arrays), for suggest(). */
export function knownKeysIn(schema: z.ZodType, path: readonly PropertyKey[]): readonly string[] | null {
  let s = schema;
  for (const step of [...path, null]) {
    for (;;) {
      if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
      else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
      else break;
    }
    if (step === null) return s instanceof z.ZodObject ? Object.keys(s.shape as object) : null;
    if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.ZodType | undefined>)[String(step)];
      if (!next) return null;
      s = next;
    } else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return null;
  }
  return null;
}
