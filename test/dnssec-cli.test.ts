// The DNSSEC commands and checks as an operator runs them: `steerdns keygen` and `steerdns ds`,
// and `steerdns check --keys` reporting each key mistake as file:line with its code, exit 1.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from './support/build.js';

const run = promisify(execFile);

/** Runs the CLI; resolves with the exit code and output whatever the code. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliPath(), ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const ZONE = `$TTL 300
@   IN SOA ns1 hostmaster 1 3600 600 86400 60
    IN NS  ns1
ns1 IN A   192.0.2.1
`;

describe('DNSSEC on the command line', () => {
  let dir: string;
  let zones: string;
  let keys: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-dnssec-cli-'));
    zones = path.join(dir, 'zones');
    keys = path.join(dir, 'keys');
    fs.mkdirSync(zones);
    fs.writeFileSync(path.join(zones, 'example.com.zone'), ZONE);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keygen writes a 0600 key pair named by its tag; ds prints the DS and DNSKEY; check lists the key', async () => {
    const made = await cli('keygen', 'example.com', '--keys', keys, '--algorithm', '15');
    expect(made.code).toBe(0);
    const base = made.stdout.trim();
    expect(base).toMatch(/^Kexample\.com\.\+015\+\d{5}$/);
    for (const ext of ['key', 'private']) expect(fs.statSync(path.join(keys, 'example.com', `${base}.${ext}`)).mode & 0o777).toBe(0o600);
    const tag = Number(base.slice(-5));

    const ds = await cli('ds', 'example.com', '--keys', keys);
    expect(ds.code).toBe(0);
    const [dsLine, dnskeyLine] = ds.stdout.trim().split('\n');
    expect(dsLine).toMatch(new RegExp(`^example\\.com\\. IN DS ${tag} 15 2 [0-9A-F]{64}$`));
    expect(dnskeyLine).toMatch(/^example\.com\. IN DNSKEY 257 3 15 [A-Za-z0-9+/]{43}=$/);

    const check = await cli('check', '--zones', zones, '--keys', keys, '--geoip', 'off');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`zone example.com: signed, 1 key(s): ${tag} KSK ED25519 active`);
  });

  it('keygen refuses an unknown algorithm and a missing --keys', async () => {
    expect((await cli('keygen', 'example.com', '--keys', keys, '--algorithm', '8')).code).toBe(2);
    expect((await cli('keygen', 'example.com')).stderr).toMatch(/--keys DIR is required/);
  });

  it('check reports a mismatched key, a world-readable key and a zone with no active key, file:line, exit 1', async () => {
    const bad = path.join(dir, 'bad-keys');
    const base = (await cli('keygen', 'example.com', '--keys', bad)).stdout.trim();
    const privateFile = path.join(bad, 'example.com', `${base}.private`);
    const other = (await cli('keygen', 'example.org', '--keys', bad)).stdout.trim();
    const otherKey = fs.readFileSync(path.join(bad, 'example.org', `${other}.private`), 'utf8').match(/^PrivateKey: .*$/m)![0];
    fs.writeFileSync(privateFile, fs.readFileSync(privateFile, 'utf8').replace(/^PrivateKey: .*$/m, otherKey), { mode: 0o600 });
    const mismatch = await cli('check', '--zones', zones, '--keys', bad, '--geoip', 'off');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(
      `${privateFile}:3: the private key does not match the public key in ${base}.key [STEER_DNSSEC_KEY_MISMATCH]`,
    );

    fs.chmodSync(privateFile, 0o644);
    const open = await cli('check', '--zones', zones, '--keys', bad, '--geoip', 'off');
    expect(open.stderr).toContain(
      `${privateFile}: DNSSEC private key file may be read by others (mode 644): chmod 600 it [STEER_DNSSEC_KEY_PERMISSIONS]`,
    );

    fs.rmSync(path.join(bad, 'example.com'), { recursive: true });
    const later = (await cli('keygen', 'example.com', '--keys', bad)).stdout.trim();
    const laterFile = path.join(bad, 'example.com', `${later}.private`);
    fs.writeFileSync(laterFile, fs.readFileSync(laterFile, 'utf8').replace(/^Activate: .*$/m, 'Activate: 20991231000000'), { mode: 0o600 });
    const inactive = await cli('check', '--zones', zones, '--keys', bad, '--geoip', 'off');
    expect(inactive.code).toBe(1);
    expect(inactive.stderr).toMatch(/zone example\.com has DNSSEC keys in .* but none is active now .*\[STEER_DNSSEC_NO_ACTIVE_KEY\]/);
  });

  it('check refuses a keys directory inside the zones directory', async () => {
    const inside = await cli('check', '--zones', zones, '--keys', path.join(zones, 'keys'), '--geoip', 'off');
    expect(inside.code).toBe(1);
    expect(inside.stderr).toContain('[STEER_DNSSEC_KEYS_DIR]');
  });
});
