// Real backends for monitor tests, each on its own loopback address (127.0.0.N) and a port
// from the OS, with a switch that makes it fail the way a broken service would.
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface Backend {
  readonly kind: 'http' | 'https' | 'tcp' | 'dns' | 'smtp';
  readonly host: string;
  readonly port: number;
  /** Healthy backends pass their monitor; unhealthy ones fail it (503, SERVFAIL, 554, refused). */
  setHealthy(healthy: boolean): Promise<void>;
  /** Probes (requests/connections/queries) received so far. */
  hits(): number;
  close(): Promise<void>;
}

function listenTcpServer(server: net.Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeTcpServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as http.Server).closeAllConnections?.();
  });
}

/** HTTP (or HTTPS with a self-signed certificate): GET /health → 200 "ok", or 503 when unhealthy. */
export async function httpBackend(host: string, tls = false): Promise<Backend> {
  let healthy = true;
  let hits = 0;
  const handler: http.RequestListener = (_req, res) => {
    hits++;
    res.statusCode = healthy ? 200 : 503;
    res.setHeader('connection', 'close');
    res.end(healthy ? 'ok' : 'down');
  };
  let server: http.Server;
  if (tls) {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    server = https.createServer({ key: pems.private, cert: pems.cert }, handler);
  } else {
    server = http.createServer(handler);
  }
  const port = await listenTcpServer(server, host);
  return {
    kind: tls ? 'https' : 'http',
    host,
    port,
    setHealthy: async (h) => {
      healthy = h;
    },
    hits: () => hits,
    close: () => closeTcpServer(server),
  };
}

/** TCP: accepts connections while healthy; unhealthy closes the listener (connection refused). */
export async function tcpBackend(host: string): Promise<Backend> {
  let hits = 0;
  const make = (): net.Server =>
    net.createServer((s) => {
      hits++;
      s.destroy();
    });
  let server: net.Server | null = make();
  const port = await listenTcpServer(server, host);
  return {
    kind: 'tcp',
    host,
    port,
    setHealthy: async (h) => {
      if (h && server === null) {
        server = make();
        await listenTcpServer(server, host, port);
      } else if (!h && server !== null) {
        const s = server;
        server = null;
        await closeTcpServer(s);
      }
    },
    hits: () => hits,
    close: async () => {
      if (server) await closeTcpServer(server);
    },
  };
}

/** DNS over UDP: answers every query with NOERROR (no records), or SERVFAIL when unhealthy. */
export async function dnsBackend(host: string): Promise<Backend> {
  let healthy = true;
  let hits = 0;
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    hits++;
    if (msg.length < 12) return;
    const reply = Buffer.from(msg);
    reply[2] = 0x80 | (msg[2]! & 0x79); // QR, opcode and RD copied
    reply[3] = healthy ? 0 : 2;
    reply.writeUInt16BE(0, 6);
    reply.writeUInt16BE(0, 8);
    reply.writeUInt16BE(0, 10);
    // Keep header + question only (the question ends 4 bytes after the name's root label).
    let i = 12;
    while (i < reply.length && reply[i] !== 0) i += reply[i]! + 1;
    socket.send(reply.subarray(0, Math.min(reply.length, i + 5)), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  return {
    kind: 'dns',
    host,
    port: socket.address().port,
    setHealthy: async (h) => {
      healthy = h;
    },
    hits: () => hits,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** SMTP: "220" banner while healthy, "554" when unhealthy. */
export async function smtpBackend(host: string): Promise<Backend> {
  let healthy = true;
  let hits = 0;
  const server = net.createServer((s) => {
    hits++;
    s.on('error', () => undefined);
    s.write(healthy ? '220 test ESMTP ready\r\n' : '554 no service\r\n');
    s.on('data', (d) => {
      if (/^QUIT/i.test(d.toString())) s.end('221 bye\r\n');
    });
    s.setTimeout(2000, () => s.destroy());
  });
  const port = await listenTcpServer(server, host);
  return {
    kind: 'smtp',
    host,
    port,
    setHealthy: async (h) => {
      healthy = h;
    },
    hits: () => hits,
    close: () => closeTcpServer(server),
  };
}
