import { readFileSync } from 'node:fs';

/** The version in package.json, read when asked: two levels up from src/cli/ and from dist/cli/ alike. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
