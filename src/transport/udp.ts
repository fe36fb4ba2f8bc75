// UDP transport through node:dgram: one datagram in, at most one datagram out, answered
// synchronously. Response rate limiting (rrl.ts) applies to UDP only: TCP is where a limited
// client gets its answers. The batched path (udp-batch.ts) answers through the same udpReply.
import dgram from 'node:dgram';
import { TextClientIp } from '../net/client-ip.js';
import type { ListenAddress } from './listen-address.js';
import type { Answerer } from '../query/answerer.js';
import type { Logger } from '../server/logger.js';
import type { ResponseRateLimiter } from './rrl.js';
import { udpReply } from './udp-answer.js';
import type { UdpIoStats } from './udp-io.js';

export interface UdpListener {
  readonly address: string;
  readonly port: number;
  /** Which I/O path serves this socket. */
  readonly io: 'batch' | 'dgram';
  /** Counters of the batched path; null on dgram (it has none of its own). */
  stats(): UdpIoStats | null;
  close(): Promise<void>;
}

export function listenUdp(
  addr: ListenAddress,
  pipeline: Answerer,
  logger: Logger,
  rrl: ResponseRateLimiter | null = null,
  sendBufferSize: number = UDP_SOCKET_BUFFER,
): Promise<UdpListener> {
  const socket = dgram.createSocket({
    type: addr.family === 6 ? 'udp6' : 'udp4',
    ipv6Only: addr.family === 6,
    // Large buffers absorb bursts (and a reload) without kernel drops.
    recvBufferSize: UDP_SOCKET_BUFFER,
    sendBufferSize,
  });
  // One per socket, set to each datagram's sender: dgram reports the address as text already.
  const client = new TextClientIp();
  socket.on('message', (msg, rinfo) => {
    const out = udpReply(pipeline, rrl, msg, client.set(rinfo.address));
    if (out !== null) socket.send(out, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind(addr.port, addr.host, () => {
      socket.off('error', onError);
      // After bind, a socket error (e.g. ICMP-driven) is logged, never fatal.
      socket.on('error', (err) => logger.warn({ err }, 'udp socket error'));
      const bound = socket.address();
      resolve({
        address: bound.address,
        port: bound.port,
        io: 'dgram',
        stats: () => null,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}

/** Socket buffer sizes asked for on both paths (the kernel caps them at net.core.[rw]mem_max). */
export const UDP_SOCKET_BUFFER = 8 * 1024 * 1024;
