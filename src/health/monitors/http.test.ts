import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionTracker,
  closeServer,
  closedPort,
  hasIpv6Loopback,
  listen,
  target,
  trackConnections,
} from '../../../test/support/loopback.js';
import { MAX_BODY_BYTES } from './http.js';
import { runProbe } from './index.js';
import { eventually } from '../../../test/support/eventually.js';

let server: http.Server;
let tracker: ConnectionTracker;
let port: number;
/** What the server saw, per path. */
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
/** Bytes the /huge handler managed to write before the client went away. */
let hugeBytesWritten = 0;

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (path === '/ok') return void res.end('hello world, all systems go');
  if (path === '/fail') return void res.writeHead(503).end('down for maintenance');
  if (path === '/missing') return void res.writeHead(404).end('nope');
  if (path === '/slow') return; // never answers
  if (path === '/echo-host') return void res.end(`host=${req.headers.host ?? ''}`);
  if (path === '/to-ok') return void res.writeHead(302, { location: '/ok' }).end();
  if (path === '/to-absolute') {
    return void res.writeHead(301, { location: `http://${req.headers.host ?? ''}/ok` }).end();
  }
  if (path === '/loop-a') return void res.writeHead(302, { location: '/loop-b' }).end();
  if (path === '/loop-b') return void res.writeHead(302, { location: '/loop-a' }).end();
  if (path === '/to-ftp') return void res.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end();
  const chain = /^\/chain\/(\d+)$/.exec(path);
  if (chain) {
    const n = Number(chain[1]);
    if (n >= Number(url.searchParams.get('end') ?? '0')) return void res.end('end of chain');
    return void res.writeHead(307, { location: `/chain/${n + 1}?end=${url.searchParams.get('end')}` }).end();
  }
  if (path === '/huge') {
    // Streams far more than the cap; the needle, if any, sits after the first 64 KiB.
    const chunk = Buffer.alloc(16 * 1024, 'a');
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const pump = (): void => {
      while (sent < 50 * 1024 * 1024) {
        sent += chunk.length;
        hugeBytesWritten = sent;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('NEEDLE');
    };
    res.on('close', () => undefined);
    pump();
    return;
  }
  if (path === '/split') {
    // The needle arrives split across two writes.
    res.writeHead(200);
    res.write('xxxxxxxxNEE');
    setTimeout(() => res.end('DLExxxx'), 20);
    return;
  }
  if (path === '/cut') {
    // Promises a long body, sends a little, then drops the connection.
    res.writeHead(200, { 'content-length': '100000' });
    res.write('partial');
    setTimeout(() => res.destroy(), 20);
    return;
  }
  res.writeHead(500).end();
}

beforeAll(async () => {
  server = http.createServer(handler);
  tracker = trackConnections(server);
  port = await listen(server);
});

afterAll(async () => {
  await closeServer(server, tracker);
});

const probe = (path: string, overrides: Parameters<typeof target>[1] = {}) => runProbe(target(port, { path, timeout: 2, ...overrides }));

