import { describe, expect, it } from 'vitest';
import { parseTokens, tokenOf } from './tokens.js';

const A = 'aaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbb';

describe('parseTokens', () => {
  it('reads a lone token as the default write token', () => {
    const [t] = parseTokens(`${A}\n`);
    expect(t).toMatchObject({ name: 'default', role: 'write' });
    expect(t!.header(`Bearer ${A}`)).toBe(true);
  });

  it('reads NAME ROLE TOKEN lines with comments and blank lines', () => {
    const tokens = parseTokens(`# who\nops write ${A}\n\nviewer read ${B} # dashboards\n`);
    expect(tokens.map((t) => [t.name, t.role])).toEqual([
      ['ops', 'write'],
      ['viewer', 'read'],
    ]);
    expect(tokenOf(tokens, `Bearer ${B}`)?.name).toBe('viewer');
    expect(tokenOf(tokens, 'Bearer nope-nope-nope-nope')).toBeNull();
  });

  it('names the line of a malformed entry', () => {
    expect(() => parseTokens(`ops write ${A}\nviewer admin ${B}\n`)).toThrow(/line 2: role "admin"/);
    expect(() => parseTokens(`ops write ${A}\nops read ${B}\n`)).toThrow(/line 2: name "ops" is used twice/);
    expect(() => parseTokens(`ops write short\n`)).toThrow(/line 1: .*16 characters/);
    expect(() => parseTokens('has a space in it, long')).toThrow(expect.objectContaining({ code: 'STEER_HTTP_TOKEN' }));
  });
});
