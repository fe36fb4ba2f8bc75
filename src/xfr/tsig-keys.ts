// TSIG key files in the format BIND's tsig-keygen and Knot's keymgr write:
//   key "transfer-key" {
//       algorithm hmac-sha256;
//       secret "base64...";
//   };
// Several keys per file are allowed; comments are `#`, `//` and `/* */`. Every problem carries
// file:line, so an operator can fix the file the error names.
import { readFileSync } from 'node:fs';
import { type SteerError, steerError } from '../errors.js';
import { canonicalName } from '../wire/name.js';

/** The HMAC algorithms served, by their DNS name (RFC 8945 §6) → node:crypto digest. */
export const TSIG_ALGORITHMS: ReadonlyMap<string, 'sha256' | 'sha512'> = new Map([
  ['hmac-sha256', 'sha256'],
  ['hmac-sha512', 'sha512'],
]);

export interface TsigKey {
  /** Key name, canonical (lowercase, no trailing dot): also the TSIG record's owner. */
  readonly name: string;
  /** "hmac-sha256" or "hmac-sha512". */
  readonly algorithm: string;
  readonly digest: 'sha256' | 'sha512';
  readonly secret: Buffer;
  readonly file: string;
  readonly line: number;
}

export type KeyFileResult = { readonly keys: readonly TsigKey[] } | { readonly errors: readonly SteerError[] };

interface Token {
  readonly text: string;
  readonly line: number;
  readonly quoted: boolean;
}

/** Words, quoted strings and the punctuation `{ } ;`, with their lines; comments dropped. */
function tokenize(text: string): Token[] | { problem: string; line: number } {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return { problem: 'unterminated /* comment', line };
      for (let j = i; j < end; j++) if (text[j] === '\n') line++;
      i = end + 2;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || text.slice(i + 1, end).includes('\n')) return { problem: 'unterminated quoted string', line };
      out.push({ text: text.slice(i + 1, end), line, quoted: true });
      i = end + 1;
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ text: c, line, quoted: false });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};"#]/.test(text[j]!)) j++;
      out.push({ text: text.slice(i, j), line, quoted: false });
      i = j;
    }
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses the text of a key file; every key or every problem. */
export function parseKeyFile(text: string, file: string): KeyFileResult {
  const tokens = tokenize(text);
  if (!Array.isArray(tokens)) return { errors: [steerError('STEER_TSIG_KEY_FILE', [tokens.problem], { file, line: tokens.line })] };
  const keys: TsigKey[] = [];
  const errors: SteerError[] = [];
  const fail = (line: number, problem: string): void => {
    errors.push(steerError('STEER_TSIG_KEY_FILE', [problem], { file, line }));
  };
  let i = 0;
  const expect = (what: string): Token | null => {
    const t = tokens[i];
    if (t === undefined) {
      fail(tokens[tokens.length - 1]?.line ?? 1, `expected ${what}, found the end of the file`);
      return null;
    }
    i++;
    return t;
  };
  while (i < tokens.length && errors.length === 0) {
    const head = tokens[i++]!;
    if (head.text !== 'key' || head.quoted) {
      fail(head.line, `expected \`key "name" { ... };\`, found "${head.text}"`);
      break;
    }
    const nameTok = expect('a key name');
    if (nameTok === null) break;
    const open = expect('{');
    if (open === null) break;
    if (open.text !== '{') {
      fail(open.line, `expected { after the key name, found "${open.text}"`);
      break;
    }
    let algorithm: Token | null = null;
    let secret: Token | null = null;
    for (;;) {
      const t = expect('algorithm, secret or }');
      if (t === null) break;
      if (t.text === '}' && !t.quoted) break;
      const value = expect(`a value for ${t.text}`);
      const semi = value === null ? null : expect(';');
      if (value === null || semi === null) break;
      if (semi.text !== ';') {
        fail(semi.line, `expected ; after ${t.text} ${value.text}`);
        break;
      }
      if (t.text === 'algorithm') algorithm = value;
      else if (t.text === 'secret') secret = value;
      else fail(t.line, `unknown key statement "${t.text}" (expected algorithm or secret)`);
    }
    const close = tokens[i];
    if (close?.text === ';') i++;
    if (errors.length > 0) break;
    let name: string;
    try {
      name = canonicalName(nameTok.text);
    } catch (err) {
      fail(nameTok.line, `bad key name "${nameTok.text}": ${(err as Error).message}`);
      break;
    }
    if (algorithm === null) fail(nameTok.line, `key "${nameTok.text}" has no algorithm`);
    if (secret === null) fail(nameTok.line, `key "${nameTok.text}" has no secret`);
    if (algorithm === null || secret === null) break;
    const algorithmName = algorithm.text.toLowerCase().replace(/\.$/, '');
    const digest = TSIG_ALGORITHMS.get(algorithmName);
    if (digest === undefined) {
      fail(algorithm.line, `algorithm ${algorithm.text} is not supported (use hmac-sha256 or hmac-sha512)`);
      break;
    }
    if (!BASE64.test(secret.text) || secret.text.length % 4 !== 0) {
      fail(secret.line, `the secret of key "${nameTok.text}" is not base64`);
      break;
    }
    const bytes = Buffer.from(secret.text, 'base64');
    if (bytes.length === 0) {
      fail(secret.line, `the secret of key "${nameTok.text}" is empty`);
      break;
    }
    if (keys.some((k) => k.name === name)) {
      fail(nameTok.line, `key "${nameTok.text}" is defined twice`);
      break;
    }
    keys.push(Object.freeze({ name, algorithm: algorithmName, digest, secret: bytes, file, line: nameTok.line }));
  }
  if (errors.length > 0) return { errors };
  if (keys.length === 0) return { errors: [steerError('STEER_TSIG_KEY_FILE', ['no key in the file'], { file, line: 1 })] };
  return { keys };
}

/** Reads every key file; all the keys by name, or every problem (a key defined in two files is one). */
export function loadKeyFiles(files: readonly string[]): { keys: ReadonlyMap<string, TsigKey> } | { errors: readonly SteerError[] } {
  const keys = new Map<string, TsigKey>();
  const errors: SteerError[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      errors.push(steerError('STEER_FILE_READ', [file, (err as Error).message]));
      continue;
    }
    const result = parseKeyFile(text, file);
    if ('errors' in result) {
      errors.push(...result.errors);
      continue;
    }
    for (const key of result.keys) {
      const seen = keys.get(key.name);
      if (seen !== undefined) {
        errors.push(steerError('STEER_TSIG_KEY_FILE', [`key "${key.name}" is already defined in ${seen.file}:${seen.line}`], key));
        continue;
      }
      keys.set(key.name, key);
    }
  }
  return errors.length > 0 ? { errors } : { keys };
}
