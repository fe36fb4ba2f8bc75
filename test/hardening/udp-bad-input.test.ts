// Damaged and hostile datagrams over a real UDP socket, on whichever UDP path this vitest project
// runs (vitest.config.ts runs this file on the batched path and on node:dgram): truncated queries,
// datagrams of the largest UDP size, a flood of junk. Each gets exactly what the query pipeline
// gives that packet (a reply or nothing), in order, and the server keeps answering.
import { clientIpOf } from '../../src/net/client-ip.js';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery } from '../support/dns-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { testUdpIo } from '../support/udp-io.js';

const zonesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conformance');
/** The largest UDP payload over IPv4. */
const MAX_UDP = 65507;

let t: TestServer;
let client: dgram.Socket;
const received: Buffer[] = [];
let waiting: { id: number; done: () => void } | null = null;

beforeAll(async () => {
  t = await startTestServer({ zonesDir, watch: false, probe: false, udpIo: testUdpIo() });
  client = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
  client.on('message', (m) => {
    if (waiting !== null && m.length >= 2 && m.readUInt16BE(0) === waiting.id && m.length > 12 && m.includes('sentinel')) waiting.done();
    else received.push(m);
  });
});
afterAll(async () => {
  client?.close();
  await t?.close();
});

let sentinelId = 0;

/**
 * Sends `packets` in order, then a query of its own: one socket to one socket over loopback keeps
 * order, so when its reply is in, every reply to `packets` is too. Returns those replies.
 */
async function exchange(packets: readonly Uint8Array[]): Promise<Buffer[]> {
  received.length = 0;
  sentinelId = (sentinelId + 1) & 0xffff;
  const id = sentinelId;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to the sentinel query after ${packets.length} packets`)), 10_000);
    waiting = {
      id,
      done: () => {
        clearTimeout(timer);
        resolve();
      },
    };
  });
  for (const p of packets) client.send(p, t.port, t.host);
  client.send(buildQuery({ name: 'sentinel.example.com', type: 'A', id }), t.port, t.host);
  await done;
  waiting = null;
  return [...received];
}

/** What the pipeline answers to each packet (copies: its buffer is reused), nulls left out. */
function expected(packets: readonly Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  for (const p of packets) {
    const bytes = t.server.pipeline.answer(p, clientIpOf('127.0.0.1'), 'udp').bytes;
    if (bytes !== null) out.push(Buffer.from(bytes));
  }
  return out;
}

/** A seeded generator (mulberry32): the same junk on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`bad input over UDP (${testUdpIo()} path)`, () => {
  it('a query cut at every length gets what the pipeline gives that prefix', async () => {
    const query = buildQuery({
      name: 'www.example.com',
      type: 'A',
      id: 7,
      edns: { udpSize: 1232, ecs: { ip: '192.0.2.0', sourcePrefix: 24 } },
    });
    const packets = Array.from({ length: query.length }, (_, n) => query.subarray(0, n));
    const replies = await exchange(packets);
    expect(replies).toEqual(expected(packets));
    // Below 12 bytes there is no header to answer; from there on, a reply (FORMERR or better).
    expect(replies.length).toBe(query.length - 12);
  });

  it('datagrams of the largest UDP size arrive whole and are answered as the pipeline says', async () => {
    const next = random(1);
    const query = buildQuery({ name: 'www.example.com', type: 'A', id: 8 });
    const padded = Buffer.concat([query, Buffer.alloc(MAX_UDP - query.length, 0x41)]);
    const junk = Buffer.from(Array.from({ length: MAX_UDP }, () => Math.floor(next() * 256)));
    junk[2] = junk[2]! & 0x7f; // a "query" (QR=0), so the pipeline reads it rather than dropping it
    const packets = [padded, junk, query];
    const replies = await exchange(packets);
    expect(replies).toEqual(expected(packets));
    expect(replies.at(-1)!.readUInt16BE(0)).toBe(8);
  });

  it('a flood of junk: every datagram is handled like the pipeline says, and the server answers after it', async () => {
    const next = random(2);
    const before = t.server.udpStats();
    let total = 0;
    for (let round = 0; round < 10; round++) {
      const packets = Array.from({ length: 200 }, () => {
        const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 600) }, () => Math.floor(next() * 256)));
        // Half of them look like queries (QR=0, opcode 0) so they get past the first check.
        if (bytes.length > 3 && next() < 0.5) bytes[2] = bytes[2]! & 0x07;
        return bytes;
      });
      total += packets.length;
      expect(await exchange(packets)).toEqual(expected(packets));
    }
    const after = t.server.udpStats();
    if (testUdpIo() === 'batch') {
      // Every junk datagram (and each round's sentinel) went through the batched socket, none lost.
      expect(after!.received - before!.received).toBe(total + 10);
      expect(after!.dropped).toBe(0);
      expect(after!.batches - before!.batches).toBeLessThanOrEqual(total + 10);
    } else {
      expect(after).toBeNull();
    }
  });
});
