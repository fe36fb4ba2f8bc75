#!/usr/bin/env node
// Benchmark of what-if replay: a generated query record (the geo load balancer of bench/zones-lb,
// ECS from BENCH_SUBNETS distinct public /24s, A and AAAA) replayed by `steerdns whatif` through
// the bench zones and a candidate with a changed geo map, with GeoLite2 City. Reports lines per
// second — per CPU second of the process beyond its start-up (a run over an empty log: loading
// the zones and the GeoIP database), which is what one core does whatever else shares the
// machine, and per wall-clock second of the whole command — and the peak resident memory, for
// each size in REPLAY_LINES, so a flat memory figure across sizes shows the replay is streamed.
//
//   npm run build && node scripts/bench-replay.mjs
//   REPLAY_LINES=250000,1000000        log sizes to run
//   BENCH_SUBNETS=10000                distinct client /24s
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLog } from './gen-replay-log.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizes = (process.env.REPLAY_LINES ?? '250000,1000000').split(',').map(Number);
const subnets = Number(process.env.BENCH_SUBNETS ?? 10_000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-bench-replay-'));

const candidate = path.join(dir, 'candidate');
cpSync(path.join(repoRoot, 'bench/zones-lb'), candidate, { recursive: true });
const lbFile = path.join(candidate, 'lb.bench.example.lb.yaml');
writeFileSync(lbFile, readFileSync(lbFile, 'utf8').replace('GB: [eu-west, us-east]', 'GB: [us-east, eu-west]'));

/** One whatif run over `log`: its output, wall seconds, CPU seconds (user + sys) and peak RSS. */
function whatif(log) {
  const args = [
    path.join(repoRoot, 'dist/cli/bin.js'),
    'whatif',
    '--zones',
    path.join(repoRoot, 'bench/zones-lb'),
    '--candidate',
    candidate,
  ];
  args.push('--log', log, '--geoip', 'default', '--format', 'json');
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`whatif failed: ${r.stderr}`);
  const [rss, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { doc: JSON.parse(r.stdout), seconds, cpu: user + sys, maxRssMiB: Math.round(rss / 1024) };
}

const empty = path.join(dir, 'empty.jsonl');
writeFileSync(empty, '');
const startup = whatif(empty);
const rows = [];
for (const lines of sizes) {
  const log = path.join(dir, `q-${lines}.jsonl`);
  await writeLog(log, lines, subnets);
  const r = whatif(log);
  rows.push({
    lines,
    replayed: r.doc.log.replayed,
    changed: r.doc.totals.changed,
    wallSeconds: +r.seconds.toFixed(2),
    cpuSeconds: +r.cpu.toFixed(2),
    linesPerCpuSecond: Math.round(lines / Math.max(0.01, r.cpu - startup.cpu)),
    linesPerWallSecond: Math.round(lines / r.seconds),
    maxRssMiB: r.maxRssMiB,
  });
  rmSync(log);
}
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: os.cpus()[0]?.model,
      cores: os.availableParallelism(),
      subnets,
      startup: { cpuSeconds: +startup.cpu.toFixed(2), maxRssMiB: startup.maxRssMiB },
      rows,
    },
    null,
    2,
  ),
);
