import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseCli } from './args.js';

describe('serve --workers', () => {
  const workers = (argv: string[], env: NodeJS.ProcessEnv = {}): number => parseCli(['serve', ...argv], env).options.workers;

  it('defaults to one per core, then STEERDNS_WORKERS, then the flag', () => {
    expect(workers([])).toBe(os.availableParallelism());
    expect(workers([], { STEERDNS_WORKERS: '' })).toBe(os.availableParallelism());
    expect(workers([], { STEERDNS_WORKERS: '3' })).toBe(3);
    expect(workers(['--workers', '1'], { STEERDNS_WORKERS: '3' })).toBe(1);
  });

  it('takes whole numbers from 1 to 1024 only, naming where a bad one came from', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '1025', '']) {
      expect(() => workers([`--workers=${bad}`])).toThrow(/--workers .*expected a whole number from 1 to 1024/);
    }
    expect(() => workers([], { STEERDNS_WORKERS: 'lots' })).toThrow(/STEERDNS_WORKERS lots/);
  });
});
