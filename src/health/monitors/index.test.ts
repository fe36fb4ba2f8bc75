import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { type ConnectionTracker, closeServer, listen, spec, target, trackConnections } from '../../../test/support/loopback.js';
import { runProbe, timeoutMs } from './index.js';
import { eventually } from '../../../test/support/eventually.js';

let server: http.Server;
let tracker: ConnectionTracker;
let port: number;
/** Requests to /flaky fail while this is above zero (each one decrements it). */
let failuresLeft = 0;
let requests = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    if (req.url === '/slow') return;
    if (req.url === '/flaky' && failuresLeft > 0) {
      failuresLeft--;
      return void res.writeHead(503).end();
    }
    res.end('ok');
  });
  tracker = trackConnections(server);
  port = await listen(server);
});

afterAll(async () => {
  await closeServer(server, tracker);
});

describe('runProbe', () => {
  it('retries a failed attempt and passes if a retry passes', async () => {
    failuresLeft = 2;
    requests = 0;
    const result = await runProbe(target(port, { path: '/flaky', retries: 2 }));
    expect(result).toMatchObject({ ok: true, reason: 'HTTP 200' });
    expect(requests).toBe(3);
  });

  it('reports the last failure after 1 + retries attempts', async () => {
    failuresLeft = 10;
    requests = 0;
    const result = await runProbe(target(port, { path: '/flaky', retries: 1 }));
    expect(result).toMatchObject({ ok: false, reason: 'HTTP 503 (expected 200)' });
    expect(requests).toBe(2);
  });

  it('applies the timeout to each attempt and closes every timed-out connection', async () => {
    requests = 0;
    const started = Date.now();
    const result = await runProbe(target(port, { path: '/slow', timeout: 0.08, retries: 2 }));
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, reason: 'timeout after 80ms' });
    expect(requests).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 80 - 5);
    expect(elapsed).toBeLessThan(3 * 80 + 1000);
    expect(result.durationMs).toBeGreaterThanOrEqual(3 * 80 - 5);
    await eventually('every timed-out connection to close', () => tracker.open.size === 0);
  });

  it('stops at once when the caller aborts, without further attempts', async () => {
    requests = 0;
    const controller = new AbortController();
    const pending = runProbe(target(port, { path: '/slow', timeout: 10, retries: 3 }), controller.signal);
    await eventually('the first attempt to reach the server', () => requests === 1);
    const started = Date.now();
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ ok: false, reason: 'aborted' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(requests).toBe(1);
    await eventually('the aborted connection to close', () => tracker.open.size === 0);
  });

  it('reads a reply that arrived while the event loop was busy before calling it a timeout', async () => {
    // The kernel completes the handshake while this thread is blocked for 3× the timeout; when
    // the loop runs again the timer is overdue, but the reply is already there to be read.
    // Started from the check phase, so the next loop turn runs the (overdue) timers before it
    // polls for the connect; the busy wait comes right after connect() was issued (a nextTick).
    const result = await new Promise<Promise<ProbeResult>>((resolve) =>
      setImmediate(() => {
        resolve(runProbe(target(port, { type: 'tcp', timeout: 0.1 })));
        process.nextTick(() => {
          const until = Date.now() + 300;
          while (Date.now() < until) {
            // busy: a server under load
          }
        });
      }),
    );
    expect(await result).toMatchObject({ ok: true, reason: 'TCP connected' });
    await eventually('the connection to close', () => tracker.open.size === 0);
  });

  it('never throws: an unknown monitor type is a failed result', async () => {
    const bogus = { ...target(port), monitor: { ...spec(), type: 'icmp' } } as unknown as ProbeTarget;
    await expect(runProbe(bogus)).resolves.toMatchObject({ ok: false, reason: 'unknown monitor type icmp' });
  });

  it('never throws: an invalid header is a failed result', async () => {
    const result = await runProbe(target(port, { header: { 'X-Bad': ['line\nbreak'] } }));
    expect(result.ok).toBe(false);
    expect(result.reason).toBe('ERR_INVALID_CHAR');
  });

  it('turns the timeout from seconds to milliseconds, with a floor', () => {
    expect(timeoutMs(target(1, { timeout: 2 }))).toBe(2000);
    expect(timeoutMs(target(1, { timeout: 0.05 }))).toBe(50);
    expect(timeoutMs(target(1, { timeout: 0 }))).toBe(1);
    expect(timeoutMs(target(1, { timeout: Number.NaN }))).toBe(1);
  });
});
