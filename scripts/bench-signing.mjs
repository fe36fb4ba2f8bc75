#!/usr/bin/env node
// Signing micro-benchmark (not a test): per algorithm, signatures per second on one core and the
// latency of a cold sign (a signature-cache miss: canonical form + one signature), and the heap
// the signature cache takes per 100k entries. Uses the built dist/ (npm run build first).
//
//   node scripts/bench-signing.mjs            SIGN_COUNT=20000 RRsets per algorithm
import { performance } from 'node:perf_hooks';
import { generateRawKey, privateKeyFromRaw } from '../dist/dnssec/algorithms.js';
import { dnskeyRdata, keyTag } from '../dist/dnssec/dnskey.js';
import { Signer } from '../dist/dnssec/signer.js';

const COUNT = Number(process.env.SIGN_COUNT ?? 20_000);

function keyFor(algorithm) {
  const { privateRaw, publicRaw } = generateRawKey(algorithm);
  const dnskey = dnskeyRdata(257, algorithm, publicRaw);
  return {
    zone: 'bench.example',
    algorithm,
    flags: 257,
    tag: keyTag(dnskey),
    dnskey,
    publicKey: publicRaw,
    privateKey: privateKeyFromRaw(algorithm, privateRaw).privateKey,
    ttl: null,
    timing: {},
    file: '',
  };
}

/** A distinct A RRset per index: what a steered answer over many origin sets looks like. */
function rrset(i) {
  return [
    {
      name: `host${i}.bench.example`,
      type: 1,
      ttl: 30,
      data: { kind: 'raw', bytes: Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255) },
    },
  ];
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

for (const [algorithm, name] of [
  [13, 'ECDSAP256SHA256'],
  [15, 'ED25519'],
]) {
  const key = keyFor(algorithm);
  const view = { id: 1, dnskey: [], cds: null, cdnskey: null, dataKeys: [key], keyKeys: [key], until: Infinity };
  const signer = new Signer(COUNT * 2);
  for (let i = 0; i < 500; i++) signer.sign(rrset(-1 - i), [key], view, 'bench.example', Date.now()); // warm-up
  const latencies = new Float64Array(COUNT);
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const t = performance.now();
    signer.sign(rrset(i), [key], view, 'bench.example', Date.now());
    latencies[i] = performance.now() - t;
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const hitStart = performance.now();
  for (let i = 0; i < COUNT; i++) signer.sign(rrset(i), [key], view, 'bench.example', Date.now());
  const hitUs = ((performance.now() - hitStart) * 1000) / COUNT;
  console.log(
    `${name}: ${Math.round(COUNT / seconds)} RRsets signed/s (one key), cold sign p50 ${(percentile(sorted, 50) * 1000).toFixed(0)} µs p99 ${(percentile(sorted, 99) * 1000).toFixed(0)} µs; cache hit (content key) ${hitUs.toFixed(1)} µs`,
  );
}

// Heap per 100k cached entries (ECDSA; Ed25519 signatures are the same size).
const key = keyFor(13);
const view = { id: 2, dnskey: [], cds: null, cdnskey: null, dataKeys: [key], keyKeys: [key], until: Infinity };
const signer = new Signer(100_000);
const kept = [];
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < 100_000; i++) {
  const r = rrset(i);
  kept.push(r);
  signer.sign(r, [key], view, 'bench.example', Date.now());
}
globalThis.gc?.();
const rrsetBytes = (() => {
  // The RRsets themselves belong to the zone or load balancer, not to the cache: measure and subtract.
  const again = [];
  const b = process.memoryUsage().heapUsed;
  for (let i = 0; i < 100_000; i++) again.push(rrset(i + 100_000));
  globalThis.gc?.();
  return process.memoryUsage().heapUsed - b;
})();
const total = process.memoryUsage().heapUsed - before - rrsetBytes;
console.log(
  `signature cache: ${signer.size} entries, ~${Math.round(total / 1024 / 1024)} MiB heap (~${Math.round(total / signer.size)} bytes per entry)${globalThis.gc ? '' : ' (run with --expose-gc for a steadier figure)'}`,
);
