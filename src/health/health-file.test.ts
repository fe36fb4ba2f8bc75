import { describe, expect, it } from 'vitest';
import { parseHealthFile } from './health-file.js';

describe('parseHealthFile', () => {
  it('reads "origin state [reason]" lines, skipping comments and blank lines', () => {
    const r = parseHealthFile('# feed\n\nweb-1 up\r\n  web-2\tDOWN  kernel upgrade  \nweb-3 down\n', 'f');
    expect(r).toEqual({
      entries: [
        { origin: 'web-1', up: true, reason: 'health file: up', line: 3 },
        { origin: 'web-2', up: false, reason: 'kernel upgrade', line: 4 },
        { origin: 'web-3', up: false, reason: 'health file: down', line: 5 },
      ],
    });
  });

  it('rejects the whole file at the first bad line, naming file:line', () => {
    const cases: [string, string][] = [
      ['a up\nb\n', 'f:2: health file: expected "ORIGIN up|down [reason]", got "b" [STEER_HEALTH_FILE]'],
      ['a up\nb sideways\n', 'f:2: health file: state must be up or down, not "sideways" [STEER_HEALTH_FILE]'],
      ['a up\n\na down\n', 'f:3: health file: origin "a" is already listed on line 1 [STEER_HEALTH_FILE]'],
    ];
    for (const [text, error] of cases) {
      const r = parseHealthFile(text, 'f');
      expect('error' in r ? r.error.describe() : r).toBe(error);
    }
  });

  it('keeps control characters out of reasons', () => {
    const r = parseHealthFile('a down bad\x1b[31m reason\n', 'f');
    expect('entries' in r && r.entries[0]!.reason).toBe('bad [31m reason');
  });
});
