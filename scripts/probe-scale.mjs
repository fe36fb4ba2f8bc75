#!/usr/bin/env node
// Prober at scale with hanging origins: N HTTP targets on loopback, a share of which
// accept and never answer; are the healthy ones still probed every interval? The big version of
// the scale case in test/hardening/probe-faults.test.ts.
//
//   npm run build && node scripts/probe-scale.mjs
//
// The prober (dist/health: Prober + HealthTable, wired as the server wires them) runs in this
// process; the origins (scripts/probe-origins.mjs) in a child process, so their work does not
// delay the prober and this process's descriptors and CPU are the prober's own.
//
// Environment:
//   PROBE_TARGETS=10000      targets (half hanging by default), rounded to addresses × 2 × k
//   PROBE_HANG=0.5           share of targets whose origin accepts and never answers
//   PROBE_INTERVAL=5         monitor interval, s
//   PROBE_TIMEOUT=2          monitor timeout, s
//   PROBE_SECONDS=60         length of the run
//   PROBE_ADDRESSES=500      loopback addresses (127.77.x.y); two listeners each
//   PROBE_CONCURRENCY=       fixed prober concurrency (default: automatic)
//   PROBE_DIST=dist          the build to measure
// Prints one JSON object of figures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork } from 'node:child_process';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.env.PROBE_DIST ?? path.join(repoRoot, 'dist'));
const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);

const TARGETS = num('PROBE_TARGETS', 10_000);
const HANG = num('PROBE_HANG', 0.5);
const INTERVAL_S = num('PROBE_INTERVAL', 5);
const TIMEOUT_S = num('PROBE_TIMEOUT', 2);
const SECONDS = num('PROBE_SECONDS', 60);
const ADDRESSES = num('PROBE_ADDRESSES', 500);
const CONCURRENCY = process.env.PROBE_CONCURRENCY ? Number(process.env.PROBE_CONCURRENCY) : undefined;
/** Gaps up to interval + 10% jitter + this count as on time. */
const SLACK_MS = 1000;

const { Prober } = await import(pathToFileURL(path.join(dist, 'health/prober.js')).href);
const { HealthTable } = await import(pathToFileURL(path.join(dist, 'health/table.js')).href);
const { targetKey } = await import(pathToFileURL(path.join(dist, 'health/types.js')).href);

const openFds = () => fs.readdirSync('/proc/self/fd').length;
const fdLimit = () => Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? NaN);
/** CPU time of the main thread (the prober), ms, from /proc/self/task/<pid>/stat. */
function mainThreadCpuMs() {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, at USER_HZ = 100
}

const spec = (m) =>
  Object.freeze({
    type: 'http',
    port: 80,
    path: `/m${m}`,
    method: 'GET',
    header: {},
    expected_codes: '200',
    expected_body: '',
    allow_insecure: false,
    follow_redirects: false,
    query_name: '',
    query_type: 'A',
    expected_rcode: 'NOERROR',
    interval: INTERVAL_S,
    timeout: TIMEOUT_S,
    retries: 0,
    consecutive_up: 1,
    consecutive_down: 1,
  });

