// DNS Cookies end to end (RFC 7873, RFC 9018 server cookies): the real server on loopback,
// queried over UDP and TCP with hand-built COOKIE options.
import { clientIpOf } from '../../src/net/client-ip.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerCookies } from '../../src/query/cookies/server-cookies.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { udpNoReply } from '../support/dns-client.js';
import { ednsQuery, readEdnsReply, type EdnsReply } from '../support/edns-query.js';
import { startTestServer, type TestServer } from '../support/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/conformance');
const COOKIE = 10;
const SECRET = '0123456789abcdef0123456789abcdef';
const PREVIOUS = 'fedcba9876543210fedcba9876543210';
const CLIENT_COOKIE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

function cookieOf(reply: EdnsReply): Uint8Array | null {
  return reply.options?.find((o) => o.code === COOKIE)?.data ?? null;
}

describe('DNS cookies over UDP and TCP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ zonesDir, watch: false, probe: false, cookieSecrets: [SECRET, PREVIOUS] });
  });
  afterAll(() => server.close());

  const udp = async (cookie: Uint8Array): Promise<EdnsReply> =>
    readEdnsReply(await server.udpRaw(ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: cookie }])));
  const tcp = async (cookie: Uint8Array): Promise<EdnsReply> =>
    readEdnsReply(await server.tcpRaw(ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: cookie }])));

  it('answers a client cookie alone and hands out a server cookie that the next query uses', async () => {
    const first = await udp(CLIENT_COOKIE);
    expect(first.rcode).toBe(Rcode.NOERROR);
    expect(first.answers.map((a) => a.data)).toEqual(['192.0.2.10']);
    const cookie = cookieOf(first)!;
    expect(cookie.length).toBe(24);
    expect([...cookie.subarray(0, 8)]).toEqual([...CLIENT_COOKIE]);
    expect(cookie[8]).toBe(1); // RFC 9018 version
    const second = await udp(cookie);
    expect(second.rcode).toBe(Rcode.NOERROR);
    expect(second.answers.length).toBe(1);
    expect(Buffer.from(cookieOf(second)!).toString('hex')).toBe(Buffer.from(cookie).toString('hex'));
  });

  it('accepts a cookie made with the previous secret and replies with one of the current secret', async () => {
    const old = new ServerCookies({ current: Buffer.from(PREVIOUS, 'hex'), previous: null });
    const cookie = old.make(CLIENT_COOKIE, clientIpOf('127.0.0.1'), Math.floor(Date.now() / 1000));
    const reply = await udp(cookie);
    expect(reply.rcode).toBe(Rcode.NOERROR);
    const renewed = cookieOf(reply)!;
    expect(Buffer.from(renewed).toString('hex')).not.toBe(Buffer.from(cookie).toString('hex'));
    expect((await udp(renewed)).rcode).toBe(Rcode.NOERROR);
  });

  it('answers BADCOOKIE, with a fresh cookie, to a server cookie it did not make over UDP', async () => {
    // Version 1, a current timestamp, but a hash no secret of ours gives.
    const forged = Buffer.from([...CLIENT_COOKIE, 1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]);
    forged.writeUInt32BE(Math.floor(Date.now() / 1000), 12);
    const reply = await udp(forged);
    expect(reply.rcode).toBe(Rcode.BADCOOKIE);
    expect(reply.answers).toEqual([]);
    const fresh = cookieOf(reply)!;
    expect(fresh.length).toBe(24);
    // The client retries with what it was given, and is answered.
    expect((await udp(fresh)).rcode).toBe(Rcode.NOERROR);
  });

  it('over TCP a bad server cookie changes nothing but the cookie echoed', async () => {
    const stranger = Uint8Array.from([...CLIENT_COOKIE, 2, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5]);
    const reply = await tcp(stranger);
    expect(reply.rcode).toBe(Rcode.NOERROR);
    expect(reply.answers.length).toBe(1);
    expect(cookieOf(reply)?.length).toBe(24);
  });

  it.each([[7], [9], [15], [41]])('answers FORMERR to a COOKIE option of %i bytes', async (length) => {
    const reply = await udp(new Uint8Array(length));
    expect(reply.rcode).toBe(Rcode.FORMERR);
    expect(cookieOf(reply)).toBeNull();
  });

  it('keeps the reply cache for clients with cookies: two clients, each gets its own cookie', async () => {
    const a = await udp(Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 1]));
    const b = await udp(Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 2]));
    expect(cookieOf(a)![7]).toBe(1);
    expect(cookieOf(b)![7]).toBe(2);
    expect(a.answers).toEqual(b.answers);
  });
});

describe('DNS cookies off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ zonesDir, watch: false, probe: false, cookieSecrets: null });
  });
  afterAll(() => server.close());

  it('ignores the option, malformed or not, like a server without cookies', async () => {
    for (const cookie of [CLIENT_COOKIE, new Uint8Array(9)]) {
      const reply = readEdnsReply(await server.udpRaw(ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: cookie }])));
      expect(reply.rcode).toBe(Rcode.NOERROR);
      expect(reply.options).toEqual([]);
    }
  });
});

describe('DNS cookies and response rate limiting', () => {
  let server: TestServer;
  beforeAll(async () => {
    // One response a second per client network, no slip: a limited reply is simply not sent.
    server = await startTestServer({ zonesDir, watch: false, probe: false, cookieSecrets: [SECRET], rrl: { rate: 1, burst: 1, slip: 0 } });
  });
  afterAll(() => server.close());

  const QUERIES = 12;

  it('never limits a query with a valid server cookie, and still limits the same client without one', async () => {
    const first = readEdnsReply(await server.udpRaw(ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: CLIENT_COOKIE }])));
    const cookie = cookieOf(first)!;
    for (let i = 0; i < QUERIES; i++) {
      const r = readEdnsReply(await server.udpRaw(ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: cookie }])));
      expect(r.rcode).toBe(Rcode.NOERROR);
    }
    let unanswered = 0;
    for (let i = 0; i < QUERIES; i++) {
      if (await udpNoReply(server.host, server.port, ednsQuery('www.example.com', RRType.A, [], 1, 100 + i), 150)) unanswered++;
    }
    // The bucket refills one token a second: at most a few of these get through on a slow machine.
    expect(unanswered).toBeGreaterThanOrEqual(QUERIES - 4);
  });
});
