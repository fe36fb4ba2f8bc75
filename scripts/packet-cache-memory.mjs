#!/usr/bin/env node
// Memory one packet-cache answer costs: the real server (dist/, bench/zones-lb, GeoLite2 City) is
// started twice in this process with the batched path's onBatch captured (as bench-pipeline.mjs
// does), once with the packet cache and once with --packet-cache 0, and each answers N geo+ECS
// queries from N distinct /24s. Heap, ArrayBuffer and RSS growth after a full GC, per query,
// with and without the cache: the difference is what the cache keeps per answer.
//
//   npm run build && node --expose-gc scripts/packet-cache-memory.mjs
//   MEMORY_QUERIES=100000     distinct /24s (each kept once; the cache is sized to hold them all)
//   MEMORY_DIST=dir           another build to measure (default: dist/ of this checkout)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDist, startCaptured } from './lib/batch-harness.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.resolve(process.env.MEMORY_DIST ?? path.join(repoRoot, 'dist'));
const build = await loadDist(distDir);

const total = Number(process.env.MEMORY_QUERIES ?? 100_000);

function query(a, b, c) {
  const name = 'geo.lb.bench.example'.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'ascii')]);
  const opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, a, b, c];
  return Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, ...name, 0, 0, 1, 0, 1, ...opt]);
}

/** The i-th public /24 of a fixed walk (no private, loopback or multicast space). */
function subnet(i) {
  const x = (Math.imul(i + 1, 0x9e3779b1) >>> 0) % (200 << 16);
  const a = 1 + (x >>> 16);
  return [a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 ? a + 1 : a, (x >>> 8) & 0xff, x & 0xff];
}

function usage() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

async function measure(packetCache) {
  const server = await startCaptured(build, {
    zonesDir: path.join(repoRoot, 'bench/zones-lb'),
    geoip: build.defaultGeoIpPath(),
    observer: new build.SteerMetrics(),
    packetCacheSize: packetCache,
  });
  try {
    const ask = (from, to) => {
      for (let i = from; i < to; i++) {
        server.put(0, query(...subnet(i)), [127, 0, 0, 1]);
        server.answer(1);
      }
    };
    ask(total, total + 2000); // warm-up outside the measured subnets: JIT, GeoIP cache, metrics cells
    const before = usage();
    ask(0, total);
    const after = usage();
    return {
      heap: (after.heap - before.heap) / total,
      buffers: (after.buffers - before.buffers) / total,
      rss: (after.rss - before.rss) / 2 ** 20,
    };
  } finally {
    await server.close();
  }
}

const cached = await measure(total * 2);
const plain = await measure(0);
const row = (label, m) =>
  console.log(`${label}\theap ${m.heap.toFixed(0)} B/query\tbuffers ${m.buffers.toFixed(0)} B/query\tRSS +${m.rss.toFixed(0)} MiB`);
console.log(`${total} geo+ECS queries from distinct /24s, node ${process.version}`);
row('packet cache', cached);
row('--packet-cache 0', plain);
console.log(`per kept answer: ${(cached.heap + cached.buffers - plain.heap - plain.buffers).toFixed(0)} bytes`);
