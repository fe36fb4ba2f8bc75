// Helpers for the hardening tests: raw TCP connections from chosen loopback sources, a framed
// reply reader, and a UDP client that keeps many queries in flight on one socket.
import dgram from 'node:dgram';
import net from 'node:net';
import { buildQuery, decode, type DecodedReply, type QuerySpec } from '../support/dns-client.js';

/** Connect (optionally from a given 127.x.y.z source); resolves once connected. */
export function connectFrom(host: string, port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Collects the framed DNS messages a socket receives, and notes when it closes. */
export class FrameReader {
  readonly frames: Buffer[] = [];
  closed = false;
  ended = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 2 && this.buf.length >= 2 + this.buf.readUInt16BE(0)) {
        const len = this.buf.readUInt16BE(0);
        this.frames.push(this.buf.subarray(2, 2 + len));
        this.buf = this.buf.subarray(2 + len);
      }
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Bytes of a frame that started but did not finish (a cut reply). */
  leftover(): number {
    return this.buf.length;
  }

  replies(): DecodedReply[] {
    return this.frames.map((f) => decode(f));
  }

  /** Resolves when `check` holds, rejects after timeoutMs. */
  waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what} (frames ${this.frames.length}, closed ${this.closed})`));
      }, timeoutMs);
      const wake = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      this.waiters.push(wake);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export function framed(spec: QuerySpec): Buffer {
  const msg = buildQuery(spec);
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

export interface TimedReply {
  readonly reply: DecodedReply;
  readonly raw: Buffer;
  readonly ms: number;
}

/** One UDP socket, many queries in flight, replies matched by ID. */
export class UdpClient {
  private readonly socket: dgram.Socket;
  private readonly pending = new Map<
    number,
    { resolve: (r: TimedReply) => void; reject: (e: Error) => void; sent: number; timer: NodeJS.Timeout }
  >();
  private nextId = 1;
  /** Replies that matched nothing in flight (late or duplicated). */
  unmatched = 0;

  private constructor(
    private readonly host: string,
    private readonly port: number,
    socket: dgram.Socket,
  ) {
    this.socket = socket;
    socket.on('message', (msg) => {
      if (msg.length < 2) return;
      const id = msg.readUInt16BE(0);
      const p = this.pending.get(id);
      if (!p) {
        this.unmatched++;
        return;
      }
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve({ reply: decode(msg), raw: msg, ms: performance.now() - p.sent });
    });
  }

  static async open(host: string, port: number, localAddress?: string): Promise<UdpClient> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, localAddress, () => resolve()));
    return new UdpClient(host, port, socket);
  }

  inFlight(): number {
    return this.pending.size;
  }

  /** Send one query; resolves with the reply, rejects after timeoutMs without one. */
  query(spec: Omit<QuerySpec, 'id'>, timeoutMs = 2000): Promise<TimedReply> {
    let id = this.nextId;
    while (this.pending.has(id)) id = (id % 65535) + 1;
    this.nextId = (id % 65535) + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${spec.name} ${spec.type} (id ${id}) within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, sent: performance.now(), timer });
      this.socket.send(buildQuery({ ...spec, id }), this.port, this.host);
    });
  }

  /** Send raw bytes (no reply expected). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.send(bytes, this.port, this.host);
  }

  close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
