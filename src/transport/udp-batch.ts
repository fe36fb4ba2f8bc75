// UDP transport through the native addon (native/udp_batch.c): the addon drains the socket with
// recvmmsg into shared slots and calls onBatch once per batch; each datagram is answered here by
// the same code as on the dgram path (udp-answer.ts), its reply written into the matching output
// slot, and the addon sends the whole batch with one sendmmsg. No object per datagram but the packet's view: the
// client address is read in place from the addon's metadata (a string only if something asks).
import { BytesClientIp } from '../net/client-ip.js';
import type { Answerer } from '../query/answerer.js';
import type { ListenAddress } from './listen-address.js';
import type { ResponseRateLimiter } from './rrl.js';
import { UDP_SOCKET_BUFFER, type UdpListener } from './udp.js';
import { REPLY_TOO_LONG, udpReplyInto } from './udp-answer.js';
import type { UdpBatchAddon } from './udp-batch-addon.js';
import type { UdpIoStats } from './udp-io.js';

/** Datagrams per recvmmsg: enough to amortise a system call, few enough to keep latency flat. */
export const DEFAULT_UDP_BATCH = 32;

export interface UdpBatchOptions {
  /** SO_REUSEPORT: several processes (cluster workers) each bind their own socket to the port. */
  readonly reusePort?: boolean;
  readonly batch?: number;
  /** SO_SNDBUF (default UDP_SOCKET_BUFFER): how many reply bytes may wait in the kernel before sendmmsg meets EAGAIN. */
  readonly sendBufferSize?: number;
}

/** Binds synchronously; throws the bind error (with its errno code, e.g. EADDRINUSE). */
export function listenUdpBatch(
  addon: UdpBatchAddon,
  addr: ListenAddress,
  pipeline: Answerer,
  rrl: ResponseRateLimiter | null = null,
  options: UdpBatchOptions = {},
): UdpListener {
  // Views over the addon's memory, set once the socket exists (no batch arrives before that).
  let input = new Uint8Array(0);
  let meta = new Int32Array(0);
  let metaBytes = new Uint8Array(0);
  let output = new Uint8Array(0);
  let outputWords = new Int32Array(0);
  let outLen = new Int32Array(0);
  let stride = 0;
  let slotSize = 0;
  let metaInts = 0;
  let truncated = 0;
  let oversized = 0;
  const client = new BytesClientIp();
  let views: Uint8Array[] = [];

  const onBatch = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const m = i * metaInts;
      // A datagram larger than a slot (64 KiB: larger than any UDP payload) cannot be a query.
      if (meta[m + 2] !== 0) {
        truncated++;
        continue;
      }
      client.set(metaBytes, (m + 4) * 4, meta[m + 1] === 4 ? 4 : 6);
      const start = i * stride;
      // The packet's view: the slot's last one when the length is the same (queries of one
      // kind are mostly of one length), so a steady load makes no object per datagram.
      let packet = views[i]!;
      if (packet.length !== meta[m]) {
        packet = input.subarray(start, start + meta[m]!);
        views[i] = packet;
      }
      const length = udpReplyInto(pipeline, rrl, packet, client, output, start, slotSize, outputWords);
      if (length === REPLY_TOO_LONG) oversized++;
      else outLen[i] = length;
    }
  };

  const socket = addon.open(
    {
      host: addr.host,
      port: addr.port,
      family: addr.family,
      reusePort: options.reusePort === true,
      batch: options.batch ?? DEFAULT_UDP_BATCH,
      recvBufferSize: UDP_SOCKET_BUFFER,
      sendBufferSize: options.sendBufferSize ?? UDP_SOCKET_BUFFER,
    },
    onBatch,
  );
  input = new Uint8Array(socket.in);
  meta = new Int32Array(socket.meta);
  metaBytes = new Uint8Array(socket.meta);
  output = new Uint8Array(socket.out);
  outputWords = new Int32Array(socket.out);
  outLen = new Int32Array(socket.outLen);
  stride = socket.slotStride;
  slotSize = socket.slotSize;
  metaInts = socket.metaInts;
  views = Array.from({ length: socket.batch }, () => input.subarray(0, 0));
  const counters = new Float64Array(socket.stats);
  const index = (name: string): number => addon.statNames.indexOf(name);
  const at = {
    batches: index('batches'),
    received: index('received'),
    sent: index('sent'),
    deferred: index('deferred'),
    pending: index('pending'),
    dropped: index('dropped'),
    recvCalls: index('recvCalls'),
    sendCalls: index('sendCalls'),
  };
  let closed = false;
  return {
    address: addr.host,
    port: socket.port,
    io: 'batch',
    stats(): UdpIoStats {
      const s = {} as UdpIoStats;
      for (const k of Object.keys(at) as (keyof UdpIoStats)[]) s[k] = counters[at[k]] ?? 0;
      // Replies that could not be sent at all count as dropped, wherever they were lost.
      s.dropped += truncated + oversized;
      return s;
    },
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        socket.close();
      }
      return Promise.resolve();
    },
  };
}
