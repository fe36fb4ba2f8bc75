// Zone transfers end to end: the real server on loopback, dig (BIND's client, which checks every
// TSIG MAC of a multi-message transfer) and raw sockets. AXFR/IXFR over TCP and UDP, the ACLs,
// the journal, a serial that does not increase, key files at reload, and answering that goes on
// while a transfer is streamed to a client that reads slowly.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SteerMetrics } from '../src/http/metrics.js';
import { buildStatus } from '../src/http/status.js';
import type { TransferSettings } from '../src/xfr/settings.js';
import { captureLogger } from './support/capture-logger.js';
import { buildQuery, decode, frame } from './support/dns-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { execFile } from 'node:child_process';
import { requireTool } from './interop/tools.js';

const digPath = requireTool('dig', 'zone transfers');
const SECRET = randomBytes(32).toString('base64');
const HOSTS = 4000;

function zone(serial: number, extra = ''): string {
  const hosts = Array.from({ length: HOSTS }, (_, i) => `h${i} IN A 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`).join('\n');
  return `$TTL 300\n@ IN SOA ns1 hostmaster ${serial} 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n${extra}\n${hosts}\n`;
}

describe.skipIf(digPath === null)('zone transfers', () => {
  let dir = '';
  let t: TestServer;
  const log = captureLogger();
  const keyFile = (): string => path.join(dir, 'xfr.key');
  const settings = (): TransferSettings => ({
    key_files: [keyFile()],
    journal_versions: 2,
    zones: {
      'big.example': { allow: ['127.0.0.0/8'] },
      'signed.example': { keys: ['xfr-key'] },
      'elsewhere.example': { allow: ['192.0.2.0/24'] },
    },
  });
  const write = (origin: string, text: string): void => writeFileSync(path.join(dir, `${origin}.zone`), text);
  /** dig's output as text: a transfer prints records and a summary, no reply header. */
  const ask = (...args: string[]): Promise<{ text: string; status: string }> =>
    new Promise((resolve, reject) => {
      execFile(
        digPath!,
        [`@${t.host}`, '-p', String(t.port), '+time=3', '+tries=1', ...args],
        { timeout: 15_000 },
        (err, stdout, stderr) => {
          if (err && !stdout) reject(new Error(`dig ${args.join(' ')}: ${err.message}\n${stderr}`));
          else resolve({ text: stdout, status: /status: (\w+)/.exec(stdout)?.[1] ?? '' });
        },
      );
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-xfr-'));
    writeFileSync(keyFile(), `key "xfr-key" { algorithm hmac-sha512; secret "${SECRET}"; };\n`);
    write('big.example', zone(1));
    write('signed.example', zone(7));
    write('elsewhere.example', zone(1));
    write('plain.example', zone(1));
    t = await startTestServer({ zonesDir: dir, watch: false, probe: false, logger: log.logger, transfer: settings() });
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('AXFR streams the zone in several messages, SOA first and last, every message signed and verified by dig', async () => {
    const r = await ask('signed.example', 'AXFR', '-y', `hmac-sha512:xfr-key:${SECRET}`);
    expect(r.text).not.toMatch(/failed|verify/i);
    const size = /XFR size: (\d+) records \(messages (\d+)/.exec(r.text);
    expect(Number(size?.[1])).toBe(HOSTS + 3 + 1); // SOA, NS, ns1 A, the hosts, and the SOA again
    expect(Number(size?.[2])).toBeGreaterThan(3);
    const soas = r.text.split('\n').filter((l) => /\sSOA\s/.test(l) && !l.startsWith(';'));
    expect(soas).toHaveLength(2);
    expect(r.text.split('\n').filter((l) => /\sTSIG\s/.test(l)).length).toBe(Number(size?.[2]));
  });

  it('outside the ACL: REFUSED and a log line, never the zone', async () => {
    // signed.example wants the key; elsewhere.example another network; plain.example has no settings.
    for (const zoneName of ['signed.example', 'elsewhere.example', 'plain.example']) {
      const reply = decode(await t.tcpRaw(buildQuery({ name: zoneName, type: 'AXFR' })));
      expect(reply.rcode, zoneName).toBe('REFUSED');
      expect(reply.answers).toHaveLength(0);
      expect(log.lines().some((l) => l.zone === zoneName && /zone transfer refused/.test(String(l.msg)))).toBe(true);
    }
    const udp = decode(await t.udpRaw(buildQuery({ name: 'elsewhere.example', type: 'IXFR' })));
    expect(udp.rcode).toBe('REFUSED');
  });

  it('IXFR: the SOA alone when current, the difference from the journal, the whole zone when the journal cannot answer', async () => {
    write('big.example', zone(2, 'new IN TXT "one record added"'));
    await t.server.reload(true);
    const current = await ask('big.example', 'IXFR=2');
    expect(current.text).toMatch(/XFR size: 1 records/);
    const inc = await ask('big.example', 'IXFR=1');
    const lines = inc.text.split('\n').filter((l) => l && !l.startsWith(';'));
    expect(lines.map((l) => l.split(/\s+/)[3])).toEqual(['SOA', 'SOA', 'SOA', 'TXT', 'SOA']);
    // Over UDP the same small difference fits a datagram; never FORMERR.
    const udp = await ask('big.example', 'IXFR=1', '+notcp');
    expect(udp.text).not.toMatch(/FORMERR/);
    expect(udp.text).toMatch(/one record added/);
    // Serial 1 falls out of a journal of 2 versions after two more changes: the whole zone instead.
    write('big.example', zone(3, 'new IN TXT "one record added"\nnewer IN TXT "x"'));
    await t.server.reload(true);
    write('big.example', zone(4, 'new IN TXT "one record added"'));
    await t.server.reload(true);
    const full = await ask('big.example', 'IXFR=1');
    expect(full.text).toMatch(new RegExp(`XFR size: ${HOSTS + 4 + 1} records`));
    const counts = t.server.transfers!.counters().filter((c) => c.zone === 'big.example');
    expect(counts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'ixfr', outcome: 'incremental' }),
        expect.objectContaining({ kind: 'ixfr', outcome: 'current' }),
        expect.objectContaining({ kind: 'ixfr', outcome: 'full' }),
      ]),
    );
  });

  it('a reload whose serial does not increase is logged as an error and not offered to secondaries', async () => {
    const offered = t.server.transfers!.offeredSerial('big.example');
    write('big.example', zone(offered!, 'changed IN TXT "same serial"'));
    await t.server.reload(true);
    expect(log.lines().some((l) => l.code === 'STEER_TRANSFER_SERIAL' && l.zone === 'big.example')).toBe(true);
    expect(t.server.transfers!.offeredSerial('big.example')).toBe(offered);
    const axfr = await ask('big.example', 'AXFR');
    expect(axfr.text).not.toMatch(/same serial/);
    // Queries see the new data; only secondaries are kept on the version they can track.
    expect((await t.udp({ name: 'changed.big.example', type: 'TXT' })).rcode).toBe('NOERROR');
  });

  it('a broken key file at reload keeps the previous keys', async () => {
    writeFileSync(keyFile(), 'key "xfr-key" { algorithm hmac-sha512; secret "not base64!"; };\n');
    expect(t.server.transfers!.update(settings())).toBe(false);
    expect(log.lines().some((l) => l.code === 'STEER_TSIG_KEY_FILE' && l.line === 1)).toBe(true);
    const r = await ask('signed.example', 'SOA', '-y', `hmac-sha512:xfr-key:${SECRET}`);
    expect(r.status).toBe('NOERROR');
    expect(r.text).not.toMatch(/verify/i);
  });

  it('queries are answered while a transfer is streamed to a client that does not read yet', async () => {
    const socket = net.connect(t.port, t.host);
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = 0;
    socket.on('data', (b: Buffer) => {
      received += b.length;
    });
    socket.pause();
    socket.write(frame(buildQuery({ name: 'big.example', type: 'AXFR' })));
    // The transfer goes out a message per turn of the event loop; other queries are answered meanwhile.
    for (let i = 0; i < 20; i++) expect((await t.udp({ name: 'ns1.big.example', type: 'A' })).rcode).toBe('NOERROR');
    expect((await t.tcp({ name: 'big.example', type: 'SOA' })).rcode).toBe('NOERROR');
    socket.resume();
    const total = await new Promise<number>((resolve) => {
      const check = (): void => {
        // The transfer ends with the SOA again; the byte count settles once it is all here.
        const before = received;
        setTimeout(() => (received === before && received > 0 ? resolve(received) : check()), 200);
      };
      check();
    });
    socket.destroy();
    expect(total).toBeGreaterThan(HOSTS * 16);
  });

  it('transfers are counted in metrics and shown in the status API', async () => {
    const metrics = new SteerMetrics({ defaultMetrics: false });
    const detach = metrics.attach(t.server);
    const text = await metrics.registry.metrics();
    detach();
    expect(text).toMatch(/steerdns_transfers_total\{zone="big\.example",kind="ixfr",outcome="incremental"\} [1-9]/);
    expect(text).toMatch(/steerdns_transfers_total\{zone="plain\.example",kind="axfr",outcome="refused"\} 1/);
    const status = buildStatus(t.server, null);
    expect(status.transfers?.zones.find((z) => z.zone === 'big.example')).toMatchObject({ serial: 4, journalVersions: 2 });
    expect(status.transfers?.zones.map((z) => z.zone).sort()).toEqual(['big.example', 'elsewhere.example', 'signed.example']);
  });
});