describe('http monitor', () => {
  it('passes on 200 with the reason "HTTP 200"', async () => {
    const result = await probe('/ok');
    expect(result).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.at).toBeGreaterThan(0);
  });

  it('fails on 503 and says what was expected', async () => {
    expect(await probe('/fail', { expected_codes: '2xx' })).toMatchObject({ ok: false, reason: 'HTTP 503 (expected 2xx)' });
  });

  it('honours lists and classes in expected_codes', async () => {
    expect(await probe('/missing', { expected_codes: '2xx,404' })).toMatchObject({ ok: true, reason: 'HTTP 404' });
    expect(await probe('/missing', { expected_codes: '200,301' })).toMatchObject({ ok: false, reason: 'HTTP 404 (expected 200,301)' });
  });

  it('times out on a server that never answers and closes the connection', async () => {
    const before = tracker.accepted;
    const started = Date.now();
    const result = await probe('/slow', { timeout: 0.15 });
    expect(result).toMatchObject({ ok: false, reason: 'timeout after 150ms' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(tracker.accepted).toBe(before + 1);
    await eventually('the server to see the connection closed', () => tracker.open.size === 0);
  });

  it('checks the body for a substring', async () => {
    expect(await probe('/ok', { expected_body: 'systems go' })).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(await probe('/ok', { expected_body: 'systems down' })).toMatchObject({ ok: false, reason: 'body mismatch' });
    expect(await probe('/split', { expected_body: 'NEEDLE' })).toMatchObject({ ok: true, reason: 'HTTP 200' });
  });

  it('does not check the body of a response whose status already failed', async () => {
    expect(await probe('/fail', { expected_body: 'maintenance' })).toMatchObject({ ok: false, reason: 'HTTP 503 (expected 200)' });
  });

  it('reads at most 64 KiB of a huge body, then stops and closes', async () => {
    hugeBytesWritten = 0;
    const result = await probe('/huge', { expected_body: 'NEEDLE', timeout: 5 });
    expect(result).toMatchObject({ ok: false, reason: 'body mismatch' });
    await eventually('the huge response connection to close', () => tracker.open.size === 0);
    // The server could only push what socket buffers held, far from the 50 MiB it wanted to send.
    expect(hugeBytesWritten).toBeLessThan(20 * 1024 * 1024);
    expect(MAX_BODY_BYTES).toBe(65536);
  });

  it('closes the connection right after the status line when no body check is asked', async () => {
    hugeBytesWritten = 0;
    expect(await probe('/huge', { timeout: 5 })).toMatchObject({ ok: true, reason: 'HTTP 200' });
    await eventually('the connection to close', () => tracker.open.size === 0);
    expect(hugeBytesWritten).toBeLessThan(20 * 1024 * 1024);
  });

  it('reports a connection dropped mid-body', async () => {
    const result = await probe('/cut', { expected_body: 'never there' });
    expect(result.ok).toBe(false);
    expect(result.reason).toBe('ECONNRESET');
  });

  it('sends method, path with query, the configured headers and Host', async () => {
    seen.length = 0;
    const result = await probe('/echo-host?x=1', {
      method: 'POST',
      header: { Host: ['www.example.com'], 'X-Probe': ['a', 'b'] },
      expected_body: 'host=www.example.com',
    });
    expect(result).toMatchObject({ ok: true });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/echo-host?x=1' });
    expect(seen[0]?.headers['x-probe']).toBe('a, b');
    expect(seen[0]?.headers['user-agent']).toMatch(/steerdns/);
  });

  it('defaults Host to address:port', async () => {
    expect(await probe('/echo-host', { expected_body: `host=127.0.0.1:${port}` })).toMatchObject({ ok: true });
  });

  it('sends HEAD without expecting a body', async () => {
    seen.length = 0;
    expect(await probe('/ok', { method: 'HEAD' })).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(seen[0]?.method).toBe('HEAD');
  });

  it('treats a redirect as a status when follow_redirects is off', async () => {
    expect(await probe('/to-ok')).toMatchObject({ ok: false, reason: 'HTTP 302 (expected 200)' });
    expect(await probe('/to-ok', { expected_codes: '3xx' })).toMatchObject({ ok: true, reason: 'HTTP 302' });
  });

  it('follows relative and absolute same-host redirects to the final status', async () => {
    expect(await probe('/to-ok', { follow_redirects: true, expected_body: 'systems go' })).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(await probe('/to-absolute', { follow_redirects: true })).toMatchObject({ ok: true, reason: 'HTTP 200' });
  });

  it('pins a redirect to the virtual host onto the origin address', async () => {
    // Location is http://www.example.com/ok: we must not look that name up, but re-ask this origin.
    seen.length = 0;
    const result = await probe('/to-absolute', { follow_redirects: true, header: { Host: ['www.example.com'] } });
    expect(result).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(seen.map((s) => s.url)).toEqual(['/to-absolute', '/ok']);
    expect(seen[1]?.headers.host).toBe('www.example.com');
  });

  it('detects a redirect loop', async () => {
    expect(await probe('/loop-a', { follow_redirects: true })).toMatchObject({ ok: false, reason: 'redirect loop' });
  });

  it('follows at most 5 redirects', async () => {
    expect(await probe('/chain/0?end=5', { follow_redirects: true, expected_body: 'end of chain' })).toMatchObject({ ok: true });
    expect(await probe('/chain/0?end=6', { follow_redirects: true })).toMatchObject({ ok: false, reason: 'too many redirects' });
  });

  it('refuses redirects to non-HTTP URLs', async () => {
    expect(await probe('/to-ftp', { follow_redirects: true })).toMatchObject({ ok: false, reason: 'redirect to non-HTTP URL' });
  });

  it('opens a fresh connection for every probe', async () => {
    const before = tracker.accepted;
    for (let i = 0; i < 3; i++) expect(await probe('/ok')).toMatchObject({ ok: true });
    expect(tracker.accepted - before).toBe(3);
  });

  it('leaves no connection open after a batch of probes', async () => {
    await Promise.all([
      probe('/ok'),
      probe('/fail'),
      probe('/to-ok', { follow_redirects: true }),
      probe('/loop-a', { follow_redirects: true }),
    ]);
    await eventually('every probe connection to close', () => tracker.open.size === 0);
  });

  it('reports ECONNREFUSED for a closed port', async () => {
    const closed = await closedPort();
    expect(await runProbe(target(closed, { path: '/' }))).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
  });

  it('probes an IPv6 literal origin', async (context) => {
    if (!(await hasIpv6Loopback())) return context.skip();
    const v6 = http.createServer((req, res) => res.end(`host=${req.headers.host ?? ''}`));
    const v6port = await listen(v6, '::1');
    try {
      const result = await runProbe(target(v6port, { expected_body: `host=[::1]:${v6port}` }, '::1'));
      expect(result).toMatchObject({ ok: true, reason: 'HTTP 200' });
    } finally {
      await closeServer(v6);
    }
  });
});
