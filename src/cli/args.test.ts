import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigFileError, configKeyOfFlag, configKeys, FILE_ONLY_KEYS } from '../config/server-config.js';
import { CLI_FLAGS, FLAG_ONLY, parseCli, parseCommandLine } from './args.js';
import { diffedKeys, diffSettings, withLiveSettings } from './settings-diff.js';
import { COMMANDS, usage } from './usage.js';
import { packageVersion } from './version.js';

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

describe('serve --udp-send-buffer', () => {
  const sendBuffer = (argv: string[]): number => parseCli(['serve', ...argv], {}).options.udpSendBuffer;

  it('defaults to 8 MiB and takes bytes or K, M, G from 4096 to 1G', () => {
    expect(sendBuffer([])).toBe(8 * 1024 * 1024);
    expect(sendBuffer(['--udp-send-buffer', '4096'])).toBe(4096);
    expect(sendBuffer(['--udp-send-buffer', '64k'])).toBe(65_536);
    expect(sendBuffer(['--udp-send-buffer', '1G'])).toBe(1024 ** 3);
    for (const bad of ['4095', '2G', '1.5M', 'big', '']) {
      expect(() => sendBuffer([`--udp-send-buffer=${bad}`])).toThrow(/^--udp-send-buffer /);
    }
  });
});

