// UDP transport: one datagram in, at most one datagram out, answered synchronously. Response
// rate limiting (rrl.ts) applies here only: TCP is where a limited client gets its answers.
import dgram from 'node:dgram';
import type { ListenAddress } from './listen-address.js';
import type { Answerer } from '../query/answerer.js';
import type { Logger } from '../server/logger.js';
import { RrlVerdict, slipReply, type ResponseRateLimiter } from './rrl.js';

export interface UdpListener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export function listenUdp(
  addr: ListenAddress,
  pipeline: Answerer,
  logger: Logger,
  rrl: ResponseRateLimiter | null = null,
): Promise<UdpListener> {
  const socket = dgram.createSocket({
    type: addr.family === 6 ? 'udp6' : 'udp4',
    ipv6Only: addr.family === 6,
    // Large buffers absorb bursts (and a reload) without kernel drops.
    recvBufferSize: 8 * 1024 * 1024,
    sendBufferSize: 8 * 1024 * 1024,
  });
  socket.on('message', (msg, rinfo) => {
    const answer = pipeline.answer(msg, rinfo.address, 'udp');
    const out = answer.bytes;
    if (out === null) return;
    if (rrl !== null) {
      const verdict = rrl.check(rinfo.address, answer);
      if (verdict === RrlVerdict.DROP) return;
      if (verdict === RrlVerdict.SLIP) {
        socket.send(slipReply(out), rinfo.port, rinfo.address);
        return;
      }
    }
    socket.send(out, rinfo.port, rinfo.address);
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
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
