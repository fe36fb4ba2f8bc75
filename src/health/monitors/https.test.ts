import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectionTracker, closeServer, listen, target, trackConnections } from '../../../test/support/loopback.js';
import { runProbe } from './index.js';
import { eventually } from '../../../test/support/eventually.js';

let server: https.Server;
let tracker: ConnectionTracker;
let port: number;
let lastServername: string | false | null | undefined;
const sessionReused: boolean[] = [];

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    lastServername = (req.socket as TLSSocket).servername;
    sessionReused.push((req.socket as TLSSocket).isSessionReused());
    res.end('secure hello');
  });
  tracker = trackConnections(server);
  port = await listen(server);
});

afterAll(async () => {
  await closeServer(server, tracker);
});

describe('https monitor', () => {
  it('fails on a self-signed certificate by default, with the TLS code as reason', async () => {
    const result = await runProbe(target(port, { type: 'https' }));
    expect(result).toMatchObject({ ok: false, reason: 'TLS: DEPTH_ZERO_SELF_SIGNED_CERT' });
    await eventually('the rejected TLS connection to close', () => tracker.open.size === 0);
  });

  it('passes with allow_insecure', async () => {
    const result = await runProbe(target(port, { type: 'https', allow_insecure: true, expected_body: 'secure' }));
    expect(result).toMatchObject({ ok: true, reason: 'HTTP 200' });
    await eventually('the TLS connection to close', () => tracker.open.size === 0);
  });

  it('sends the Host header name as SNI, and none for an IP literal', async () => {
    lastServername = undefined;
    await runProbe(target(port, { type: 'https', allow_insecure: true, header: { Host: ['www.example.com'] } }));
    expect(lastServername).toBe('www.example.com');
    lastServername = undefined;
    await runProbe(target(port, { type: 'https', allow_insecure: true }));
    expect(lastServername).toBeFalsy();
  });

  it('does a full handshake on every probe (no TLS session resumption)', async () => {
    sessionReused.length = 0;
    const before = tracker.accepted;
    for (let i = 0; i < 3; i++) {
      expect(await runProbe(target(port, { type: 'https', allow_insecure: true }))).toMatchObject({ ok: true });
    }
    expect(tracker.accepted - before).toBe(3);
    expect(sessionReused).toEqual([false, false, false]);
  });

  it('reports a TLS failure when the origin speaks plain HTTP', async () => {
    const plain = http.createServer((_req, res) => res.end('not tls'));
    const plainPort = await listen(plain);
    try {
      // OpenSSL's "wrong version number" surfaces as ERR_SSL_WRONG_VERSION_NUMBER or as EPROTO
      // depending on timing; the reason must be the same every time.
      const reasons = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const result = await runProbe(target(plainPort, { type: 'https', allow_insecure: true }));
        expect(result.ok).toBe(false);
        reasons.add(result.reason);
      }
      expect([...reasons]).toEqual(['TLS: ERR_SSL_WRONG_VERSION_NUMBER']);
    } finally {
      await closeServer(plain);
    }
  });
});
