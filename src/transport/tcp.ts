// TCP transport (RFC 7766): 2-byte length framing, pipelined queries, write backpressure, and
// the limits that keep hostile clients from taking the service away from others:
//   - idle timeout: a connection with no traffic for idleTimeoutMs is closed;
//   - message timeout: once a message has started, the rest must arrive within messageTimeoutMs
//     (a client sending a byte at a time is closed, however often it sends);
//   - queries per connection: after maxQueriesPerConnection the connection is closed cleanly;
//   - connections per client address: at most maxConnectionsPerClient, so one host cannot take
//     every slot;
//   - connections in total: at most maxConnections. When the table is full a new connection
//     takes the slot of the one that has gone longest without completing a query (idle, or slow),
//     as RFC 7766 §6.2.3 allows under pressure; a connection still writing replies is never
//     taken. A flood of connections therefore recycles its own slots and cannot lock out a
//     client that connects, asks and reads.
// A message that arrives in pieces is copied into one buffer of its announced length, so a client
// sending tiny segments costs linear, not quadratic, copying. Shutdown is graceful: stop
// accepting, answer what has arrived, flush, close.
import { clientIpOf, type ClientIp } from '../net/client-ip.js';
import net from 'node:net';
import type { ListenAddress } from './listen-address.js';
import type { Answerer } from '../query/answerer.js';
import type { Logger } from '../server/logger.js';

export interface TcpOptions {
  /** Close a connection with no traffic for this long (ms). */
  readonly idleTimeoutMs: number;
  /** Once a message has started, the rest must arrive within this long (ms): stops byte-at-a-time clients. */
  readonly messageTimeoutMs: number;
  readonly maxConnections: number;
  /** Connections one client address may hold at once. */
  readonly maxConnectionsPerClient: number;
  readonly maxQueriesPerConnection: number;
  /** Stop reading from a client whose unsent replies exceed this many bytes. */
  readonly maxPendingWriteBytes: number;
  /** On close(), how long connections get to finish a started message and flush replies (ms). */
  readonly shutdownGraceMs: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = {
  idleTimeoutMs: 10_000,
  messageTimeoutMs: 5_000,
  maxConnections: 1024,
  // Generous for a resolver farm behind one address, small against the 1024 slots.
  maxConnectionsPerClient: 64,
  maxQueriesPerConnection: 1000,
  maxPendingWriteBytes: 256 * 1024,
  shutdownGraceMs: 5_000,
};

/** Counters for metrics: why connections ended early. */
export interface TcpStats {
  readonly connections: number;
  readonly accepted: number;
  /** Refused because the client address already held maxConnectionsPerClient. */
  readonly refusedPerClient: number;
  /** Refused because every slot was busy writing replies. */
  readonly refusedFull: number;
  /** Closed to make room for a new connection. */
  readonly evicted: number;
  readonly idleTimeouts: number;
  readonly messageTimeouts: number;
  readonly queryLimit: number;
  /** Open connections not being read because their client does not read its replies. */
  readonly stalled: number;
  /** Open connections holding a message that has started to arrive but is not complete. */
  readonly partialMessages: number;
}

/**
 * Zone transfers (src/xfr): a message it claims is answered by a stream of messages, written as
 * the socket drains; the connection reads nothing else until the stream ends.
 */
export interface TransferStreamer {
  claims(message: Uint8Array): boolean;
  /** `send` resolves true once the socket can take more, false when the connection has gone. */
  stream(message: Uint8Array, client: string, send: (message: Buffer) => Promise<boolean>): Promise<void>;
}

export interface TcpListener {
  readonly address: string;
  readonly port: number;
  connections(): number;
  stats(): TcpStats;
  /** Stop accepting; let open connections finish (up to shutdownGraceMs), then close them. */
  close(): Promise<void>;
}

interface Counters {
  accepted: number;
  refusedPerClient: number;
  refusedFull: number;
  evicted: number;
  idleTimeouts: number;
  messageTimeouts: number;
  queryLimit: number;
}

export function listenTcp(
  addr: ListenAddress,
  pipeline: Answerer,
  logger: Logger,
  options: Partial<TcpOptions> = {},
  transfers: TransferStreamer | null = null,
): Promise<TcpListener> {
  const opts: TcpOptions = { ...DEFAULT_TCP_OPTIONS, ...options };
  const connections = new Set<TcpConnection>();
  const perClient = new Map<string, number>();
  const counters: Counters = {
    accepted: 0,
    refusedPerClient: 0,
    refusedFull: 0,
    evicted: 0,
    idleTimeouts: 0,
    messageTimeouts: 0,
    queryLimit: 0,
  };
  let closing = false;

  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    const client = socket.remoteAddress ?? '';
    if (closing) {
      socket.destroy();
      return;
    }
    const held = perClient.get(client) ?? 0;
    if (held >= opts.maxConnectionsPerClient) {
      counters.refusedPerClient++;
      logger.debug({ client, reason: 'per-client connection limit' }, 'tcp connection refused');
      socket.destroy();
      return;
    }
    if (connections.size >= opts.maxConnections) {
      const victim = leastUseful(connections);
      if (victim === null) {
        counters.refusedFull++;
        logger.debug({ client, reason: 'connection table full' }, 'tcp connection refused');
        socket.destroy();
        return;
      }
      counters.evicted++;
      logger.debug({ client: victim.client, reason: 'evicted for a new connection' }, 'tcp connection closed');
      victim.destroy();
    }
    counters.accepted++;
    perClient.set(client, held + 1);
    // The slot is released as soon as the connection is destroyed or closes, whichever is first.
    const release = (): void => {
      connections.delete(conn);
      const n = (perClient.get(client) ?? 1) - 1;
      if (n <= 0) perClient.delete(client);
      else perClient.set(client, n);
    };
    const conn = new TcpConnection(socket, client, pipeline, opts, counters, logger, release, transfers);
    connections.add(conn);
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: addr.host, port: addr.port, ipv6Only: addr.family === 6, backlog: 1024 }, () => {
      server.off('error', onError);
      server.on('error', (err) => logger.warn({ err }, 'tcp server error'));
      const bound = server.address() as net.AddressInfo;
      resolve({
        address: bound.address,
        port: bound.port,
        connections: () => connections.size,
        stats: () => ({ connections: connections.size, ...counters, ...connectionStates(connections) }),
        close: () => {
          closing = true;
          return new Promise<void>((done) => {
            let finished = false;
            const finish = (): void => {
              if (finished) return;
              finished = true;
              clearTimeout(grace);
              done();
            };
            // Resolves once the listener is closed and every connection has gone.
            server.close(() => finish());
            const grace = setTimeout(() => {
              for (const c of connections) c.destroy();
            }, opts.shutdownGraceMs);
            grace.unref();
            for (const c of [...connections]) c.finish();
          });
        },
      });
    });
  });
}

