import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, configKeys, configValue, loadServerConfig, parseServerConfig } from './server-config.js';

function errorsOf(text: string): string[] {
  try {
    parseServerConfig(text, '/etc/steerdns/steerdns.yaml');
  } catch (err) {
    if (err instanceof ConfigFileError) return err.errors.map((e) => e.describe());
    throw err;
  }
  throw new Error('expected the file to be refused');
}

describe('server config file', () => {
  it('an empty file is no settings', () => {
    expect(parseServerConfig('', '/x/steerdns.yaml').config).toEqual({});
  });

  it('reads every key, resolves relative paths from the file, and freezes the result', () => {
    const { config } = parseServerConfig(
      'zones: z\ngeoip: off\nhttp_token_file: secret/token\nlog_level: debug\nrrl:\n  rate: 5\n  exempt: [192.0.2.0/24]\ntcp:\n  idle_timeout: 2.5\n',
      '/srv/dns/steerdns.yaml',
    );
    expect(config).toEqual({
      zones: '/srv/dns/z',
      geoip: 'off',
      http_token_file: '/srv/dns/secret/token',
      log_level: 'debug',
      rrl: { rate: 5, exempt: ['192.0.2.0/24'] },
      tcp: { idle_timeout: 2.5 },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rrl)).toBe(true);
    expect(Object.isFrozen(config.rrl?.exempt)).toBe(true);
  });

  it('an unknown key is an error at its line, with a did-you-mean', () => {
    expect(errorsOf('zones: z\nlog_levle: debug\n')).toEqual([
      expect.stringMatching(/^\/etc\/steerdns\/steerdns\.yaml:2: log_levle: unknown key \(did you mean "log_level"\?\)/),
    ]);
    expect(errorsOf('rrl:\n  rate: 5\n  brust: 9\n')).toEqual([
      expect.stringMatching(/steerdns\.yaml:3: rrl\.brust: unknown key \(did you mean "burst"\?\)/),
    ]);
  });

  it('a wrong type or range is an error at the line of the key', () => {
    const errors = errorsOf('zones: z\nworkers: two\ntcp:\n  max_queries: 0\nlog_level: loud\n');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/steerdns\.yaml:2: workers: expected number, got "two"/);
    expect(errors[1]).toMatch(/steerdns\.yaml:4: tcp\.max_queries: must be >= 1, got 0/);
    expect(errors[2]).toMatch(/steerdns\.yaml:5: log_level: must be one of fatal \| error/);
  });

  it('YAML syntax errors and a top level that is not a mapping are refused with a line', () => {
    expect(errorsOf('zones: z\nlisten: [a\n')[0]).toMatch(/steerdns\.yaml:\d+: YAML: /);
    expect(errorsOf('zones: a\nzones: b\n')[0]).toMatch(/steerdns\.yaml:2: YAML: .*unique/i);
    expect(errorsOf('- zones\n')[0]).toMatch(/steerdns\.yaml:1: expected a mapping/);
  });

  it('a missing file is a read error naming it', () => {
    const missing = path.join(os.tmpdir(), 'steerdns-no-such-dir', 'steerdns.yaml');
    expect(() => loadServerConfig(missing)).toThrow(ConfigFileError);
    expect(() => loadServerConfig(missing)).toThrow(/cannot read .*steerdns\.yaml: ENOENT/);
  });

  it('lists its keys dotted, groups expanded', () => {
    const keys = configKeys();
    expect(keys).toContain('log_level');
    expect(keys).toContain('rrl.ipv6_prefix');
    expect(keys).toContain('tcp.message_timeout');
    expect(keys).not.toContain('rrl');
  });

  it('steerdns.example.yaml, uncommented, is a valid file that sets every key', () => {
    const example = readFileSync(new URL('../../steerdns.example.yaml', import.meta.url), 'utf8');
    // The commented-out settings: `# key: value` and their indented lines, not the prose.
    const uncommented = example
      .split('\n')
      .filter((l) => /^# ( *[a-z0-9_]+:| +- )/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    const { config } = parseServerConfig(uncommented, '/etc/steerdns/steerdns.example.yaml');
    const set = configKeys().filter((k) => configValue(config, k) !== undefined);
    expect(set).toEqual(configKeys());
  });
});