describe('flags, config file, defaults', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-args-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('without a file: the defaults', () => {
    const { options, configFile } = parseCli(['serve'], {});
    expect(configFile).toBeNull();
    expect(options).toMatchObject({
      zones: 'zones',
      listen: ['127.0.0.1:5300', '[::1]:5300'],
      geoip: 'default',
      logLevel: 'info',
      http: '127.0.0.1:9153',
      httpToken: undefined,
      queryLog: false,
      queryLogSample: 1,
      rrl: null,
      tcp: {},
    });
  });

  it('a flag beats the file, the file beats the default', () => {
    const f = file(
      'precedence.yaml',
      'log_level: warn\nquery_log_sample: 7\nlisten: [127.0.0.1:0]\nrrl: { rate: 9, slip: 0 }\ntcp: { idle_timeout: 1.5 }\n',
    );
    const fromFile = parseCli(['serve', '--config', f], {}).options;
    expect(fromFile).toMatchObject({ logLevel: 'warn', queryLogSample: 7, listen: ['127.0.0.1:0'], zones: 'zones' });
    expect(fromFile.rrl).toEqual({ rate: 9, slip: 0, exempt: [] });
    expect(fromFile.tcp).toEqual({ idleTimeoutMs: 1500 });
    const overridden = parseCli(['serve', '--config', f, '--log-level', 'debug', '--rrl-rate', '3', '--listen', '[::1]:0'], {}).options;
    expect(overridden).toMatchObject({ logLevel: 'debug', queryLogSample: 7, listen: ['[::1]:0'] });
    expect(overridden.rrl).toEqual({ rate: 3, slip: 0, exempt: [] });
  });

  it('workers: flag, then STEERDNS_WORKERS, then the file', () => {
    const f = file('workers.yaml', 'workers: 5\n');
    expect(parseCli(['serve', '--config', f], {}).options.workers).toBe(5);
    expect(parseCli(['serve', '--config', f], { STEERDNS_WORKERS: '3' }).options.workers).toBe(3);
    expect(parseCli(['serve', '--config', f, '--workers', '2'], { STEERDNS_WORKERS: '3' }).options.workers).toBe(2);
  });

  it('an unknown key or a wrong type throws every error with file:line', () => {
    const f = file('broken.yaml', 'zones: z\nqurey_log: true\nworkers: many\n');
    let caught: unknown;
    try {
      parseCli(['serve', '--config', f], {});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigFileError);
    const text = (caught as ConfigFileError).errors.map((e) => e.describe());
    expect(text[0]).toMatch(new RegExp(`^${f.replace(/[.]/g, '\\.')}:2: qurey_log: unknown key \\(did you mean "query_log"\\?\\)`));
    expect(text[1]).toMatch(/:3: workers: expected number/);
  });

  it('a value the schema lets through but the flag checks refuse is reported at its key and line', () => {
    const f = file('semantic.yaml', 'zones: z\nrrl:\n  rate: 5\n  exempt:\n    - 192.0.2.0/24\n    - nonsense\n');
    const describeAll = (argv: string[]): string[] => {
      try {
        parseCli(argv, {});
      } catch (err) {
        if (err instanceof ConfigFileError) return err.errors.map((e) => e.describe());
        throw err;
      }
      return [];
    };
    expect(describeAll(['serve', '--config', f])).toEqual([expect.stringMatching(/semantic\.yaml:4: rrl\.exempt nonsense: /)]);
    // The same mistake on the command line stays a flag error.
    expect(() => parseCli(['serve', '--config', f, '--rrl-exempt', 'junk'], {})).toThrow(/^--rrl-exempt junk/);
    const g = file('needs-rate.yaml', 'rrl:\n  burst: 5\n');
    expect(describeAll(['serve', '--config', g])).toEqual([expect.stringMatching(/needs-rate\.yaml:2: rrl\.burst needs --rrl-rate/)]);
  });

  it('the token file: read without its newline, refused when others may read it', () => {
    const token = file('token', 'abcdefghijklmnop0123\n');
    fs.chmodSync(token, 0o600);
    const f = file('token.yaml', 'http_token_file: token\n');
    expect(parseCli(['serve', '--config', f], {}).options.httpToken).toBe('abcdefghijklmnop0123');
    expect(parseCli(['serve', '--config', f, '--http-token', 'fromtheflag-0123456'], {}).options.httpToken).toBe('fromtheflag-0123456');
    fs.chmodSync(token, 0o644);
    expect(() => parseCli(['serve', '--config', f], {})).toThrow(/may be read by group or others \(mode 644\)/);
  });

  it('every flag has a config key and every config key a flag, but the flags FLAG_ONLY and the keys FILE_ONLY_KEYS name', () => {
    const flags = Object.keys(CLI_FLAGS).filter((f) => !(f in FLAG_ONLY));
    const keys = configKeys().filter((k) => !(k in FILE_ONLY_KEYS));
    expect(flags.map(configKeyOfFlag).sort()).toEqual([...keys].sort());
    for (const f of Object.keys(FLAG_ONLY)) expect(f in CLI_FLAGS).toBe(true);
  });

  it('a SIGHUP diff covers every config key and names the one that changed', () => {
    expect([...diffedKeys()].sort()).toEqual([...configKeys()].sort());
    const f = file('diff.yaml', 'tcp: { max_queries: 10 }\nrrl: { rate: 5 }\n');
    const before = parseCli(['serve', '--config', f], {}).options;
    fs.writeFileSync(f, 'tcp: { max_queries: 11 }\nrrl: { rate: 5, slip: 0 }\nlog_level: debug\n');
    const after = parseCli(['serve', '--config', f], {}).options;
    expect(diffSettings(before, after)).toEqual([
      { key: 'log_level', live: true, from: 'info', to: 'debug' },
      { key: 'rrl.slip', live: false, from: null, to: 0 },
      { key: 'tcp.max_queries', live: false, from: 10, to: 11 },
    ]);
    expect(withLiveSettings(before, after)).toEqual({ ...before, logLevel: 'debug' });
    expect(Object.isFrozen(withLiveSettings(before, after))).toBe(true);
  });
});

