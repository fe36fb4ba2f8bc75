// Response rate limiting on the real server: over the limit, UDP replies are dropped or slip out
// as TC=1 stubs; TCP, other networks and exempt networks are unaffected; off by default.
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildQuery, decode, type DecodedReply } from '../support/dns-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { RrlOptions } from '../../src/transport/rrl.js';
import { eventually } from '../support/eventually.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conformance');

let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function serve(rrl: Partial<RrlOptions> | null): Promise<TestServer> {
  t = await startTestServer({ zonesDir, rrl, watch: false, probe: false });
  return t;
}

/**
 * Send `n` queries back to back from one socket (bound to `from`) and collect what comes back,
 * waiting until the server has decided on all of them and every reply it sent has arrived.
 */
async function burst(s: TestServer, n: number, from = '127.0.0.1', name = 'www.example.com'): Promise<DecodedReply[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, from, () => resolve()));
  const replies: DecodedReply[] = [];
  socket.on('message', (m) => replies.push(decode(m)));
  const before = s.server.rrl?.stats();
  for (let i = 0; i < n; i++) socket.send(buildQuery({ name, type: 'A', id: i + 1 }), s.port, s.host);
  if (before) {
    await eventually('the limiter to see every response', () => s.server.rrl!.stats().responses - before.responses === n);
    const after = s.server.rrl!.stats();
    const sent = n - (after.dropped - before.dropped);
    await eventually(`${sent} replies`, () => replies.length === sent);
  } else {
    await eventually(`${n} replies`, () => replies.length === n);
  }
  socket.close();
  return replies;
}

describe('response rate limiting', () => {
  it('past the burst, replies are dropped and every 2nd limited one slips out as TC=1 with the question only', async () => {
    const s = await serve({ rate: 2, burst: 5, slip: 2 });
    const replies = await burst(s, 40);
    const full = replies.filter((r) => !r.flag_tc);
    const stubs = replies.filter((r) => r.flag_tc);
    // 5 from the burst, plus at most a couple refilled while the test runs.
    expect(full.length).toBeGreaterThanOrEqual(5);
    expect(full.length).toBeLessThanOrEqual(8);
    for (const r of full) expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.10']);
    const stats = s.server.rrl!.stats();
    expect(stats.limited).toBe(40 - full.length);
    expect(stubs).toHaveLength(stats.slipped);
    expect(Math.abs(stats.slipped - stats.dropped)).toBeLessThanOrEqual(1);
    for (const r of stubs) {
      expect(r.questions).toEqual([{ name: 'www.example.com', type: 'A', class: 'IN' }]);
      expect([r.answers.length, r.authorities.length, r.additionals.length]).toEqual([0, 0, 0]);
      expect(r.flag_qr).toBe(true);
    }
  });

  it('a limited client still gets full answers over TCP', async () => {
    const s = await serve({ rate: 1, burst: 1, slip: 2 });
    await burst(s, 20);
    expect(s.server.rrl!.stats().limited).toBeGreaterThan(10);
    const r = await s.tcp({ name: 'www.example.com', type: 'A' });
    expect(r.flag_tc).toBe(false);
    expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.10']);
  });

  it('another /24 has its own budget; random names share the zone budget for NXDOMAIN', async () => {
    const s = await serve({ rate: 1, burst: 4, slip: 0 });
    expect((await burst(s, 20, '127.0.0.1')).length).toBeLessThanOrEqual(6);
    expect((await burst(s, 4, '127.0.1.1')).length).toBe(4);
    // NXDOMAIN for many different names from a third network: one bucket for the zone.
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.2.1', () => resolve()));
    let got = 0;
    socket.on('message', () => got++);
    const before = s.server.rrl!.stats();
    for (let i = 0; i < 30; i++) socket.send(buildQuery({ name: `r${i}.example.com`, type: 'A' }), s.port, s.host);
    await eventually('all decided', () => s.server.rrl!.stats().responses - before.responses === 30);
    const sent = 30 - (s.server.rrl!.stats().dropped - before.dropped);
    await eventually('every reply sent to arrive', () => got === sent);
    socket.close();
    expect(got).toBeGreaterThanOrEqual(4);
    expect(got).toBeLessThanOrEqual(6);
  });

  it('answers synthesised from a wildcard share one budget per wildcard owner, whatever the name or its case', async () => {
    const s = await serve({ rate: 1, burst: 4, slip: 0 });
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.3.1', () => resolve()));
    let got = 0;
    socket.on('message', () => got++);
    const before = s.server.rrl!.stats();
    for (let i = 0; i < 30; i++) {
      const name = i % 2 === 0 ? `r${i}.w.example.com` : `R${i}.W.Example.COM`;
      socket.send(buildQuery({ name, type: 'TXT', id: i + 1 }), s.port, s.host);
    }
    await eventually('all decided', () => s.server.rrl!.stats().responses - before.responses === 30);
    const after = s.server.rrl!.stats();
    const sent = 30 - (after.dropped - before.dropped);
    await eventually('every reply sent to arrive', () => got === sent);
    socket.close();
    // One bucket of 4 (plus what refills while the test runs), not one per name.
    expect(got).toBeGreaterThanOrEqual(4);
    expect(got).toBeLessThanOrEqual(6);
    expect(after.byClass.wildcard.dropped - before.byClass.wildcard.dropped).toBe(30 - got);
    expect(after.byClass.positive).toEqual(before.byClass.positive);
  });

  it('exempt networks are never limited', async () => {
    const s = await serve({ rate: 1, burst: 1, slip: 2, exempt: ['127.0.0.0/8'] });
    const replies = await burst(s, 100);
    expect(replies.filter((r) => !r.flag_tc)).toHaveLength(100);
    expect(s.server.rrl!.stats()).toMatchObject({ limited: 0, exempt: 100 });
  });

  it('is off by default', async () => {
    const s = await serve(null);
    expect(s.server.rrl).toBeNull();
    const replies = await burst(s, 300);
    expect(replies.filter((r) => !r.flag_tc)).toHaveLength(300);
  });

  it('a bad setting stops the server from starting', async () => {
    await expect(serve({ rate: 10, exempt: ['not-a-network'] })).rejects.toThrow(/response rate limiting: exempt not-a-network/);
  });
});
