// The batched UDP path when the kernel really says "would block". On loopback a sender's socket
// never fills (the loopback device releases each datagram from the socket's send-buffer account
// at once), so this test builds a real link: two network namespaces joined by a veth pair, a
// token-bucket queue (tc tbf) slowing the server's egress, and the server started inside its
// namespace with a small send buffer (--udp-send-buffer). Replies then sit in the queue, still
// charged to the server's socket, the socket fills and sendmmsg returns EAGAIN. A client in the
// other namespace sends a burst of queries, each once; every one must get its reply, and the
// metrics must show that replies waited for the socket to drain (deferred > 0) and that the
// wait ended (pending back to 0, everything received was sent, nothing dropped). Over IPv4, then
// over IPv6 on the same link (a unique local prefix the test gives the namespaces).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../support/build.js';
import { eventually } from '../support/eventually.js';
import { inNamespace, iproute, makeVethLink, netnsAvailable, removeNamespaces, type VethLink } from '../support/netns.js';
import { batchPathAvailable } from '../support/udp-io.js';
import { metricValue, parsePrometheus, type Sample } from '../http/harness.js';

const zones = path.join(repoRoot, 'test/fixtures/conformance');
const flooder = path.join(repoRoot, 'test/support/udp-flood.mjs');
/** Addresses of the namespaces this test makes (never the host's). */
const PREFIX = '10.213.0';
const PREFIX6 = 'fd00:213:0:1';
const QUERIES = 3000;
/** Unanswered queries at a time: far more replies than 4 KiB of send buffer holds, far less than a receive buffer. */
const WINDOW = 64;
/** The kernel doubles it: room for about ten small replies. */
const SEND_BUFFER = 4096;

const ready = netnsAvailable('udp would-block (network namespaces)') && batchPathAvailable();

interface FloodResult {
  sent: number;
  answered: number;
  missing: number[];
  duplicates: number;
  bad: { id: number; why: string }[];
  ms: number;
}

describe.skipIf(!ready)('batched UDP: replies that meet a full socket (EAGAIN) wait and all go out', () => {
  let link: VethLink | null = null;
  let server: ChildProcess | null = null;
  let httpPort = 0;
  /** The server's UDP port per address (one listener each). */
  const dnsPorts = new Map<string, number>();
  const namespaces = [`sdns-wb${process.pid}-srv`, `sdns-wb${process.pid}-cli`];

  beforeAll(async () => {
    link = makeVethLink(`wb${process.pid}`, PREFIX, PREFIX6);
    // Slow egress with a queue long enough to hold every reply: the socket's send buffer, not the
    // queue, is what fills (a full tbf queue would drop replies silently, which UDP allows).
    iproute('ip', [
      'netns',
      'exec',
      link.server,
      'tc',
      'qdisc',
      'replace',
      'dev',
      link.serverDevice,
      'root',
      'tbf',
      'rate',
      '2mbit',
      'burst',
      '4kb',
      'limit',
      '4mb',
    ]);
    const [cmd, args] = inNamespace(link.server, [
      process.execPath,
      cliPath(),
      'serve',
      '--zones',
      zones,
      '--geoip',
      'off',
      '--listen',
      `${link.serverAddress}:0`,
      '--listen',
      `[${link.serverAddress6}]:0`,
      '--http',
      '127.0.0.1:0',
      '--workers',
      '1',
      '--udp-io',
      'batch',
      '--udp-send-buffer',
      String(SEND_BUFFER),
    ]);
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines: Record<string, unknown>[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    await eventually(
      'the server in its namespace to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${stderr}`);
        const dns = lines.filter((l) => String(l.msg).startsWith('listening'));
        const http = lines.find((l) => String(l.msg).startsWith('http listening'));
        if (dns.length < 2 || !http) return false;
        for (const l of dns) {
          expect(l.udpIo).toBe('batch');
          dnsPorts.set(String(l.address), Number(l.port));
        }
        httpPort = Number(http.port);
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  });

  afterAll(async () => {
    if (server !== null && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    removeNamespaces(namespaces);
  });

  /** /metrics of the server, read from inside its namespace (its HTTP listener is on the namespace's loopback). */
  function scrape(): Sample[] {
    const script = `fetch('http://127.0.0.1:${httpPort}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const [cmd, args] = inNamespace(link!.server, [process.execPath, '-e', script]);
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`scrape failed: ${r.stderr}`);
    return parsePrometheus(r.stdout);
  }

  function flood(address: string, count: number): Promise<FloodResult> {
    const port = dnsPorts.get(address);
    if (port === undefined) throw new Error(`no listener on ${address}: ${JSON.stringify([...dnsPorts])}`);
    const [cmd, args] = inNamespace(link!.client, [
      process.execPath,
      flooder,
      address,
      String(port),
      'www.example.com',
      String(count),
      String(WINDOW),
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      child.once('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out) as FloodResult) : reject(new Error(`flood exited with ${code}: ${err}`)),
      );
    });
  }

  const total = (samples: Sample[], name: string, labels: Record<string, string> = {}): number => metricValue(samples, name, labels);

  it.each(['IPv4', 'IPv6'] as const)(
    'over %s every query of a burst is answered, and the replies the kernel refused for a full socket went out once it drained',
    async (family) => {
      const address = family === 'IPv4' ? link!.serverAddress : link!.serverAddress6!;
      const before = scrape();
      expect(total(before, 'steerdns_udp_batch_pending')).toBe(0);

      const result = await flood(address, QUERIES);
      expect(result.missing).toEqual([]);
      expect(result).toMatchObject({ sent: QUERIES, answered: QUERIES, duplicates: 0, bad: [] });

      // Replies met EAGAIN (the only way a reply is deferred) and the queue drained. The counters
      // add up every socket of the server: this burst's share is what they grew by.
      const after = (await eventually('the deferred replies to drain', () => {
        const s = scrape();
        return total(s, 'steerdns_udp_batch_pending') === 0 ? s : null;
      }))!;
      const grew = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
      expect(grew('steerdns_udp_batch_replies_total', { outcome: 'deferred' })).toBeGreaterThan(0);
      expect(grew('steerdns_udp_batch_replies_total', { outcome: 'dropped' })).toBe(0);
      expect(grew('steerdns_udp_batch_datagrams_total', { direction: 'received' })).toBe(QUERIES);
      expect(grew('steerdns_udp_batch_datagrams_total', { direction: 'sent' })).toBe(QUERIES);
      // Each wait ends with another sendmmsg once the socket is writable: more calls than batches.
      expect(grew('steerdns_udp_batch_syscalls_total', { syscall: 'sendmmsg' })).toBeGreaterThan(grew('steerdns_udp_batches_total'));
      // The slow queue itself dropped nothing: the socket, not the queue, was what filled.
      const qdisc = iproute('ip', ['netns', 'exec', link!.server, 'tc', '-s', 'qdisc', 'show', 'dev', link!.serverDevice]);
      expect(qdisc).toMatch(/dropped 0[,\s]/);
    },
    60_000,
  );
});
