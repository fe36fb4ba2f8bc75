// Misbehaving origins on loopback for the probe-fault tests: raw TCP servers that hang, close or
// reset; an HTTP(S) handler whose path picks the fault; SMTP greeters; a DNS responder whose
// query name picks the fault. Every server tracks its connections, so a test can check that the
// prober closed each one, and every timer a server arms is cleared when its connection closes.
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Packet } from 'dns2';
import { generate } from 'selfsigned';
import { type ConnectionTracker, closeServer, listen, trackConnections } from '../support/loopback.js';

/** When a "slow" origin answers (passes a 1 s timeout) and when a "late" one does (fails it). */
export const SLOW_MS = 300;
export const LATE_MS = 2000;

export interface Tracked {
  readonly server: net.Server;
  readonly tracker: ConnectionTracker;
  readonly port: number;
}

/** Everything started here, for the "all connections closed" checks and for cleanup. */
export class Backends {
  readonly servers: Tracked[] = [];
  readonly udp: dgram.Socket[] = [];
  /** Bytes each endless-body connection managed to write before the client went away. */
  readonly endlessWritten: number[] = [];
  /** DNS queries seen, per first label of the query name. */
  readonly dnsQueries = new Map<string, number>();

  async add(server: net.Server, host = '127.0.0.1'): Promise<Tracked> {
    const tracker = trackConnections(server);
    // A client that resets makes the server-side socket emit 'error'; that is expected here.
    server.on('connection', (socket: net.Socket) => socket.on('error', () => undefined));
    server.on('tlsClientError', () => undefined);
    const port = await listen(server, host);
    const tracked = { server, tracker, port };
    this.servers.push(tracked);
    return tracked;
  }

  /**
   * A raw TCP server that does `onSocket` with each accepted connection. It reads (and drops)
   * whatever the client sends, so it sees the client's FIN and closes its side when the client
   * does: a server that never reads would keep the connection half-open forever.
   */
  raw(onSocket: (socket: net.Socket) => void, host?: string): Promise<Tracked> {
    return this.add(
      net.createServer((socket) => {
        socket.resume();
        onSocket(socket);
      }),
      host,
    );
  }

  /** Connections still open on any of the servers. */
  openConnections(): number {
    return this.servers.reduce((n, s) => n + s.tracker.open.size, 0);
  }

  accepted(): number {
    return this.servers.reduce((n, s) => n + s.tracker.accepted, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => closeServer(s.server, s.tracker)));
    await Promise.all(this.udp.map((u) => new Promise<void>((resolve) => u.close(() => resolve()))));
    this.servers.length = 0;
    this.udp.length = 0;
  }

  /** HTTP or HTTPS server running faultHandler. */
  http(tls?: { key: string; cert: string }): Promise<Tracked> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => faultHandler(req, res, this);
    return this.add(tls ? https.createServer(tls, handler) : http.createServer(handler));
  }

  /** SMTP greeter: writes `greeting` after `delayMs` (nothing if null). */
  smtp(greeting: string | null, delayMs = 0): Promise<Tracked> {
    return this.raw((socket) => {
      if (greeting === null) return;
      const send = (): void => void socket.write(greeting);
      if (delayMs === 0) return send();
      const timer = setTimeout(send, delayMs);
      socket.once('close', () => clearTimeout(timer));
    });
  }

  /** DNS responder on UDP; the query name's first label picks the fault (see dnsFault). */
  async dns(): Promise<number> {
    const socket = dgram.createSocket('udp4');
    const timers = new Set<NodeJS.Timeout>();
    socket.on('message', (query, rinfo) => {
      const label = firstLabel(query);
      this.dnsQueries.set(label, (this.dnsQueries.get(label) ?? 0) + 1);
      const send = (data: Buffer): void => void socket.send(data, rinfo.port, rinfo.address);
      const later = (ms: number, data: Buffer): void => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(data);
        }, ms);
        timers.add(timer);
      };
      const answer = dnsFault(label, query);
      if (answer === null) return;
      if (label === 'slow') later(SLOW_MS, answer);
      else if (label === 'late') later(LATE_MS, answer);
      else send(answer);
    });
    socket.on('close', () => {
      for (const timer of timers) clearTimeout(timer);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    this.udp.push(socket);
    return socket.address().port;
  }
}

