// The real server of a build (its dist/) with the batched UDP addon's onBatch captured, so a
// script can fill the addon's receive slots itself and call onBatch as the addon does after a
// recvmmsg: the query path's CPU or memory without any I/O. Used by scripts/bench-pipeline.mjs
// and scripts/packet-cache-memory.mjs.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the scripts take from a build. */
export async function loadDist(distDir) {
  const dist = (p) => import(pathToFileURL(path.join(distDir, p)).href);
  const [{ startServer }, { silentLogger }, { defaultGeoIpPath }, { udpBatchAddon }, { SteerMetrics }] = await Promise.all([
    dist('server/server.js'),
    dist('server/logger.js'),
    dist('geo/service.js'),
    dist('transport/udp-batch-addon.js'),
    dist('http/metrics.js'),
  ]);
  return { startServer, silentLogger, defaultGeoIpPath, udpBatchAddon, SteerMetrics };
}

/**
 * Starts the server with `options` (startServer's, batched UDP on 127.0.0.1:0 added) and returns
 * its socket's slots, `put` to fill slot i with a datagram from an address, `answer(n)` to hand
 * the first n slots to the server, and `close`.
 */
export async function startCaptured(build, options) {
  const load = build.udpBatchAddon();
  if (load.addon === null) throw new Error(`batched UDP addon not loaded: ${load.reason}`);
  // The server takes the cached addon: wrap its open() to keep the socket and the callback.
  const realOpen = load.addon.open;
  let captured = null;
  load.addon.open = (openOptions, onBatch) => {
    const socket = realOpen.call(load.addon, openOptions, () => {});
    captured = { socket, onBatch };
    return socket;
  };
  let server;
  try {
    server = await build.startServer({ listen: ['127.0.0.1:0'], udpIo: 'batch', probe: false, logger: build.silentLogger(), ...options });
  } finally {
    load.addon.open = realOpen;
  }
  const { socket, onBatch } = captured;
  const input = new Uint8Array(socket.in);
  const meta = new Int32Array(socket.meta);
  const metaBytes = new Uint8Array(socket.meta);
  const outLen = new Int32Array(socket.outLen);
  return {
    batch: socket.batch,
    outLen,
    /** Slot i holds `packet` from `client` (4 or 16 address bytes). */
    put(i, packet, client) {
      input.set(packet, i * socket.slotStride);
      const m = i * socket.metaInts;
      meta[m] = packet.length;
      meta[m + 1] = client.length === 4 ? 4 : 6;
      meta[m + 2] = 0;
      metaBytes.set(client, (m + 4) * 4);
      outLen[i] = 0;
    },
    answer(n) {
      onBatch(n);
    },
    close: () => server.close(),
  };
}
