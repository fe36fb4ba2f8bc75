// TCP abuse: slow and idle clients are closed, one client cannot hold every slot, a full table
// makes room for a client that asks, a flood of connections slows neither UDP nor other TCP
// clients, and shutdown lets a started query finish.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { decode, udpNoReply, buildQuery } from '../support/dns-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { TcpOptions } from '../../src/transport/tcp.js';
import { connectFrom, FrameReader, framed, percentile, UdpClient } from './support.js';
import { eventually } from '../support/eventually.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conformance');
const www = { name: 'www.example.com', type: 'A' } as const;

let t: TestServer | null = null;
const open: net.Socket[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await t?.close();
  t = null;
});

async function serve(tcp: Partial<TcpOptions>): Promise<TestServer> {
  t = await startTestServer({ zonesDir, tcp, watch: false, probe: false });
  return t;
}

async function connect(s: TestServer, from?: string): Promise<{ socket: net.Socket; reader: FrameReader }> {
  const socket = await connectFrom(s.host, s.port, from);
  open.push(socket);
  return { socket, reader: new FrameReader(socket) };
}

/** One query on a fresh connection; resolves with the rcode (rejects on timeout or close). */
async function tcpAsk(s: TestServer, from?: string, timeoutMs = 2000): Promise<string> {
  const { socket, reader } = await connect(s, from);
  socket.write(framed(www));
  await reader.waitFor('a reply', () => reader.frames.length > 0 || reader.closed, timeoutMs);
  socket.destroy();
  if (reader.frames.length === 0) throw new Error('closed without a reply');
  return reader.replies()[0]!.rcode;
}