/** Gauges over the open connections (computed when asked: nothing is counted per query). */
function connectionStates(connections: ReadonlySet<TcpConnection>): Pick<TcpStats, 'stalled' | 'partialMessages'> {
  let stalled = 0;
  let partialMessages = 0;
  for (const c of connections) {
    if (c.isStalled()) stalled++;
    if (c.midMessage()) partialMessages++;
  }
  return { stalled, partialMessages };
}

/** The connection that has gone longest without completing a query and is not writing; null if none. */
function leastUseful(connections: ReadonlySet<TcpConnection>): TcpConnection | null {
  let best: TcpConnection | null = null;
  for (const c of connections) {
    if (c.isWriting()) continue;
    if (best === null || c.lastCompleted < best.lastCompleted) best = c;
  }
  return best;
}

/**
 * Replies are framed into a shared slab of this size and written once per chunk read, not once
 * per reply: a socket write (a syscall, a write request, a timer refresh) per ~50-byte reply was
 * most of the cost of a pipelined TCP query.
 */
const BATCH_SLAB_BYTES = 16 * 1024;

class TcpConnection {
  /** When the last query completed (or the connection opened): older means less useful. */
  lastCompleted = performance.now();
  private answered = 0;
  /** Bytes of the 2-byte length prefix seen so far, and its value. */
  private headerBytes = 0;
  private length = 0;
  /** A message arriving in pieces: its buffer and how much of it is filled. */
  private body: Buffer | null = null;
  private filled = 0;
  /** Unprocessed input kept while paused for backpressure. */
  private stash: Buffer | null = null;
  private messageTimer: NodeJS.Timeout | null = null;
  private clientEnded = false;
  private finishing = false;
  private done = false;
  private released = false;
  /** Framed replies not yet handed to the socket: slab[batchStart, batchEnd). */
  private slab: Buffer | null = null;
  private batchStart = 0;
  private batchEnd = 0;
  /** A zone transfer is being written: nothing else is read until it ends. */
  private transferring = false;
  /** The peer as the query path takes it, made once per connection. */
  private readonly clientIp: ClientIp;

