// DNS Cookies, NSID and CHAOS as the standard clients see them: BIND's dig and Knot's kdig.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { dig } from './dig.js';
import { requireTools } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/conformance');
const tools = requireTools(['dig', 'kdig'], 'cookies/NSID interop');

/** A server cookie of version 1 stamped now, whose hash no secret of ours gives. */
function forgedCookie(): string {
  const b = Buffer.alloc(24);
  b.write('0102030405060708', 0, 'hex');
  b[8] = 1;
  b.writeUInt32BE(Math.floor(Date.now() / 1000), 12);
  b.fill(0x5a, 16);
  return b.toString('hex');
}

describe.skipIf(!tools)('cookies, NSID and CHAOS through dig and kdig', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      zonesDir,
      watch: false,
      probe: false,
      identity: { identity: 'ns1.steer.test', version: null },
      cookieSecrets: ['00112233445566778899aabbccddeeff'],
    });
  });
  afterAll(() => server.close());

  const kdig = (args: readonly string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(tools!.kdig, [`@${server.host}`, '-p', String(server.port), '+time=2', '+retry=0', ...args], (err, stdout, stderr) =>
        err ? reject(new Error(`kdig ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve(stdout),
      );
    });

  it('dig +cookie: a server cookie dig calls good, accepted again when dig sends it back', async () => {
    const first = await dig(tools!.dig, server.host, server.port, ['+cookie', 'www.example.com', 'A']);
    expect(first.status).toBe('NOERROR');
    const line = first.opt?.options.find((o) => o.startsWith('COOKIE:'));
    expect(line).toMatch(/^COOKIE: [0-9a-f]{48} \(good\)$/);
    const cookie = /[0-9a-f]{48}/.exec(line!)![0];
    const again = await dig(tools!.dig, server.host, server.port, [`+cookie=${cookie}`, 'www.example.com', 'A']);
    expect(again.status).toBe('NOERROR');
    expect(again.opt?.options).toContain(`COOKIE: ${cookie} (good)`);
  });

  it('dig: BADCOOKIE for a forged server cookie, then dig retries with the fresh one and is answered', async () => {
    const r = await dig(tools!.dig, server.host, server.port, [`+cookie=${forgedCookie()}`, 'www.example.com', 'A']);
    expect(r.text).toMatch(/BADCOOKIE, retrying/);
    expect(r.status).toBe('NOERROR');
    expect(r.answer.map((a) => a.rdata)).toEqual(['192.0.2.10']);
  });

  it('kdig +cookie: the cookie comes back, and a forged one gets BADCOOKIE', async () => {
    const ok = await kdig(['+cookie', 'www.example.com', 'A']);
    expect(ok).toMatch(/status: NOERROR;/);
    expect(ok).toMatch(/^;; COOKIE: [0-9A-F]{48}$/m);
    const bad = await kdig([`+cookie=${forgedCookie()}`, 'www.example.com', 'A']);
    expect(bad).toMatch(/status: BADCOOKIE;/);
  });

  it('dig +nsid and kdig +nsid show the identity; dig CH TXT id.server gets it too', async () => {
    const d = await dig(tools!.dig, server.host, server.port, ['+nsid', 'www.example.com', 'A']);
    expect(d.opt?.options.some((o) => o.startsWith('NSID:') && o.includes('("ns1.steer.test")'))).toBe(true);
    expect(await kdig(['+nsid', 'www.example.com', 'A'])).toMatch(/^;; NSID: [0-9A-F]+ "ns1\.steer\.test"$/m);
    const ch = await dig(tools!.dig, server.host, server.port, ['CH', 'TXT', 'id.server']);
    expect(ch.answer.map((a) => [a.class, a.rdata])).toEqual([['CH', '"ns1.steer.test"']]);
    const version = await dig(tools!.dig, server.host, server.port, ['CH', 'TXT', 'version.bind']);
    expect(version.status).toBe('REFUSED');
  });
});
