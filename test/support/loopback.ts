// Test support for src/health: loopback servers on port 0, target builders, deadline polling.
// Kept free of test-framework imports so it type-checks and builds like any other module.
import type { AddressInfo, Server, Socket } from 'node:net';
import net from 'node:net';
import type { MonitorSpec, ProbeTarget } from '../../src/health/types.js';
import { targetKey } from '../../src/health/types.js';

export const DEFAULT_SPEC: MonitorSpec = Object.freeze({
  type: 'http',
  port: 80,
  path: '/',
  method: 'GET',
  header: {},
  expected_codes: '200',
  expected_body: '',
  allow_insecure: false,
  follow_redirects: false,
  query_name: 'example.com',
  query_type: 'A',
  expected_rcode: 'NOERROR',
  interval: 60,
  timeout: 2,
  retries: 0,
  consecutive_up: 1,
  consecutive_down: 1,
});

export function spec(overrides: Partial<MonitorSpec> = {}): MonitorSpec {
  return Object.freeze({ ...DEFAULT_SPEC, ...overrides });
}

export function target(port: number, overrides: Partial<MonitorSpec> = {}, address = '127.0.0.1', monitorId = 'm'): ProbeTarget {
  const monitor = spec({ port, ...overrides });
  return Object.freeze({ key: targetKey(monitorId, address, port), monitor, address, port });
}

/** Listens on port 0 of `host` and returns the port. */
export function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Counts connections a server accepted and which are still open. */
export interface ConnectionTracker {
  readonly open: Set<Socket>;
  accepted: number;
}

export function trackConnections(server: Server): ConnectionTracker {
  const tracker: ConnectionTracker = { open: new Set(), accepted: 0 };
  // 'connection' fires for plain and TLS servers alike (for TLS, before the handshake).
  server.on('connection', (socket: Socket) => {
    tracker.accepted++;
    tracker.open.add(socket);
    socket.once('close', () => tracker.open.delete(socket));
  });
  return tracker;
}

/** Closes a server and destroys whatever connections it still has. */
export function closeServer(server: Server, tracker?: ConnectionTracker): Promise<void> {
  return new Promise((resolve) => {
    for (const socket of tracker?.open ?? []) socket.destroy();
    const maybeHttp = server as Server & { closeAllConnections?: () => void };
    maybeHttp.closeAllConnections?.();
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** A TCP port on 127.0.0.1 with nothing listening: bind port 0, then close it. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True if this host can bind ::1 (some CI containers have no IPv6 loopback). */
export async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    await listen(server, '::1');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return true;
  } catch {
    return false;
  }
}
