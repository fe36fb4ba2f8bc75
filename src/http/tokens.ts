// Bearer tokens with a name and a role. The token text (the file's contents, --http-token or
// STEERDNS_HTTP_TOKEN) is either one token — the `default` token, role `write`, as before
// roles existed — or lines of `NAME ROLE TOKEN` (role `read` or `write`; `#` starts a comment).
// The name is who an override's author is; the role says whether the token may write.
import { steerError } from '../errors.js';
import { bearerMatcher, checkToken, tokenMatcher } from './auth.js';

export type TokenRole = 'read' | 'write';

export interface ApiToken {
  readonly name: string;
  readonly role: TokenRole;
  /** "Bearer <token>" matches this token (constant time). */
  readonly header: (authorization: string | undefined) => boolean;
  /** ?token=<token> matches (the status page). */
  readonly query: (candidate: string | null) => boolean;
}

/** Throws a coded error naming the line for a malformed token text. */
export function parseTokens(text: string, source = 'the token text'): ApiToken[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  // One line that is not NAME ROLE TOKEN: a token from before roles (checkToken rejects spaces).
  if (!trimmed.includes('\n') && !/^\S+\s+(read|write)\s+\S+$/.test(trimmed)) {
    checkToken(trimmed);
    return [token('default', 'write', trimmed)];
  }
  const out: ApiToken[] = [];
  const names = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const bad = (why: string) => steerError('STEER_HTTP_TOKEN_FILE', [source, String(i + 1), why]);
    const fields = line.split(/\s+/);
    if (fields.length !== 3) throw bad('expected NAME ROLE TOKEN (role: read or write)');
    const [name, role, secret] = fields as [string, string, string];
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw bad(`name "${name}": letters, digits, ".", "_" and "-", at most 64`);
    if (names.has(name)) throw bad(`name "${name}" is used twice`);
    if (role !== 'read' && role !== 'write') throw bad(`role "${role}": expected read or write`);
    try {
      checkToken(secret);
    } catch (err) {
      throw bad((err as Error).message);
    }
    names.add(name);
    out.push(token(name, role, secret));
  }
  return out;
}

function token(name: string, role: TokenRole, secret: string): ApiToken {
  return { name, role, header: bearerMatcher(secret), query: tokenMatcher(secret) };
}

/** The token an Authorization header carries, or null. Every token is tried (no early exit). */
export function tokenOf(tokens: readonly ApiToken[], authorization: string | undefined): ApiToken | null {
  let found: ApiToken | null = null;
  for (const t of tokens) if (t.header(authorization) && found === null) found = t;
  return found;
}