/** The origin's behaviour by request path. */
function faultHandler(req: http.IncomingMessage, res: http.ServerResponse, backends: Backends): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(fn, ms);
    res.once('close', () => clearTimeout(timer));
  };
  switch (path) {
    case '/ok':
      return void res.end('all systems go');
    case '/503':
      return void res.writeHead(503).end('down');
    case '/hang':
      return; // reads the request, never answers
    case '/slow':
      later(SLOW_MS, () => res.end('slow but fine'));
      return;
    case '/late':
      later(LATE_MS, () => res.end('too late'));
      return;
    case '/close':
      return void req.socket.destroy(); // request read, connection closed without a word
    case '/reset': {
      // A TLS socket cannot send a reset itself; the TCP socket under it can.
      const tcp = (req.socket as net.Socket & { _parent?: net.Socket })._parent ?? req.socket;
      return void tcp.resetAndDestroy();
    }
    case '/endless':
    case '/endless-needle': {
      // A body that never ends; the needle, if any, is in the first bytes.
      const index = backends.endlessWritten.push(0) - 1;
      const chunk = Buffer.alloc(16 * 1024, 'a');
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (path === '/endless-needle') res.write('NEEDLE');
      let open = true;
      res.once('close', () => {
        open = false;
      });
      const pump = (): void => {
        while (open) {
          backends.endlessWritten[index] = (backends.endlessWritten[index] ?? 0) + chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
      return;
    }
    case '/huge-headers':
      // 64 KiB of header: more than any client should buffer (Node's limit is 16 KiB).
      res.setHeader('x-filler', 'a'.repeat(64 * 1024));
      return void res.end('ok');
    case '/loop-a':
      return void res.writeHead(302, { location: '/loop-b' }).end();
    case '/loop-b':
      return void res.writeHead(302, { location: '/loop-a' }).end();
    case '/absolute-loop':
      // An absolute Location back to itself (scheme, host and port included).
      return void res.writeHead(301, { location: `http://${req.headers.host ?? ''}/absolute-loop` }).end();
    default: {
      const chain = /^\/chain\/(\d+)$/.exec(path);
      if (chain) return void res.writeHead(307, { location: `/chain/${Number(chain[1]) + 1}` }).end();
      res.writeHead(404).end();
    }
  }
}

function firstLabel(query: Buffer): string {
  try {
    return (Packet.parse(query).questions[0]?.name ?? '').split('.')[0] ?? '';
  } catch {
    return '';
  }
}

/** A reply to `query` with the flags and rcode set, and the ID shifted by `idDelta`. */
function reply(query: Buffer, rcode: number, { idDelta = 0, tc = false } = {}): Buffer {
  const out = Buffer.from(query);
  out.writeUInt16BE((query.readUInt16BE(0) + idDelta) & 0xffff, 0);
  out[2] = ((out[2] ?? 0) | 0x80 | (tc ? 0x02 : 0)) & 0xff; // QR, TC
  out[3] = ((out[3] ?? 0) & 0xf0) | rcode;
  return out;
}

/** What the DNS responder sends for a query whose name starts with `label`; null = silence. */
function dnsFault(label: string, query: Buffer): Buffer | null {
  switch (label) {
    case 'ok':
    case 'slow':
    case 'late':
      return reply(query, 0);
    case 'servfail':
      return reply(query, 2);
    case 'junk':
      return Buffer.from('\u0000\u0001this is not a DNS message, just bytes\r\n', 'latin1');
    case 'empty':
      return Buffer.alloc(0);
    case 'wrongid':
      return reply(query, 0, { idDelta: 1 });
    case 'cut':
      // A reply cut inside its question section.
      return reply(query, 0).subarray(0, 12 + 3);
    case 'tc':
      // A truncated reply as a real server sends it: TC set, header and question only.
      return reply(query, 0, { tc: true });
    case 'query':
      return Buffer.from(query); // QR clear: the query bounced back
    default:
      return null; // silent
  }
}

/** Certificates for the TLS faults, all for localhost / 127.0.0.1 unless said otherwise. */
export interface Certificates {
  /** Self-signed, valid now. */
  readonly selfSigned: { key: string; cert: string };
  /** Self-signed, expired yesterday. */
  readonly selfSignedExpired: { key: string; cert: string };
  /** A test CA, and leaves it signed: valid, expired, and for another host name. */
  readonly caCert: string;
  readonly good: { key: string; cert: string };
  readonly expired: { key: string; cert: string };
  readonly wrongHost: { key: string; cert: string };
}

const DAY = 86_400_000;

export async function certificates(): Promise<Certificates> {
  const base = { keyType: 'ec', algorithm: 'sha256' } as const;
  const localhost = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ] as const;
  const expiredDates = { notBeforeDate: new Date(Date.now() - 30 * DAY), notAfterDate: new Date(Date.now() - DAY) };
  const selfSigned = (extra: object = {}) =>
    generate([{ name: 'commonName', value: 'localhost' }], {
      ...base,
      extensions: [{ name: 'subjectAltName', altNames: [...localhost] }],
      ...extra,
    });
  const ca = await generate([{ name: 'commonName', value: 'steerdns probe-faults test CA' }], {
    ...base,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = (cn: string, altNames: { type: 2 | 7; value?: string; ip?: string }[], extra: object = {}) =>
    generate([{ name: 'commonName', value: cn }], {
      ...base,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
      ...extra,
    });
  const pair = async (p: Promise<{ private: string; cert: string }>) => {
    const { private: key, cert } = await p;
    return { key, cert };
  };
  const [ss, ssExpired, good, expired, wrongHost] = await Promise.all([
    pair(selfSigned()),
    pair(selfSigned(expiredDates)),
    pair(leaf('localhost', [...localhost])),
    pair(leaf('localhost', [...localhost], expiredDates)),
    pair(leaf('other.example', [{ type: 2, value: 'other.example' }])),
  ]);
  return { selfSigned: ss, selfSignedExpired: ssExpired, caCert: ca.cert, good, expired, wrongHost };
}