describe('commands', () => {
  it('help COMMAND, COMMAND --help, --version', () => {
    expect(parseCommandLine(['help', 'serve'])).toMatchObject({ command: 'help', positionals: ['serve'] });
    expect(parseCommandLine(['check', '--help'])).toMatchObject({ command: 'help', positionals: ['check'] });
    expect(parseCommandLine(['--version']).command).toBe('version');
    expect(parseCommandLine(['-V']).command).toBe('version');
    expect(parseCommandLine([]).command).toBe('help');
  });

  it('one command usage names only that command', () => {
    expect(usage('check')).toMatch(/steerdns check/);
    expect(usage('check')).not.toMatch(/steerdns serve/);
    for (const c of COMMANDS) expect(usage()).toContain(`steerdns ${c}`);
    expect(usage()).toContain('steerdns ctl drain');
    expect(usage('ctl')).toMatch(/steerdns ctl list/);
  });

  it('the version is the one in package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(pkg.version);
  });
});

describe('serve --identity, --version-string, --cookies, --cookie-secret-file', () => {
  const options = (argv: string[]) => parseCli(['serve', ...argv], {}).options;
  const secretFile = (text: string, mode = 0o600): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-cookie-'));
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    return file;
  };

  it('defaults: the host name, no version, cookies on with no secret file', () => {
    const o = options([]);
    expect(o.identity).toBe(os.hostname());
    expect(o.versionString).toBeNull();
    expect(o.cookies).toBe(true);
    expect(o.cookieSecrets).toBeNull();
  });

  it('takes an identity and a version string of 1 to 255 printable bytes', () => {
    expect(options(['--identity', 'ns1.example.net', '--version-string', 'steerdns 1']).identity).toBe('ns1.example.net');
    expect(() => options(['--identity', 'x'.repeat(256)])).toThrow(/--identity/);
    expect(() => options(['--version-string', 'a\nb'])).toThrow(/--version-string/);
  });

  it('in a fleet, the node name is the identity unless --identity is given', () => {
    const fleet = ['--etcd', 'http://127.0.0.1:2379', '--node', 'ns7', '--site', 'a'];
    expect(options(fleet).identity).toBe('ns7');
    expect(options([...fleet, '--identity', 'ns7.example.net']).identity).toBe('ns7.example.net');
  });

  it('--site-location is LAT,LON in degrees, only in a fleet', () => {
    const fleet = ['--etcd', 'http://127.0.0.1:2379', '--node', 'ns7', '--site', 'a'];
    expect(options(fleet).fleet?.location).toBeNull();
    expect(options([...fleet, '--site-location', '50.11,-8.5']).fleet?.location).toEqual({ latitude: 50.11, longitude: -8.5 });
    expect(() => options([...fleet, '--site-location', '91,0'])).toThrow(/--site-location 91,0: expected LAT,LON/);
    expect(() => options([...fleet, '--site-location', 'fra'])).toThrow(/--site-location fra/);
    expect(() => options(['--site-location', '50,8'])).toThrow(/--site-location needs --etcd/);
  });

  it('--cookies is on or off', () => {
    expect(options(['--cookies', 'off']).cookies).toBe(false);
    expect(() => options(['--cookies', 'maybe'])).toThrow(/--cookies maybe: expected on or off/);
  });

  it('reads the current and previous secrets, comments allowed', () => {
    const file = secretFile('# rotated today\n00112233445566778899AABBCCDDEEFF\nffeeddccbbaa99887766554433221100 # old\n');
    expect(options(['--cookie-secret-file', file]).cookieSecrets).toEqual([
      '00112233445566778899aabbccddeeff',
      'ffeeddccbbaa99887766554433221100',
    ]);
  });

  it('refuses a malformed secret file, an empty one, three secrets, or one others may read', () => {
    const good = '00112233445566778899aabbccddeeff\n';
    expect(() => options(['--cookie-secret-file', secretFile('0011\n')])).toThrow(/line 1: expected a secret of 32 hex digits/);
    expect(() => options(['--cookie-secret-file', secretFile('# nothing\n')])).toThrow(/found 0/);
    expect(() => options(['--cookie-secret-file', secretFile(good + good + good)])).toThrow(/found 3/);
    expect(() => options(['--cookie-secret-file', secretFile(good, 0o644)])).toThrow(/chmod 600/);
  });
});
