// TCP queries per connection (maxQueriesPerConnection, --tcp-max-queries): a client pipelining
// past the limit gets an answer to every query up to it, in order, then a clean end (FIN, never a
// reset), and its slot is free at once, whether or not it reads while the limit is reached.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import type { TcpOptions } from '../../src/transport/tcp.js';
import { connectFrom, FrameReader, framed } from './support.js';
import { eventually } from '../support/eventually.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conformance');

let t: TestServer | null = null;
const open: net.Socket[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await t?.close();
  t = null;
});

/** The server, and how many queries its pipeline has answered so far. */
async function serve(tcp: Partial<TcpOptions>): Promise<{ s: TestServer; answered: () => number }> {
  t = await startTestServer({ zonesDir, tcp, watch: false, probe: false });
  const pipeline = t.server.pipeline;
  const answer = pipeline.answer.bind(pipeline);
  let n = 0;
  pipeline.answer = (...args: Parameters<typeof answer>) => {
    n++;
    return answer(...args);
  };
  return { s: t, answered: () => n };
}

async function connect(s: TestServer, allowHalfOpen = false): Promise<{ socket: net.Socket; reader: FrameReader; errors: string[] }> {
  const socket = allowHalfOpen
    ? await new Promise<net.Socket>((resolve, reject) => {
        const c = net.connect({ host: s.host, port: s.port, allowHalfOpen: true }, () => resolve(c));
        c.once('error', reject);
      })
    : await connectFrom(s.host, s.port);
  open.push(socket);
  const errors: string[] = [];
  socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  return { socket, reader: new FrameReader(socket), errors };
}

/** `n` queries, ids 0..n-1, alternating an answer and an NXDOMAIN so replies can be checked against ids. */
function pipelined(n: number, name = 'www.example.com'): Buffer {
  return Buffer.concat(
    Array.from({ length: n }, (_, id) =>
      framed({ name: id % 2 === 0 ? name : `nope${id}.example.com`, type: name.startsWith('big') ? 'TXT' : 'A', id }),
    ),
  );
}

function expectFirst(reader: FrameReader, n: number): void {
  const replies = reader.replies();
  expect(replies.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(replies.every((r, i) => r.rcode === (i % 2 === 0 ? 'NOERROR' : 'NXDOMAIN'))).toBe(true);
  expect(reader.leftover()).toBe(0);
}

describe('queries per connection', () => {
  it.each([1500, 20_000])(
    '%i pipelined queries at the default limit (1000): the first 1000 answered in order, then FIN; the slot is freed at once',
    async (n) => {
      // A long idle timeout: the slot must come back because the connection closed, not timed out.
      const { s } = await serve({ idleTimeoutMs: 60_000 });
      const { socket, reader, errors } = await connect(s);
      socket.write(pipelined(n));
      await reader.waitFor('the server to end the connection', () => reader.ended, 10_000);
      expectFirst(reader, 1000);
      await eventually('the server to release the connection', () => s.server.tcpConnections() === 0, { timeoutMs: 5000 });
      await reader.waitFor('the socket to close', () => reader.closed);
      expect(errors).toEqual([]);
      expect(s.server.tcpStats()).toMatchObject({ queryLimit: 1, idleTimeouts: 0 });
    },
  );

  it('a client not reading while the limit is reached still gets every reply once it reads', async () => {
    const { s } = await serve({ maxQueriesPerConnection: 200, maxPendingWriteBytes: 4 * 1024 * 1024, idleTimeoutMs: 60_000 });
    const { socket, reader, errors } = await connect(s);
    socket.pause();
    socket.write(pipelined(600, 'big.example.com'));
    // ~150 KB of replies wait in the server's buffers until the client reads.
    await eventually('the limit to be reached', () => s.server.tcpStats().queryLimit === 1);
    socket.resume();
    await reader.waitFor('the end', () => reader.ended && reader.closed, 10_000);
    expectFirst(reader, 200);
    expect(errors).toEqual([]);
    await eventually('the server to release the connection', () => s.server.tcpConnections() === 0);
  });

  it('the limit reached while reading is stopped for backpressure: still every reply up to it', async () => {
    const { s, answered } = await serve({ maxQueriesPerConnection: 300, maxPendingWriteBytes: 8 * 1024, idleTimeoutMs: 60_000 });
    const { socket, reader, errors } = await connect(s);
    socket.pause();
    socket.write(pipelined(900, 'big.example.com'));
    await eventually('the server to start answering', () => answered() > 0);
    socket.resume();
    await reader.waitFor('the end', () => reader.ended && reader.closed, 10_000);
    expectFirst(reader, 300);
    expect(answered()).toBe(300);
    expect(errors).toEqual([]);
  });

  it('a client that stops reading while the replies up to the limit are still queued is cut, not kept forever', async () => {
    // The server reads everything up to the limit (no backpressure stop): ~14 MB of replies,
    // far more than the socket buffers hold, so its writes stall.
    const { s } = await serve({ maxQueriesPerConnection: 20_000, maxPendingWriteBytes: 1 << 30, idleTimeoutMs: 300 });
    const { socket } = await connect(s);
    socket.pause();
    socket.write(pipelined(20_100, 'big.example.com'));
    await eventually('the limit to be reached', () => s.server.tcpStats().queryLimit === 1);
    await eventually('the server to cut the connection', () => s.server.tcpConnections() === 0, { timeoutMs: 5000 });
    expect(s.server.tcpStats().idleTimeouts).toBe(1);
  });

  it('a client that keeps sending after the end and never closes is cut idleTimeoutMs later, unanswered', async () => {
    const { s, answered } = await serve({ maxQueriesPerConnection: 2, idleTimeoutMs: 300 });
    // Half-open allowed: the client does not answer the server's FIN with its own.
    const { socket, reader } = await connect(s, true);
    socket.write(pipelined(2));
    await reader.waitFor('the end', () => reader.ended);
    // Traffic that would keep an idle timer from ever firing.
    const chatter = setInterval(() => {
      if (!socket.destroyed) socket.write(pipelined(1));
    }, 20);
    const endedAt = performance.now();
    try {
      await eventually('the server to cut the connection', () => s.server.tcpConnections() === 0, { timeoutMs: 5000 });
    } finally {
      clearInterval(chatter);
    }
    expect(performance.now() - endedAt).toBeGreaterThanOrEqual(250);
    expectFirst(reader, 2);
    expect(answered()).toBe(2);
    expect(s.server.tcpStats().idleTimeouts).toBe(0);
  });
});
