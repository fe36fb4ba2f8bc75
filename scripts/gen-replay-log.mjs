#!/usr/bin/env node
// Writes a generated query record of geo+ECS traffic for what-if replay benchmarks: the geo load
// balancer of bench/zones-lb, ECS from SUBNETS distinct public /24s, A and AAAA. Used by
// bench-replay.mjs; on its own it writes a log to keep and profile against.
//
//   node scripts/gen-replay-log.mjs OUT.jsonl LINES [SUBNETS]
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Deterministic public /24s (same generator idea as the DNS bench: no private or reserved space). */
export function subnetList(n) {
  let x = 0x9e3779b9;
  const out = [];
  while (out.length < n) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6a09e667) >>> 0;
    const a = (x >>> 24) & 0xff;
    if (a === 0 || a === 10 || a === 127 || a >= 224 || a === 100 || a === 169 || a === 172 || a === 192) continue;
    out.push(`${a}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.0/24`);
  }
  return out;
}

/** Streams `lines` records to `file`. */
export async function writeLog(file, lines, subnets) {
  const nets = subnetList(subnets);
  const out = createWriteStream(file);
  const t0 = 1_796_400_000_000;
  for (let i = 0; i < lines; i++) {
    const line = `{"v":1,"ts":${t0 + Math.floor(i / 10)},"transport":"udp","resolver":"192.0.2.${i % 250}","ecs":"${nets[i % nets.length]}","qname":"geo.lb.bench.example","qtype":"${i % 4 === 3 ? 'AAAA' : 'A'}","rcode":"NOERROR","kind":"answer","zone":"lb.bench.example","lb":"geo.lb.bench.example","pool":"us-east","origins":["a"],"scope":24,"sample":1}\n`;
    if (!out.write(line)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, lines, subnets] = process.argv.slice(2);
  if (file === undefined || !(Number(lines) > 0)) {
    console.error('usage: node scripts/gen-replay-log.mjs OUT.jsonl LINES [SUBNETS]');
    process.exit(2);
  }
  await writeLog(file, Number(lines), Number(subnets ?? 10_000));
}
