#!/usr/bin/env node
// In-process CPU cost of one UDP query on the batched path, without any I/O: the real server
// (dist/, zones of bench/) is started with the real addon, whose onBatch callback is captured;
// the loop then fills the addon's input slots and client addresses itself and calls onBatch, as
// the addon does after a recvmmsg. Reports µs of process CPU per query for each mix, the figure
// to compare between two builds in the same run (`--cpu-prof` for a profile of the same loop).
//
//   npm run build && node scripts/bench-pipeline.mjs
//   PIPELINE_QUERIES=2000000   queries per mix    PIPELINE_MIXES=static,geo-ecs
//   BENCH_SUBNETS=10000        distinct ECS /24s (geo-ecs)
//   PIPELINE_DIST=dir          another build to measure (default: dist/ of this checkout)
//   PIPELINE_CLIENT=6          queries from an IPv6 client (2001:db8::1) instead of 127.0.0.1
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDist, startCaptured } from './lib/batch-harness.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.resolve(process.env.PIPELINE_DIST ?? path.join(repoRoot, 'dist'));
const build = await loadDist(distDir);

const total = Number(process.env.PIPELINE_QUERIES ?? 2_000_000);
const subnets = Number(process.env.BENCH_SUBNETS ?? 10_000);
const mixes = (process.env.PIPELINE_MIXES ?? 'static,geo-ecs').split(',');
const clientFamily = process.env.PIPELINE_CLIENT === '6' ? 6 : 4;
const clientBytes = clientFamily === 6 ? [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] : [127, 0, 0, 1];

function qname(name) {
  const parts = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'ascii')]);
  return [...parts, 0];
}

function query(name, type, ecs) {
  const header = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
  // OPT with UDP size 1232; with `ecs` an ECS option for that /24 (scope 0).
  const opt = ecs ? [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, ...ecs] : [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];
  return Uint8Array.from([...header, ...qname(name), 0, type, 0, 1, ...opt]);
}

/** Deterministic public /24s (no private or reserved space), as the DNS bench generates them. */
function subnetList(n) {
  let x = 0x9e3779b9;
  const out = [];
  const seen = new Set();
  while (out.length < n) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6a09e667) >>> 0;
    const [a, b, c] = [(x >>> 24) % 224, (x >>> 16) & 0xff, (x >>> 8) & 0xff];
    if (a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254)) continue;
    if ((a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19))) continue;
    if (seen.has((a << 16) | (b << 8) | c)) continue;
    seen.add((a << 16) | (b << 8) | c);
    out.push([a, b, c]);
  }
  return out;
}

function workload(mix) {
  if (mix === 'static') {
    const qs = [];
    for (let i = 0; i < 300; i++) {
      const host = `host${String(i).padStart(3, '0')}.bench.example`;
      qs.push({ packet: query(host, 1, null), client: clientBytes });
      qs.push({ packet: query(host, 28, null), client: clientBytes });
    }
    return { zonesDir: 'bench/zones', geoip: null, queries: qs };
  }
  const qs = subnetList(subnets).map((s) => ({ packet: query('geo.lb.bench.example', 1, s), client: clientBytes }));
  return { zonesDir: 'bench/zones-lb', geoip: build.defaultGeoIpPath(), queries: qs };
}

async function measure(mix) {
  const w = workload(mix);
  const server = await startCaptured(build, {
    zonesDir: path.join(repoRoot, w.zonesDir),
    geoip: w.geoip,
    observer: new build.SteerMetrics(),
    timeEvery: 16,
  });
  try {
    const { batch, outLen } = server;
    const run = (n) => {
      let next = 0;
      for (let done = 0; done < n; done += batch) {
        for (let i = 0; i < batch; i++) {
          const q = w.queries[next];
          next = next + 1 === w.queries.length ? 0 : next + 1;
          server.put(i, q.packet, q.client);
        }
        server.answer(batch);
        if (outLen[0] === 0) throw new Error(`${mix}: no reply`);
      }
    };
    run(Math.min(total, 200_000)); // warm-up: JIT and caches
    const before = process.cpuUsage();
    run(total);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / total;
  } finally {
    await server.close();
  }
}

for (const mix of mixes) {
  const us = await measure(mix);
  console.log(`${mix}${clientFamily === 6 ? ' (IPv6 client)' : ''}\t${us.toFixed(3)} µs CPU/query`);
}