describe('slow and idle clients', () => {
  it('a client sending a byte at a time is closed when the message timeout runs out, unanswered', async () => {
    const s = await serve({ messageTimeoutMs: 300, idleTimeoutMs: 10_000 });
    const { socket, reader } = await connect(s);
    const bytes = framed(www);
    const started = performance.now();
    // One byte every 40 ms keeps the connection far from idle; the whole message would take ~1.3 s.
    const dribble = setInterval(() => {
      const i = Math.round((performance.now() - started) / 40);
      if (i < bytes.length && !socket.destroyed) socket.write(bytes.subarray(i, i + 1));
    }, 40);
    try {
      await reader.waitFor('the server to close', () => reader.closed, 3000);
    } finally {
      clearInterval(dribble);
    }
    const elapsed = performance.now() - started;
    expect(reader.frames).toHaveLength(0);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(bytes.length * 40);
    expect(s.server.tcpStats().messageTimeouts).toBe(1);
  });

  it('a message in many small pieces that completes in time is answered', async () => {
    const s = await serve({ messageTimeoutMs: 2000 });
    const { socket, reader } = await connect(s);
    const bytes = Buffer.concat([framed({ ...www, id: 7 }), framed({ name: 'nope.example.com', type: 'A', id: 8 })]);
    for (let i = 0; i < bytes.length; i += 3) {
      socket.write(bytes.subarray(i, i + 3));
      // The pacing is the behaviour under test: pieces arriving apart, each its own read.
      await new Promise((r) => setTimeout(r, 2));
    }
    await reader.waitFor('two replies', () => reader.frames.length === 2);
    expect(reader.replies().map((r) => [r.id, r.rcode])).toEqual([
      [7, 'NOERROR'],
      [8, 'NXDOMAIN'],
    ]);
    expect(s.server.tcpStats().messageTimeouts).toBe(0);
  });

  it('a connection goes idle after its query and is closed after the idle timeout', async () => {
    const s = await serve({ idleTimeoutMs: 300 });
    const { socket, reader } = await connect(s);
    socket.write(framed(www));
    await reader.waitFor('a reply', () => reader.frames.length === 1);
    const answeredAt = performance.now();
    await reader.waitFor('the server to close', () => reader.closed, 3000);
    expect(performance.now() - answeredAt).toBeGreaterThanOrEqual(250);
    expect(s.server.tcpStats().idleTimeouts).toBe(1);
  });

  it('after maxQueriesPerConnection answers the connection is closed cleanly', async () => {
    const s = await serve({ maxQueriesPerConnection: 5 });
    const { socket, reader } = await connect(s);
    socket.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => framed({ ...www, id: 100 + i }))));
    await reader.waitFor('the server to end the connection', () => reader.ended);
    expect(reader.replies().map((r) => r.id)).toEqual([100, 101, 102, 103, 104]);
    expect(reader.leftover()).toBe(0);
    expect(s.server.tcpStats().queryLimit).toBe(1);
  });

  it('a client that half-closes after its queries gets every reply, then the end', async () => {
    const s = await serve({});
    const { socket, reader } = await connect(s);
    socket.end(Buffer.concat([framed({ ...www, id: 1 }), framed({ ...www, id: 2 }), framed({ ...www, id: 3 })]));
    await reader.waitFor('the server to end', () => reader.ended);
    expect(reader.replies().map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('a client that does not read stops being read, and still gets every reply in order once it does', async () => {
    const s = await serve({ maxQueriesPerConnection: 30_000, maxPendingWriteBytes: 64 * 1024 });
    const { socket, reader } = await connect(s);
    socket.pause();
    // ~14 MB of replies: more than loopback socket buffers hold (they grow to several MB), so the
    // server's writes back up and it must stop reading.
    const n = 20_000;
    socket.write(Buffer.concat(Array.from({ length: n }, (_, i) => framed({ name: 'big.example.com', type: 'TXT', id: i }))));
    await eventually('the server to stop reading the connection', () => s.server.tcpStats().stalled === 1, { timeoutMs: 10_000 });
    socket.resume();
    await reader.waitFor(`${n} replies`, () => reader.frames.length === n, 10_000);
    const ids = reader.replies().map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(reader.replies().every((r) => r.rcode === 'NOERROR' && r.answers.length > 0)).toBe(true);
  });
});

describe('connection limits', () => {
  it('one client address holds at most maxConnectionsPerClient connections; others are unaffected', async () => {
    const s = await serve({ maxConnectionsPerClient: 4, maxConnections: 100 });
    const conns = await Promise.all(Array.from({ length: 6 }, () => connect(s, '127.0.0.1')));
    await eventually('two refused', () => conns.filter((c) => c.reader.closed).length === 2);
    expect(s.server.tcpConnections()).toBe(4);
    expect(s.server.tcpStats().refusedPerClient).toBe(2);
    const alive = conns.find((c) => !c.reader.closed)!;
    alive.socket.write(framed({ ...www, id: 9 }));
    await alive.reader.waitFor('a reply', () => alive.reader.frames.length === 1);
    expect(await tcpAsk(s, '127.0.0.2')).toBe('NOERROR');
  });

  it('a full table makes room for a new client by closing the longest-idle connection', async () => {
    const s = await serve({ maxConnections: 6, maxConnectionsPerClient: 64 });
    const idle: FrameReader[] = [];
    for (let i = 0; i < 6; i++) {
      idle.push((await connect(s, '127.0.0.3')).reader);
      await eventually('accepted', () => s.server.tcpConnections() === i + 1);
    }
    expect(await tcpAsk(s, '127.0.0.4')).toBe('NOERROR');
    await idle[0]!.waitFor('the oldest idle connection to be closed', () => idle[0]!.closed);
    expect(idle.slice(1).every((r) => !r.closed)).toBe(true);
    expect(s.server.tcpStats().evicted).toBe(1);
    expect(s.server.tcpConnections()).toBeLessThanOrEqual(6);
  });

  it('a flood of hundreds of connections slows neither UDP nor another TCP client', async () => {
    const s = await serve({ maxConnections: 200, maxConnectionsPerClient: 32, messageTimeoutMs: 1000, idleTimeoutMs: 5000 });
    const udp = await UdpClient.open(s.host, s.port);
    const measureUdp = async (rounds: number): Promise<number[]> => {
      const ms: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const batch = await Promise.all(Array.from({ length: 5 }, () => udp.query(www)));
        for (const b of batch) {
          expect(b.reply.rcode).toBe('NOERROR');
          ms.push(b.ms);
        }
      }
      return ms;
    };
    const baseline = await measureUdp(40);

    // The flood: 30 addresses x 20 connections (idle or dribbling a byte every 100 ms) that
    // reconnect whenever they are closed, plus one address trying to hold 100 connections.
    let flooding = true;
    let opened = 0;
    const floodOne = (from: string, dribble: boolean): void => {
      if (!flooding) return;
      const socket = net.connect({ host: s.host, port: s.port, localAddress: from });
      open.push(socket);
      socket.on('error', () => undefined);
      socket.once('connect', () => {
        opened++;
        if (!dribble) return;
        const bytes = framed(www);
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= bytes.length - 1) return clearInterval(timer);
          socket.write(bytes.subarray(i, ++i));
        }, 100);
        socket.once('close', () => clearInterval(timer));
      });
      socket.once('close', () => setTimeout(() => floodOne(from, dribble), 20));
    };
    for (let a = 0; a < 30; a++) for (let c = 0; c < 20; c++) floodOne(`127.0.1.${a + 1}`, c % 2 === 0);
    for (let c = 0; c < 100; c++) floodOne('127.0.2.1', false);
    await eventually('the flood to fill the table', () => opened >= 600 && s.server.tcpConnections() >= 190, { timeoutMs: 10_000 });

    let maxSeen = 0;
    const sampler = setInterval(() => (maxSeen = Math.max(maxSeen, s.server.tcpConnections())), 5);
    const during = await measureUdp(40);
    const tcpAnswers: string[] = [];
    for (let i = 0; i < 20; i++) tcpAnswers.push(await tcpAsk(s, '127.0.0.1', 1000));
    clearInterval(sampler);
    flooding = false;
    const stats = s.server.tcpStats();
    await udp.close();

    expect(tcpAnswers).toEqual(new Array(20).fill('NOERROR'));
    expect(maxSeen).toBeLessThanOrEqual(200);
    expect(stats.refusedPerClient).toBeGreaterThanOrEqual(68);
    expect(stats.evicted).toBeGreaterThan(0);
    // Every UDP query was answered (measureUdp rejects otherwise), and latency stayed within a
    // few milliseconds of the quiet baseline. (Percentiles, not the maximum: the test shares the
    // machine, and one preempted moment must not decide it.)
    expect(during).toHaveLength(200);
    expect(percentile(during, 50)).toBeLessThan(percentile(baseline, 50) + 10);
    expect(percentile(during, 90)).toBeLessThan(percentile(baseline, 90) + 25);
  });
});

