// steerdns as the standard clients see it: dig over UDP, TCP and IPv6, with ECS and a small
// EDNS buffer, and kdig once, against the conformance zones.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { dig, rrsets, type DigReply } from './dig.js';
import { requireTools } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/conformance');

const tools = requireTools(['dig', 'kdig'], 'dig-client interop');

const BIG_TXT_RECORDS = 6;

describe.skipIf(!tools)('steerdns through dig and kdig', () => {
  let server: TestServer | undefined;
  let v4 = { host: '127.0.0.1', port: 0 };
  let v6 = { host: '::1', port: 0 };

  beforeAll(async () => {
    server = await startTestServer({ zonesDir, watch: false, probe: false, listen: ['127.0.0.1:0', '[::1]:0'] });
    const [a, b] = server.server.endpoints;
    v4 = { host: a!.address, port: a!.port };
    v6 = { host: b!.address, port: b!.port };
  });
  afterAll(async () => {
    await server?.close();
  });

  const ask = (at: { host: string; port: number }, ...args: string[]): Promise<DigReply> =>
    dig(tools!.dig, at.host, at.port, ['+norecurse', ...args]);

  function expectWwwA(r: DigReply): void {
    expect(r.status).toBe('NOERROR');
    expect([...r.flags].sort()).toEqual(['aa', 'qr']);
    expect(rrsets(r.answer)).toEqual(['www.example.com. IN A | 3600 192.0.2.10']);
    expect(r.authority).toEqual([]);
  }

  it('answers A over UDP with AA and the EDNS OPT dig sent', async () => {
    const r = await ask(v4, 'www.example.com', 'A');
    expect(r.transport).toBe('UDP');
    expectWwwA(r);
    expect(r.opt).toMatchObject({ version: 0, flags: [], clientSubnet: null });
  });

  it('answers over TCP', async () => {
    const r = await ask(v4, 'www.example.com', 'A', '+tcp');
    expect(r.transport).toBe('TCP');
    expectWwwA(r);
  });

  it('answers over IPv6 (::1), UDP and TCP', async () => {
    expect(v6.host).toBe('::1');
    const udp = await ask(v6, 'www.example.com', 'A');
    expect(udp.transport).toBe('UDP');
    expectWwwA(udp);
    const tcp = await ask(v6, 'www.example.com', 'AAAA', '+tcp');
    expect(tcp.transport).toBe('TCP');
    expect(rrsets(tcp.answer)).toEqual(['www.example.com. IN AAAA | 3600 2001:db8::10']);
  });

  it('echoes ECS with scope 0 for static data (+subnet)', async () => {
    const r4 = await ask(v4, 'www.example.com', 'A', '+subnet=192.0.2.0/24');
    expectWwwA(r4);
    expect(r4.opt?.clientSubnet).toBe('192.0.2.0/24/0');
    const r6 = await ask(v4, 'www.example.com', 'A', '+subnet=2001:db8:1::/48');
    expect(r6.opt?.clientSubnet).toBe('2001:db8:1::/48/0');
    const none = await ask(v4, 'www.example.com', 'A');
    expect(none.opt?.clientSubnet).toBeNull();
  });

  it('truncates at +bufsize=512 (TC, no cut record), and dig then gets it all over TCP', async () => {
    const truncated = await ask(v4, 'big.example.com', 'TXT', '+bufsize=512', '+ignore');
    expect(truncated.transport).toBe('UDP');
    expect(truncated.status).toBe('NOERROR');
    expect(truncated.flags.has('tc')).toBe(true);
    expect(truncated.answer).toEqual([]);
    expect(truncated.opt).not.toBeNull();

    // Without +ignore dig follows TC=1 and retries over TCP, as a resolver would.
    const retried = await ask(v4, 'big.example.com', 'TXT', '+bufsize=512');
    expect(retried.transport).toBe('TCP');
    expect(retried.flags.has('tc')).toBe(false);
    expect(retried.answer).toHaveLength(BIG_TXT_RECORDS);

    const fits = await ask(v4, 'big.example.com', 'TXT');
    expect(fits.transport).toBe('UDP');
    expect(fits.flags.has('tc')).toBe(false);
    expect(fits.answer).toHaveLength(BIG_TXT_RECORDS);
  });

  it('answers kdig (Knot’s client) over UDP with ECS and over TCP', async () => {
    const run = (args: readonly string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile(
          tools!.kdig,
          [`@${v4.host}`, '-p', String(v4.port), '+norecurse', '+time=2', '+retry=0', ...args],
          (err, stdout, stderr) =>
            err ? reject(new Error(`kdig ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`)) : resolve(stdout),
        );
      });
    const udp = await run(['www.example.com', 'A', '+subnet=192.0.2.0/24']);
    expect(udp).toMatch(/status: NOERROR;/);
    expect(udp).toMatch(/;; Flags: qr aa;/);
    expect(udp).toMatch(/^www\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.10$/m);
    expect(udp).toMatch(/^;; CLIENT-SUBNET: 192\.0\.2\.0\/24\/0$/m);
    expect(udp).toMatch(/\(UDP\)/);
    const tcp = await run(['nope.example.com', 'A', '+tcp']);
    expect(tcp).toMatch(/status: NXDOMAIN;/);
    expect(tcp).toMatch(
      /^example\.com\.\s+300\s+IN\s+SOA\s+ns1\.example\.com\. hostmaster\.example\.com\. 2026010101 7200 900 1209600 300$/m,
    );
    expect(tcp).toMatch(/\(TCP\)/);
  });
});