// Origins: ADDRESSES addresses × (hang + ok) listeners, in a child process.
const addresses = Array.from({ length: ADDRESSES }, (_, i) => `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const origins = fork(path.join(repoRoot, 'scripts/probe-origins.mjs'), [], {
  env: { ...process.env, PROBE_ORIGINS: JSON.stringify({ addresses }) },
});
const originsExit = new Promise((resolve) => origins.once('exit', resolve));
const ask = (question, type) =>
  new Promise((resolve) => {
    const onMessage = (message) => {
      if (message.type !== type) return;
      origins.off('message', onMessage);
      resolve(message);
    };
    origins.on('message', onMessage);
    if (question) origins.send(question);
  });
const { servers } = await ask('', 'ready');

// Targets: per address, k monitors; target j of the address hangs if j < k × 2 × HANG.
const perAddress = Math.max(1, Math.round(TARGETS / ADDRESSES));
const targets = [];
const healthy = [];
const hanging = new Set();
for (const { address, hangPort, okPort } of servers) {
  const hangs = Math.round(perAddress * HANG);
  for (let j = 0; j < perAddress; j++) {
    const port = j < hangs ? hangPort : okPort;
    const monitor = spec(j);
    const key = targetKey(`m${j}`, address, port);
    targets.push(Object.freeze({ key, monitor, address, port }));
    if (j < hangs) hanging.add(key);
    else healthy.push(`${address} /m${j}`);
  }
}

const fdsBefore = openFds();
const table = new HealthTable();
const prober = new Prober(table, CONCURRENCY === undefined ? {} : { concurrency: CONCURRENCY });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const cpuProcess = process.cpuUsage();
const cpuMain = mainThreadCpuMs();
const started = performance.now();
table.setTargets(targets);
prober.update(targets);
let readyMs = null;
prober.ready.then(() => (readyMs = Math.round(performance.now() - started)));
let peakFds = 0;
let peakRunning = 0;
/** Why healthy origins were seen down (a busy box can make a healthy origin time out). */
const healthyDownReasons = {};
table.on('transition', (t) => {
  if (!t.up && !hanging.has(t.key)) healthyDownReasons[t.reason] = (healthyDownReasons[t.reason] ?? 0) + 1;
});
const series = [];
let lastSample = performance.now();
const sampler = setInterval(() => {
  const fds = openFds();
  peakFds = Math.max(peakFds, fds);
  peakRunning = Math.max(peakRunning, prober.running);
  const now = performance.now();
  if (process.env.PROBE_SERIES)
    series.push({
      t: Math.round(now - started),
      running: prober.running,
      queued: prober.queued,
      fds,
      tickMs: Math.round(now - lastSample),
    });
  lastSample = now;
}, 1000);
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
clearInterval(sampler);
const wallMs = performance.now() - started;
const firstRoundMs = readyMs; // null: the first round did not finish within the run
const processCpu = process.cpuUsage(cpuProcess);
const mainCpuMs = mainThreadCpuMs() - cpuMain;
loopDelay.disable();
// Older builds (before probe slots were sized) have no capacity() / stats(): count completed probes from the table.
const stats = prober.stats?.() ?? null;
const probes = table.stats().reduce((n, s) => n + s.probesPassed + s.probesFailed, 0);
const healthyFailed = table.stats().filter((s) => !hanging.has(s.key) && s.probesFailed > 0).length;
const hangingDown = table.stats().filter((s) => hanging.has(s.key) && s.known && !s.up).length;
await prober.stop();
let counts = await ask('counts', 'counts');
for (const deadline = Date.now() + 10_000; counts.open > 0 && Date.now() < deadline; ) counts = await ask('counts', 'counts');
// Every probe socket closed: comparable with fdsBefore.
for (const deadline = Date.now() + 5000; openFds() > fdsBefore && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
const fdsAfter = openFds();
const { arrivals } = await ask('arrivals', 'arrivals');
await ask('close', 'closed');
await originsExit;

const gaps = [];
let neverProbed = 0;
for (const key of healthy) {
  const list = arrivals[key] ?? [];
  if (list.length === 0) neverProbed++;
  for (let i = 1; i < list.length; i++) gaps.push(list[i] - list[i - 1]);
}
gaps.sort((a, b) => a - b);
const pct = (p) => (gaps.length ? Math.round(gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))]) : null);
const limitMs = INTERVAL_S * 1000 * 1.1 + SLACK_MS;
const round1 = (x) => Math.round(x * 10) / 10;

console.log(
  JSON.stringify(
    {
      host: { cpus: os.cpus().length, node: process.version, fdLimit: fdLimit() },
      run: { targets: targets.length, hanging: hanging.size, intervalS: INTERVAL_S, timeoutS: TIMEOUT_S, seconds: SECONDS },
      capacity: prober.capacity?.() ?? null,
      peakRunning,
      firstRoundMs,
      probes,
      probesPerSecond: Math.round((probes / wallMs) * 1000),
      cpuPercentOfOneCore: {
        mainThread: round1((mainCpuMs / wallMs) * 100),
        process: round1(((processCpu.user + processCpu.system) / 1000 / wallMs) * 100),
      },
      eventLoopDelayMs: { p99: round1(loopDelay.percentile(99) / 1e6), max: round1(loopDelay.max / 1e6) },
      fds: { before: fdsBefore, peak: peakFds, after: fdsAfter },
      originsOpenAfterStop: counts.open,
      healthy: {
        neverProbed,
        gapsMs: { n: gaps.length, p50: pct(0.5), p99: pct(0.99), max: gaps.length ? Math.round(gaps.at(-1)) : null },
        onTimePercent: gaps.length ? round1((gaps.filter((g) => g <= limitMs).length / gaps.length) * 100) : 0,
        onTimeLimitMs: limitMs,
        withAFailure: healthyFailed,
        downReasons: healthyDownReasons,
      },
      hangingDown,
      late: stats && { probes: stats.late, maxMs: Math.round(stats.maxLateMs) },
      ...(process.env.PROBE_SERIES ? { series } : {}),
    },
    null,
    2,
  ),
);