  constructor(
    private readonly socket: net.Socket,
    readonly client: string,
    private readonly pipeline: Answerer,
    private readonly opts: TcpOptions,
    private readonly counters: Counters,
    private readonly logger: Logger,
    private readonly release: () => void,
    private readonly transfers: TransferStreamer | null,
  ) {
    this.clientIp = clientIpOf(client);
    socket.setTimeout(opts.idleTimeoutMs, () => {
      counters.idleTimeouts++;
      this.close('idle timeout');
    });
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.clearMessageTimer();
      this.releaseOnce();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.stash !== null) this.stash = Buffer.concat([this.stash, chunk]);
      else this.consume(chunk);
    });
    socket.on('end', () => {
      // The client has sent everything (half-close): answer what is here, then close our side.
      this.clientEnded = true;
      this.endIfDone();
    });
    socket.on('drain', () => this.resumeReading());
  }

  private resumeReading(): void {
    if (this.stash === null || this.done || this.transferring) return;
    const rest = this.stash;
    this.stash = null;
    this.socket.resume();
    this.consume(rest);
  }

  /** Not being read: its replies are over maxPendingWriteBytes (input waits in the stash). */
  isStalled(): boolean {
    return this.stash !== null;
  }

  isWriting(): boolean {
    return this.socket.writableLength > 0 || this.stash !== null || this.transferring;
  }

  /** Graceful shutdown: finish a started message and pending replies, then close. */
  finish(): void {
    this.finishing = true;
    this.endIfDone();
  }

  destroy(): void {
    this.done = true;
    this.socket.destroy();
    this.releaseOnce();
  }

  private releaseOnce(): void {
    if (this.released) return;
    this.released = true;
    this.release();
  }

  private close(reason: string): void {
    this.logger.debug({ client: this.client, reason }, 'tcp connection closed');
    this.destroy();
  }

  /** Frame and answer every complete message in `chunk`; keep a started one for later. */
  private consume(chunk: Buffer): void {
    const answeredBefore = this.answered;
    let at = 0;
    while (at < chunk.length && !this.done && !this.transferring) {
      // Backpressure: a client that does not read its replies stops being read.
      if (this.socket.writableLength + this.batchEnd - this.batchStart > this.opts.maxPendingWriteBytes) break;
      if (this.body === null) {
        if (this.headerBytes === 0 && chunk.length - at >= 2) {
          this.length = chunk.readUInt16BE(at);
          at += 2;
        } else {
          this.length = (this.length << 8) | chunk[at]!;
          at++;
          if (++this.headerBytes < 2) continue;
          this.length &= 0xffff;
        }
        this.headerBytes = 0;
        if (chunk.length - at >= this.length) {
          // The whole message is in this chunk: answer it in place, without copying.
          const message = chunk.subarray(at, at + this.length);
          at += this.length;
          this.length = 0;
          this.answer(message);
        } else {
          this.body = Buffer.allocUnsafe(this.length);
          this.filled = 0;
        }
        continue;
      }
      const take = Math.min(this.body.length - this.filled, chunk.length - at);
      chunk.copy(this.body, this.filled, at, at + take);
      this.filled += take;
      at += take;
      if (this.filled === this.body.length) {
        const message = this.body;
        this.body = null;
        this.length = 0;
        this.answer(message);
      }
    }
    this.flush();
    // Once per chunk rather than per query: a clock read per reply showed in profiles.
    if (this.answered !== answeredBefore) this.lastCompleted = performance.now();
    if (this.done) return;
    if (at < chunk.length) {
      this.stash = chunk.subarray(at);
      this.socket.pause();
      this.clearMessageTimer();
      // 'drain' comes only after a write that reported a full buffer; with a small limit that
      // may not have happened, so look again on the next turn.
      if (!this.socket.writableNeedDrain && !this.transferring) setImmediate(() => this.resumeReading());
      return;
    }
    if (this.midMessage()) {
      if (this.messageTimer === null) {
        this.messageTimer = setTimeout(() => {
          this.counters.messageTimeouts++;
          this.close('message timeout');
        }, this.opts.messageTimeoutMs);
      }
    } else {
      this.endIfDone();
    }
  }

  private answer(message: Buffer): void {
    this.clearMessageTimer();
    this.answered++;
    if (this.transfers?.claims(message)) {
      this.startTransfer(message);
      return;
    }
    const out = message.length === 0 ? null : this.pipeline.answer(message, this.clientIp, 'tcp').bytes;
    if (out !== null) this.queue(out);
    if (this.answered >= this.opts.maxQueriesPerConnection) {
      this.flush();
      this.counters.queryLimit++;
      this.logger.debug({ client: this.client, reason: 'query limit' }, 'tcp connection closing');
      this.endAfterLimit();
    }
  }

  /**
   * Streams a zone transfer: replies queued before it go first, then each message of the
   * transfer as the socket drains. Reading stops until it ends (the input stays in the stash),
   * so replies keep the order of the queries.
   */
  private startTransfer(message: Buffer): void {
    this.flush();
    this.transferring = true;
    const socket = this.socket;
    const send = (bytes: Buffer): Promise<boolean> => {
      if (socket.destroyed || this.done) return Promise.resolve(false);
      const frame = Buffer.allocUnsafe(2 + bytes.length);
      frame.writeUInt16BE(bytes.length, 0);
      bytes.copy(frame, 2);
      if (socket.write(frame)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const onDrain = (): void => {
          socket.off('close', onClose);
          resolve(true);
        };
        const onClose = (): void => {
          socket.off('drain', onDrain);
          resolve(false);
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    };
    this.transfers!.stream(message, this.client, send)
      .catch((err: unknown) => {
        this.logger.error({ err, client: this.client }, 'zone transfer failed');
        this.destroy();
      })
      .finally(() => {
        this.transferring = false;
        this.lastCompleted = performance.now();
        if (this.done) return;
        if (this.answered >= this.opts.maxQueriesPerConnection) {
          this.counters.queryLimit++;
          this.endAfterLimit();
        } else if (this.stash !== null) {
          this.resumeReading();
        } else {
          this.socket.resume();
          this.endIfDone();
        }
      });
  }

  /**
   * The query limit is reached: every reply written so far goes out, then our FIN. Queries the
   * client pipelined past the limit are read and discarded, not left unread: a socket closed
   * with unread input is reset (RST), which can destroy replies still on their way, and a
   * paused socket never sees the client's FIN, so the slot stayed taken until the idle timeout.
   * Since incoming bytes no longer count as activity, a timer of our own ends it: every
   * idleTimeoutMs, a connection whose replies made no progress (a client that does not read) or
   * that is done (replies flushed, FIN sent, client still open) is cut.
   */
  private endAfterLimit(): void {
    this.done = true;
    this.stash = null;
    this.clearMessageTimer();
    this.socket.setTimeout(0);
    let flushed = false;
    this.socket.end(() => {
      flushed = true;
    });
    this.socket.resume();
    let pending = Infinity;
    const check = (): void => {
      if (this.socket.destroyed) return;
      const now = this.socket.writableLength;
      if (flushed || now >= pending) {
        if (!flushed) this.counters.idleTimeouts++;
        this.close(flushed ? 'client did not close after the query limit' : 'replies not read after the query limit');
        return;
      }
      pending = now;
      timer = setTimeout(check, this.opts.idleTimeoutMs).unref();
    };
    let timer = setTimeout(check, this.opts.idleTimeoutMs).unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Frame `out` into the batch (copied: the pipeline may reuse its buffer for the next reply). */
  private queue(out: Uint8Array): void {
    const need = 2 + out.length;
    let slab = this.slab;
    if (slab === null || this.batchEnd + need > slab.length) {
      this.flush();
      slab = Buffer.allocUnsafe(Math.max(need, BATCH_SLAB_BYTES));
      this.slab = slab;
      this.batchStart = 0;
      this.batchEnd = 0;
    }
    const at = this.batchEnd;
    slab[at] = out.length >>> 8;
    slab[at + 1] = out.length & 0xff;
    slab.set(out, at + 2);
    this.batchEnd = at + need;
  }

  /**
   * Hand the batched replies to the socket in one write. The written part of the slab is never
   * touched again; later replies go after it.
   */
  private flush(): void {
    if (this.batchEnd === this.batchStart) return;
    const batch = this.slab!.subarray(this.batchStart, this.batchEnd);
    this.batchStart = this.batchEnd;
    this.socket.write(batch);
  }

  midMessage(): boolean {
    return this.body !== null || this.headerBytes > 0;
  }

  /** Close our side once nothing more is coming (client half-closed) or we are shutting down. */
  private endIfDone(): void {
    if (this.done || this.stash !== null || this.transferring || this.midMessage()) return;
    if (!this.clientEnded && !this.finishing) return;
    this.done = true;
    this.socket.end();
  }

  private clearMessageTimer(): void {
    if (this.messageTimer !== null) {
      clearTimeout(this.messageTimer);
      this.messageTimer = null;
    }
  }
}
