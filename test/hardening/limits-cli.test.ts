// The rate limiting and TCP limit flags of `steerdns serve`, spawned from dist/ as an operator
// would run it: limited UDP replies are dropped or slip out as TC=1 stubs over real sockets, an
// exempt network is not limited, a TCP connection ends after --tcp-max-queries answers, and
// /metrics counts all of it. Bad values exit 2 with the usage.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../support/build.js';
import { serveCli, stopCli, type ServedCli } from '../support/serve-cli.js';
import { buildQuery, decode, type DecodedReply } from '../support/dns-client.js';
import { parsePrometheus, request, metricValue, type Sample } from '../http/harness.js';
import { connectFrom, FrameReader, framed } from './support.js';
import { eventually } from '../support/eventually.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   192.0.2.2
`;

let zones: string;
beforeAll(() => {
  zones = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-limits-'));
  fs.writeFileSync(path.join(zones, 'limits.test.zone'), ZONE);
});
afterAll(() => fs.rmSync(zones, { recursive: true, force: true }));

type Served = ServedCli;

const serve = (args: string[]): Promise<Served> => serveCli(zones, ['--http', '127.0.0.1:0', ...args], { expectHttp: true });
const stop = stopCli;

const scrape = async (s: Served): Promise<Sample[]> => parsePrometheus((await request(`${s.httpUrl}/metrics`)).text);

/**
 * `n` queries back to back from one socket bound to `from`; waits (through /metrics) until the
 * limiter has decided on all of them, then until every reply it sent has arrived.
 */
async function burst(s: Served, n: number, from: string): Promise<DecodedReply[]> {
  const before = await scrape(s);
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, () => resolve()));
  const replies: DecodedReply[] = [];
  socket.on('message', (m) => replies.push(decode(m)));
  try {
    for (let i = 0; i < n; i++) socket.send(buildQuery({ name: 'www.limits.test', type: 'A', id: i + 1 }), s.dnsPort, '127.0.0.1');
    let after = before;
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    await eventually('the limiter to decide on every query', async () => {
      after = await scrape(s);
      return delta('steerdns_rrl_responses_total') === n;
    });
    const sent = n - delta('steerdns_rrl_limited_total', { action: 'drop' });
    await eventually(`${sent} replies`, () => replies.length === sent);
    return replies;
  } finally {
    socket.close();
  }
}

describe('steerdns serve with limits', () => {
  it('--rrl-*: drops and TC=1 slips over real UDP, exemptions, counters in /metrics; --tcp-max-queries closes after the answers', async () => {
    // One process: the limits are per process (each of N workers applies its own).
    const s = await serve([
      '--workers',
      '1',
      '--rrl-rate',
      '2',
      '--rrl-burst',
      '5',
      '--rrl-slip',
      '2',
      '--rrl-exempt',
      '127.0.5.0/24',
      '--tcp-max-queries',
      '3',
    ]);
    try {
      const replies = await burst(s, 40, '127.0.0.1');
      const full = replies.filter((r) => !r.flag_tc);
      const stubs = replies.filter((r) => r.flag_tc);
      // The burst of 5, plus whatever refilled at 2/s while the test ran.
      expect(full.length).toBeGreaterThanOrEqual(5);
      expect(full.length).toBeLessThanOrEqual(10);
      for (const r of full) expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.2']);
      for (const r of stubs) expect([r.questions.length, r.answers.length]).toEqual([1, 0]);

      const m = await scrape(s);
      const slipped = metricValue(m, 'steerdns_rrl_limited_total', { action: 'slip', class: 'positive' });
      const dropped = metricValue(m, 'steerdns_rrl_limited_total', { action: 'drop', class: 'positive' });
      expect(slipped).toBe(stubs.length);
      expect(dropped).toBe(40 - replies.length);
      expect(slipped + dropped).toBe(40 - full.length);
      expect(dropped).toBeGreaterThan(10);
      expect(metricValue(m, 'steerdns_rrl_limited_total', { action: 'drop', class: 'nxdomain' })).toBe(0);
      expect(metricValue(m, 'steerdns_rrl_buckets', { state: 'used' })).toBeGreaterThanOrEqual(1);
      expect(metricValue(m, 'steerdns_rrl_enabled')).toBe(1);

      // An exempt network: every reply in full, counted as exempt.
      const exempt = await burst(s, 30, '127.0.5.1');
      expect(exempt.filter((r) => !r.flag_tc)).toHaveLength(30);
      expect(metricValue(await scrape(s), 'steerdns_rrl_exempt_total')).toBe(30);

      // TCP is not rate limited, and a connection ends after three answers.
      const socket = await connectFrom('127.0.0.1', s.dnsPort);
      const reader = new FrameReader(socket);
      socket.write(Buffer.concat([1, 2, 3, 4, 5].map((id) => framed({ name: 'www.limits.test', type: 'A', id }))));
      await reader.waitFor('the server to close', () => reader.ended || reader.closed);
      socket.destroy();
      expect(reader.replies().map((r) => [r.id, r.flag_tc, r.answers.length])).toEqual([
        [1, false, 1],
        [2, false, 1],
        [3, false, 1],
      ]);
      expect(reader.leftover()).toBe(0);
      await eventually(
        'the query limit counted',
        async () => metricValue(await scrape(s), 'steerdns_tcp_closed_total', { reason: 'query_limit' }) === 1,
      );
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
  });

  it('without --rrl-rate nothing is limited and the RRL counters stay at 0', async () => {
    const s = await serve(['--workers', '1', '--tcp-idle-timeout', '0.3']);
    const socket0 = dgram.createSocket('udp4');
    let got = 0;
    socket0.on('message', () => got++);
    try {
      for (let i = 0; i < 50; i++) socket0.send(buildQuery({ name: 'www.limits.test', type: 'A', id: i + 1 }), s.dnsPort, '127.0.0.1');
      await eventually('50 replies', () => got === 50);
      const m = await scrape(s);
      expect(metricValue(m, 'steerdns_rrl_enabled')).toBe(0);
      expect(m.filter((x) => x.name.startsWith('steerdns_rrl_')).every((x) => x.value === 0)).toBe(true);
      expect(metricValue(m, 'steerdns_queries_total', { transport: 'udp' })).toBe(50);
      // The idle timeout from the flag (default 10 s) closes a silent connection.
      const socket = await connectFrom('127.0.0.1', s.dnsPort);
      const reader = new FrameReader(socket);
      await reader.waitFor('the idle timeout', () => reader.closed, 5000);
      await eventually(
        'the idle timeout counted',
        async () => metricValue(await scrape(s), 'steerdns_tcp_closed_total', { reason: 'idle_timeout' }) === 1,
      );
    } finally {
      socket0.close();
      expect(await stop(s.child)).toBe(0);
    }
  });

  it('with --workers 2 every worker applies the flags, and /metrics sums their counters', async () => {
    const s = await serve(['--workers', '2', '--rrl-rate', '1', '--rrl-burst', '1', '--rrl-slip', '0', '--tcp-max-queries', '2']);
    try {
      const replies = await burst(s, 40, '127.0.0.1');
      // One reply per worker from the burst, plus what refilled at 1/s while the test ran.
      expect(replies.length).toBeGreaterThanOrEqual(1);
      expect(replies.length).toBeLessThanOrEqual(6);
      expect(replies.every((r) => !r.flag_tc)).toBe(true);
      const m = await scrape(s);
      expect(metricValue(m, 'steerdns_rrl_limited_total', { action: 'drop' })).toBe(40 - replies.length);
      expect(metricValue(m, 'steerdns_rrl_limited_total', { action: 'slip' })).toBe(0);

      const socket = await connectFrom('127.0.0.1', s.dnsPort);
      const reader = new FrameReader(socket);
      socket.write(Buffer.concat([1, 2, 3, 4].map((id) => framed({ name: 'www.limits.test', type: 'A', id }))));
      await reader.waitFor('the server to close', () => reader.ended || reader.closed);
      socket.destroy();
      expect(reader.replies().map((r) => r.id)).toEqual([1, 2]);
      await eventually(
        'the query limit counted',
        async () => metricValue(await scrape(s), 'steerdns_tcp_closed_total', { reason: 'query_limit' }) === 1,
      );
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
  });

  it.each([
    [['--rrl-rate', 'lots'], /--rrl-rate lots: expected a whole number/],
    [['--rrl-rate', '10', '--rrl-slip', '500'], /--rrl-slip 500: expected a whole number from 0 to 100/],
    [['--rrl-rate', '10', '--rrl-exempt', '10.0.0.0/99'], /--rrl-exempt 10\.0\.0\.0\/99/],
    [['--rrl-burst', '10'], /--rrl-burst needs --rrl-rate/],
    [['--tcp-max-per-client', '0'], /--tcp-max-per-client 0/],
    [['--tcp-idle-timeout', 'forever'], /--tcp-idle-timeout forever: expected seconds/],
  ])('refuses %j with exit 2 and the usage', (args, message) => {
    const r = spawnSync(
      process.execPath,
      [cliPath(), 'serve', '--zones', zones, '--geoip', 'off', '--listen', '127.0.0.1:0', '--http', 'off', ...args],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Usage:/);
    expect(r.stdout).not.toMatch(/listening/);
  });
});
