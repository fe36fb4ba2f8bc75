// The key file format, proved both ways with the tools operators use: keys made by BIND's
// dnssec-keygen and by ldns-keygen load in steerdns and sign answers delv validates; keys made
// by `steerdns keygen` sign a zone with dnssec-signzone and ldns-signzone, and the signed zones
// verify (dnssec-verify, ldns-verify-zone).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../support/build.js';
import { startTestServer } from '../support/server.js';
import { requireTools } from './tools.js';

const tools = requireTools(
  ['delv', 'dnssec-keygen', 'dnssec-signzone', 'dnssec-verify', 'ldns-keygen', 'ldns-signzone', 'ldns-verify-zone'],
  'DNSSEC key interop',
);
const run = promisify(execFile);

const ZONE = `$TTL 300
@      IN SOA ns1 hostmaster 1 3600 600 86400 60
       IN NS  ns1
ns1    IN A   127.0.0.1
www    IN A   192.0.2.1
*.wild IN TXT "wildcard"
`;

/** The DNSKEY line of a .key file as delv's trust-anchors clause takes it. */
function anchorOf(keyFile: string): string {
  const line = fs
    .readFileSync(keyFile, 'utf8')
    .split('\n')
    .find((l) => /\bDNSKEY\b/.test(l) && !l.startsWith(';'))!;
  // ldns-keygen ends the line with a ";{id = ...}" comment.
  const [flags, protocol, alg, ...key] = line
    .replace(/;.*$/, '')
    .trim()
    .replace(/^.*\bDNSKEY\s+/, '')
    .split(/\s+/);
  return `trust-anchors { example.com. static-key ${flags} ${protocol} ${alg} "${key.join('')}"; };\n`;
}

describe.skipIf(!tools)('DNSSEC key files: BIND and ldns formats both ways', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-keys-interop-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['dnssec-keygen', 'ECDSAP256SHA256'],
    ['ldns-keygen', 'ED25519'],
  ] as const)('a key made by %s (%s) loads and signs answers delv validates', async (tool, algorithm) => {
    const base = path.join(dir, tool);
    const zonesDir = path.join(base, 'zones');
    const keyDir = path.join(base, 'keys', 'example.com');
    fs.mkdirSync(zonesDir, { recursive: true });
    fs.mkdirSync(keyDir, { recursive: true });
    fs.writeFileSync(path.join(zonesDir, 'example.com.zone'), ZONE);
    const args =
      tool === 'dnssec-keygen' ? ['-a', algorithm, '-f', 'KSK', '-K', keyDir, 'example.com'] : ['-a', algorithm, '-k', 'example.com'];
    const made = (await run(tools![tool], args, { cwd: keyDir })).stdout.trim();
    const steer = await startTestServer({ zonesDir, keysDir: path.join(base, 'keys'), watch: false });
    try {
      const anchor = path.join(base, 'anchor.conf');
      fs.writeFileSync(anchor, anchorOf(path.join(keyDir, `${made}.key`)));
      for (const [name, type] of [
        ['www.example.com', 'A'],
        ['x.wild.example.com', 'TXT'],
        ['missing.example.com', 'A'],
      ]) {
        const { stdout, stderr } = await run(tools!.delv, [
          `@${steer.host}`,
          '-p',
          String(steer.port),
          '-a',
          anchor,
          '+root=example.com',
          name!,
          type!,
        ]);
        expect(`${stdout}${stderr}`, `${name} ${type}`).toMatch(/; (negative response, )?fully validated/);
      }
    } finally {
      await steer.close();
    }
  });

  it.each(['13', '15'])('a key made by steerdns keygen --algorithm %s signs a zone with dnssec-signzone and ldns-signzone', async (alg) => {
    const keys = path.join(dir, `steerdns-${alg}`);
    const made = (await run(process.execPath, [cliPath(), 'keygen', 'example.com', '--keys', keys, '--algorithm', alg])).stdout.trim();
    const keyDir = path.join(keys, 'example.com');
    expect(fs.statSync(path.join(keyDir, `${made}.private`)).mode & 0o777).toBe(0o600);
    const zoneFile = path.join(keyDir, 'zone');
    fs.writeFileSync(zoneFile, ZONE);
    const tag = String(Number(made.slice(-5)));
    // BIND: -S finds the key in -K by its name; -z lets the one KSK sign everything (a CSK).
    await run(tools!['dnssec-signzone'], ['-S', '-z', '-K', keyDir, '-o', 'example.com', '-f', `${zoneFile}.bind`, zoneFile], {
      cwd: keyDir,
    });
    await run(tools!['dnssec-verify'], ['-z', '-o', 'example.com', `${zoneFile}.bind`]);
    expect(fs.readFileSync(`${zoneFile}.bind`, 'utf8')).toContain(`${tag} example.com.`);
    await run(tools!['ldns-signzone'], ['-o', 'example.com', '-f', `${zoneFile}.ldns`, zoneFile, path.join(keyDir, made)], { cwd: keyDir });
    const verified = await run(tools!['ldns-verify-zone'], [`${zoneFile}.ldns`]);
    expect(verified.stdout).toMatch(/Zone is verified and complete/);
    expect(fs.readFileSync(`${zoneFile}.ldns`, 'utf8')).toMatch(new RegExp(`RRSIG\\s+A \\d+ \\d+ \\d+ \\d+ \\d+ ${tag} example\\.com\\.`));
  });
});