describe('shutdown', () => {
  it('stops accepting at once, answers a query that had started, then closes', async () => {
    const s = await serve({ shutdownGraceMs: 3000 });
    const busy = await connect(s);
    const idle = await connect(s);
    const bytes = framed({ ...www, id: 77 });
    busy.socket.write(bytes.subarray(0, 10));
    await eventually('the server to hold the started message', () => s.server.tcpStats().partialMessages === 1);
    let closed = false;
    const closing = s.server.close().then(() => (closed = true));
    t = null; // closed here, not in afterEach
    // New TCP connections and UDP queries are refused; the idle connection is ended.
    await expect(connectFrom(s.host, s.port)).rejects.toThrow(/ECONNREFUSED/);
    expect(await udpNoReply(s.host, s.port, buildQuery(www))).toBe(true);
    await idle.reader.waitFor('the idle connection to end', () => idle.reader.ended);
    expect(closed).toBe(false);
    busy.socket.write(bytes.subarray(10));
    await busy.reader.waitFor('the reply', () => busy.reader.frames.length === 1);
    expect(decode(busy.reader.frames[0]!).id).toBe(77);
    await busy.reader.waitFor('the end', () => busy.reader.ended);
    await closing;
    expect(closed).toBe(true);
  });

  it('a connection that never finishes its message is cut after the grace period', async () => {
    const s = await serve({ shutdownGraceMs: 300, messageTimeoutMs: 10_000 });
    const busy = await connect(s);
    busy.socket.write(framed(www).subarray(0, 5));
    await eventually('the server to hold the started message', () => s.server.tcpStats().partialMessages === 1);
    const started = performance.now();
    await s.server.close();
    t = null;
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    await busy.reader.waitFor('closed', () => busy.reader.closed);
    expect(busy.reader.frames).toHaveLength(0);
  });
});
