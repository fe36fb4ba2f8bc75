// --udp-io end to end, with the CLI as an operator runs it: the start log names each listener's
// UDP path, `batch` without the addon refuses to start while `auto` falls back to node:dgram, and
// with the addon every cluster worker owns an SO_REUSEPORT socket of the shared port and answers
// UDP on it.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './support/build.js';
import { buildQuery, decode } from './support/dns-client.js';
import { eventually } from './support/eventually.js';
import { serveCli, stopCli, type ServedCli } from './support/serve-cli.js';
import { PMTU_DISCOVERY_OMIT, udpBatchAddon } from '../src/transport/udp-batch-addon.js';
import { batchPathAvailable } from './support/udp-io.js';
import { parsePrometheus, request } from './http/harness.js';

const zones = path.join(repoRoot, 'test/fixtures/conformance');
const NO_ADDON = { STEERDNS_UDP_ADDON: path.join(repoRoot, 'native/build/Release/absent.node') };

const started: ServedCli[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await stopCli(s.child);
});

describe('--udp-io without the addon', () => {
  it('auto serves UDP through node:dgram and says why at start', async () => {
    const s = await serveCli(zones, ['--http', 'off', '--workers', '1'], { env: NO_ADDON });
    started.push(s);
    const listening = s.lines.find((l) => String(l.msg).startsWith('listening'));
    expect(listening?.udpIo).toBe('dgram');
    expect(s.lines.some((l) => /batched UDP addon not loaded: .*absent\.node is not built/.test(String(l.msg)))).toBe(true);
    const socket = dgram.createSocket('udp4');
    const reply = await new Promise<Buffer>((resolve) => {
      socket.once('message', resolve);
      socket.send(buildQuery({ name: 'www.example.com', type: 'A' }), s.dnsPort, '127.0.0.1');
    });
    socket.close();
    expect(decode(reply).answers.map((a) => a.data)).toEqual(['192.0.2.10']);
  });

  it('batch refuses to start, with the coded error', () => {
    const r = spawnSync(
      process.execPath,
      [
        cliPath(),
        'serve',
        '--zones',
        zones,
        '--geoip',
        'off',
        '--listen',
        '127.0.0.1:0',
        '--http',
        'off',
        '--workers',
        '1',
        '--udp-io',
        'batch',
      ],
      { env: { ...process.env, ...NO_ADDON }, encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--udp-io batch: the batched UDP addon is not available .*\[STEER_UDP_IO\]/);
  });

  it('an unknown path is a usage error', () => {
    const r = spawnSync(process.execPath, [cliPath(), 'serve', '--udp-io', 'fast'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--udp-io fast: expected auto, batch, dgram');
  });
});

/** Local UDP sockets bound to `port` (from /proc/net/udp: the port is the hex after the colon). */
function socketsOnPort(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1);
  return rows.filter((row) => row.trim().split(/\s+/)[1]?.endsWith(`:${hex}`)).length;
}

describe.skipIf(!batchPathAvailable())('--udp-io batch with workers', () => {
  it('every worker owns a socket of the shared port (SO_REUSEPORT) and answers UDP on it', async () => {
    const child = spawn(
      process.execPath,
      [
        cliPath(),
        'serve',
        '--zones',
        zones,
        '--geoip',
        'off',
        '--listen',
        '127.0.0.1:0',
        '--http',
        '127.0.0.1:0',
        '--workers',
        '2',
        '--udp-io',
        'batch',
      ],
      { cwd: repoRoot },
    );
    const lines: Record<string, unknown>[] = [];
    readline.createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    try {
      const listening = (await eventually(
        'both workers to listen',
        () => {
          if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
          const l = lines.filter((x) => String(x.msg).startsWith('listening'));
          return l.length === 2 && lines.some((x) => String(x.msg).startsWith('http listening')) ? l : null;
        },
        { timeoutMs: 45_000 },
      ))!;
      expect(listening.map((l) => l.udpIo)).toEqual(['batch', 'batch']);
      expect(new Set(listening.map((l) => l.pid)).size).toBe(2);
      const port = Number(listening[0]!.port);
      expect(socketsOnPort(port)).toBe(2);

      // The kernel spreads senders over the sockets by address and port: many client sockets reach both.
      const clients = await Promise.all(
        Array.from({ length: 24 }, async () => {
          const socket = dgram.createSocket('udp4');
          await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
          return socket;
        }),
      );
      const replies = await Promise.all(
        clients.map(
          (socket) =>
            new Promise<Buffer>((resolve) => {
              socket.once('message', resolve);
              socket.send(buildQuery({ name: 'www.example.com', type: 'A' }), port, '127.0.0.1');
            }),
        ),
      );
      for (const c of clients) c.close();
      for (const r of replies) expect(decode(r).answers.map((a) => a.data)).toEqual(['192.0.2.10']);
      const http = `http://127.0.0.1:${Number(lines.find((x) => String(x.msg).startsWith('http listening'))!.port)}`;
      const perWorker = (await eventually(
        'both workers to have answered',
        async () => {
          const samples = parsePrometheus((await request(`${http}/metrics`)).text).filter(
            (s) => s.name === 'steerdns_cluster_worker_queries_total',
          );
          return samples.length === 2 && samples.every((s) => s.value > 0) ? samples : null;
        },
        { timeoutMs: 15_000 },
      ))!;
      expect(perWorker.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(24);
    } finally {
      await stopCli(child);
    }
  }, 90_000);
});

describe.skipIf(!batchPathAvailable())('the batched socket', () => {
  it('sends without path MTU discovery on IPv4 and IPv6 (no DF bit, spoofed ICMP cannot shrink the MTU)', () => {
    const { addon } = udpBatchAddon();
    for (const [host, family] of [
      ['127.0.0.1', 4],
      ['::1', 6],
    ] as const) {
      const socket = addon!.open(
        { host, port: 0, family, reusePort: false, batch: 2, recvBufferSize: 0, sendBufferSize: 0 },
        () => undefined,
      );
      try {
        expect(socket.port).toBeGreaterThan(0);
        expect(socket.pmtuDiscover).toBe(PMTU_DISCOVERY_OMIT);
      } finally {
        socket.close();
      }
    }
  });
});
