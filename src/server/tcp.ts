// TCP transport (RFC 7766): 2-byte length framing, pipelined queries, idle timeout, a cap on
// concurrent connections and on queries per connection, and write backpressure.
import net from 'node:net';
import type { ListenAddress } from './listen-address.js';
import type { QueryPipeline } from './pipeline.js';
import type { Logger } from './logger.js';

export interface TcpOptions {
  /** Close a connection with no complete query for this long (ms). */
  readonly idleTimeoutMs: number;
  /** Once a message has started, the rest must arrive within this long (ms): stops byte-at-a-time clients. */
  readonly messageTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxQueriesPerConnection: number;
  /** Stop reading from a client whose unsent replies exceed this many bytes. */
  readonly maxPendingWriteBytes: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = {
  idleTimeoutMs: 10_000,
  messageTimeoutMs: 5_000,
  maxConnections: 1024,
  maxQueriesPerConnection: 1000,
  maxPendingWriteBytes: 256 * 1024,
};

export interface TcpListener {
  readonly address: string;
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

export function listenTcp(
  addr: ListenAddress,
  pipeline: QueryPipeline,
  logger: Logger,
  options: Partial<TcpOptions> = {},
): Promise<TcpListener> {
  const opts: TcpOptions = { ...DEFAULT_TCP_OPTIONS, ...options };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, pipeline, opts);
  });
  server.maxConnections = opts.maxConnections;
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
        connections: () => sockets.size,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

function serveConnection(socket: net.Socket, pipeline: QueryPipeline, opts: TcpOptions): void {
  const clientIp = socket.remoteAddress ?? '';
  let pending: Buffer = Buffer.alloc(0);
  let answered = 0;
  let messageTimer: NodeJS.Timeout | null = null;

  socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());

  const clearMessageTimer = (): void => {
    if (messageTimer !== null) {
      clearTimeout(messageTimer);
      messageTimer = null;
    }
  };
  socket.once('close', clearMessageTimer);

  // Answer every complete message in the buffer; replies go out in query order.
  const drainQueries = (): void => {
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const message = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      clearMessageTimer();
      const out = length === 0 ? null : pipeline.answer(message, clientIp, 'tcp');
      answered++;
      if (out !== null) {
        const frame = Buffer.allocUnsafe(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        frame.set(out, 2);
        socket.write(frame);
      }
      if (answered >= opts.maxQueriesPerConnection) {
        socket.end();
        socket.pause();
        return;
      }
      if (socket.writableLength > opts.maxPendingWriteBytes) {
        // Backpressure: a client that does not read its replies stops being read.
        socket.pause();
        socket.once('drain', () => {
          socket.resume();
          drainQueries();
        });
        return;
      }
    }
    if (pending.length > 0 && messageTimer === null) {
      messageTimer = setTimeout(() => socket.destroy(), opts.messageTimeoutMs);
    }
    // Keep the retained remainder small and detached from the big chunk it came from.
    if (pending.length > 0 && pending.byteOffset > 0) pending = Buffer.from(pending);
  };

  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!socket.isPaused()) drainQueries();
  });
}
