#!/usr/bin/env node
// Benchmark: dnsperf against steerdns (one process, the built dist/) and against a bare Node
// responder (scripts/bare-responder.mjs, the "Node I/O floor") in the same run, per query mix.
// Prints a table with the ratio steerdns / bare and writes JSON to bench-results/<timestamp>.json.
//
//   npm run bench                      (builds first, then runs this file)
//   BENCH_SECONDS=6                    measured seconds per run (dnsperf -l)
//   BENCH_WARMUP=1                     unmeasured warm-up seconds per server and mix (JIT, caches)
//   BENCH_REPEAT=3                     interleaved runs per (mix, server); the median-qps run is reported
//   BENCH_MIXES=static-udp,...         only these mixes
//   BENCH_LATENCY_SECONDS=3            length of the separate dnsperf -v run that yields p50/p99
//   BENCH_P99=0                        skip that run (no p99)
//
// Load is closed-loop: dnsperf keeps -q queries outstanding, so latency ≈ outstanding / qps and
// compares servers only at the same settings. -c/-q are small on purpose: one single-threaded
// server needs ~100 queries in flight to stay busy, and more would only queue in socket buffers.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

/**
 * The query mixes. Fields:
 *   name         row label (and BENCH_MIXES key)
 *   description  what the mix measures
 *   zonesDir     steerdns --zones for this mix (a steerdns process is started per mix)
 *   serverArgs   extra steerdns serve flags (e.g. ['--geoip', 'path/to.mmdb']); default ['--geoip', 'off']
 *   datafile     dnsperf -d input: "name type" per line
 *   dnsperfArgs  load shape and extras: -c/-q, -m tcp, -e, -E code:hex (EDNS option), -O ...
 *   expectRcode  the rcode steerdns should give to most queries (a sanity check, not a gate)
 *
 * Load-balanced mixes plug in here, e.g.
 *   { name: 'geo-ecs-udp', zonesDir: 'bench/zones-lb', serverArgs: ['--geoip', 'bench/geo.mmdb'],
 *     datafile: 'bench/data/geo.txt', dnsperfArgs: [...UDP_LOAD, '-E', '8:00011800c63364'] }
 * where 8 is the ECS option code and the hex value is family 1, source /24, scope 0, 198.51.100.
 */
const UDP_LOAD = ['-c', '1', '-q', '100'];
// TCP: 8 connections, 400 queries in flight, pipelined. dnsperf reconnects by itself after 1000
// queries because steerdns closes a connection after 1000 (tcp maxQueriesPerConnection): queries
// pipelined past that point are read but never answered, and each loss stalls dnsperf for its 5 s
// timeout. The bare responder closes after 1000 too (--tcp-max-queries), so both see the same
// connection pattern; when dnsperf has to close first it pauses ~100 ms per reconnection.
const TCP_LOAD = ['-m', 'tcp', '-c', '8', '-q', '400', '-O', 'num-queries-per-conn=1000'];

const MIXES = [
  {
    name: 'static-udp',
    description: 'A/AAAA for 300 existing names of a static zone, UDP',
    zonesDir: 'bench/zones',
    datafile: 'bench/data/static.txt',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NOERROR',
  },
  {
    name: 'nxdomain-udp',
    description: 'A for 300 missing names (NXDOMAIN with SOA), UDP',
    zonesDir: 'bench/zones',
    datafile: 'bench/data/nxdomain.txt',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NXDOMAIN',
  },
  {
    name: 'geo-ecs-udp',
    description: 'geo load balancer, ECS 81.2.69.0/24 (GB) on every query, GeoLite2 City, UDP',
    zonesDir: 'bench/zones-lb',
    serverArgs: ['--geoip', 'default'],
    datafile: 'bench/data/geo.txt',
    dnsperfArgs: [...UDP_LOAD, '-E', '8:00011800510245'],
    expectRcode: 'NOERROR',
  },
  {
    name: 'hash-ecs-udp',
    description: 'hash load balancer (weighted rendezvous per client subnet), ECS 81.2.69.0/24, UDP',
    zonesDir: 'bench/zones-lb',
    serverArgs: ['--geoip', 'default'],
    datafile: 'bench/data/hash.txt',
    dnsperfArgs: [...UDP_LOAD, '-E', '8:00011800510245'],
    expectRcode: 'NOERROR',
  },
  {
    name: 'static-tcp',
    description: 'A/AAAA for 300 existing names, TCP, 8 connections, pipelined',
    zonesDir: 'bench/zones',
    datafile: 'bench/data/static.txt',
    dnsperfArgs: TCP_LOAD,
    expectRcode: 'NOERROR',
  },
];

/** Servers per mix. The bare responder answers every query with one fixed A record. */
const SERVERS = [
  { name: 'bare-node', bare: true },
  { name: 'steerdns', bare: false },
];

const config = {
  seconds: positiveNumber('BENCH_SECONDS', 6),
  warmup: nonNegativeNumber('BENCH_WARMUP', 1),
  repeat: Math.round(positiveNumber('BENCH_REPEAT', 3)),
  p99: process.env.BENCH_P99 !== '0',
  latencySeconds: positiveNumber('BENCH_LATENCY_SECONDS', 3),
  mixes: process.env.BENCH_MIXES ? process.env.BENCH_MIXES.split(',').map((s) => s.trim()).filter(Boolean) : null,
};

function positiveNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) fail(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}
function nonNegativeNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`${name} must be a number >= 0, got ${JSON.stringify(raw)}`);
  return n;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

function findTool(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Processes and ports

/** A port free for both UDP and TCP on HOST (bind 0, check, release). */
async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const { port: p } = server.address();
        server.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, HOST, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${HOST}`);
}

/** A minimal DNS query (RD=0, no EDNS) for `name` type A. */
function dnsQuery(name, id) {
  const labels = name.replace(/\.$/, '').split('.');
  const parts = [Buffer.from([id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const label of labels) parts.push(Buffer.from([label.length]), Buffer.from(label, 'ascii'));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

function udpAnswers(port, name, timeoutMs) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 0xffff);
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, timeoutMs);
    socket.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) {
        clearTimeout(timer);
        socket.close();
        resolve(true);
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      socket.close();
      resolve(false);
    });
    socket.send(dnsQuery(name, id), port, HOST);
  });
}

const children = new Set();

/** Start a server process and wait (with a deadline) until it answers a UDP query. */
async function startServer(label, argv, probeName) {
  const port = await freePort();
  const args = argv(port);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (b) => (output = (output + b.toString()).slice(-8192)));
  child.stderr.on('data', (b) => (output = (output + b.toString()).slice(-8192)));
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  child.once('exit', () => children.delete(child));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`${label} exited during startup (${JSON.stringify(exited)}):\n${output}`);
    if (await udpAnswers(port, probeName, 200)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not answer on ${HOST}:${port} within 20 s:\n${output}`);
    }
  }
  return {
    label,
    port,
    pid: child.pid,
    command: `node ${args.map((a) => path.relative(repoRoot, a) || a).join(' ')}`,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}

function killChildren() {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where unavailable. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after "(comm) ": state is [0], utime [11], stime [12] (man 5 proc: fields 14 and 15).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

// ---------------------------------------------------------------------------------------------
// dnsperf

function runDnsperf(dnsperf, args, stdoutFile) {
  return new Promise((resolve, reject) => {
    const fd = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
    const child = spawn(dnsperf, args, { stdio: ['ignore', fd, 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (b) => (out += b.toString()));
    child.stderr.on('data', (b) => (err = (err + b.toString()).slice(-65536)));
    child.once('error', reject);
    child.once('exit', (code) => {
      children.delete(child);
      if (typeof fd === 'number') closeSync(fd);
      const text = stdoutFile ? readStatistics(stdoutFile) : out;
      if (code !== 0) reject(new Error(`dnsperf ${args.join(' ')} exited ${code}:\n${text}${err}`));
      else resolve(text);
    });
  });
}

/** With -v, stdout holds one line per query before the statistics; return only the statistics. */
function readStatistics(file) {
  const text = readFileSync(file, 'utf8');
  const at = text.lastIndexOf('\nStatistics:');
  return at >= 0 ? text.slice(at) : text.slice(-4096);
}

function parseDnsperf(text) {
  // TCP runs end with a "Connection Statistics" block that repeats the latency lines.
  const main = text.split(/\nConnection Statistics:/)[0];
  const num = (re) => {
    const m = re.exec(main);
    return m ? Number(m[1]) : null;
  };
  const latency = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(main);
  const rcodes = {};
  const codes = /Response codes:\s+(.*)/.exec(main);
  if (codes) {
    for (const part of codes[1].split(',')) {
      const m = /(\w+) (\d+)/.exec(part.trim());
      if (m) rcodes[m[1]] = Number(m[2]);
    }
  }
  const reconnections = /Reconnections:\s+(\d+)/.exec(text);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: latency ? Number(latency[1]) * 1000 : null,
    minMs: latency ? Number(latency[2]) * 1000 : null,
    maxMs: latency ? Number(latency[3]) * 1000 : null,
    stddevMs: (() => {
      const s = num(/Latency StdDev \(s\):\s+([\d.]+)/);
      return s === null ? null : s * 1000;
    })(),
    rcodes,
    reconnections: reconnections ? Number(reconnections[1]) : null,
  };
}

/** Percentiles of the per-query latencies dnsperf -v prints as "> RCODE name type seconds". */
async function latencyPercentiles(file) {
  let values = new Float64Array(1 << 20);
  let n = 0;
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.startsWith('> ')) continue;
    const seconds = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(seconds)) continue;
    if (n === values.length) {
      const bigger = new Float64Array(values.length * 2);
      bigger.set(values);
      values = bigger;
    }
    values[n++] = seconds;
  }
  if (n === 0) return null;
  const sorted = values.subarray(0, n).sort();
  const at = (p) => sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)] * 1000;
  return { samples: n, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), p999Ms: at(99.9) };
}

const shown = (args) => `dnsperf ${args.map((a) => (a.startsWith(repoRoot) ? path.relative(repoRoot, a) : a)).join(' ')}`;

/** One throughput run (no -v: a line per query costs dnsperf enough CPU to cap the floor). */
async function throughputRun(dnsperf, base, server) {
  const args = [...base, '-l', String(config.seconds)];
  const cpuBefore = cpuSeconds(server.pid);
  const started = process.hrtime.bigint();
  const text = await runDnsperf(dnsperf, args, null);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuSeconds(server.pid);
  return {
    ...parseDnsperf(text),
    serverCpuPct: cpuBefore !== null && cpuAfter !== null ? (100 * (cpuAfter - cpuBefore)) / wall : null,
    loadavg1: Number(os.loadavg()[0].toFixed(2)),
    command: shown(args),
  };
}

/**
 * Percentiles from a separate, shorter run at the same load with -v: dnsperf 2.10 prints no
 * histogram or percentiles, only per-query latencies in verbose mode.
 */
async function latencyRun(dnsperf, base, file) {
  const args = [...base, '-l', String(config.latencySeconds), '-v'];
  const stats = parseDnsperf(await runDnsperf(dnsperf, args, file));
  const pct = await latencyPercentiles(file);
  rmSync(file, { force: true });
  return pct ? { ...pct, qps: stats.qps, command: shown(args) } : null;
}

/**
 * All servers for one mix. Runs are interleaved (bare, steerdns, bare, steerdns, ...) so that
 * noise from other work on the machine hits both sides alike; the median-qps run is reported.
 */
async function measureMix(dnsperf, mix, targets, tmp) {
  const baseFor = (server) => ['-s', HOST, '-p', String(server.port), '-d', path.join(repoRoot, mix.datafile), ...mix.dnsperfArgs];
  if (config.warmup > 0) {
    for (const { server } of targets) await runDnsperf(dnsperf, [...baseFor(server), '-l', String(config.warmup)], null);
  }
  const runs = targets.map(() => []);
  for (let round = 0; round < config.repeat; round++) {
    process.stdout.write(`  ${mix.name}${config.repeat > 1 ? ` round ${round + 1}/${config.repeat}` : ''}:`);
    for (const [i, { spec, server }] of targets.entries()) {
      const run = await throughputRun(dnsperf, baseFor(server), server);
      runs[i].push(run);
      process.stdout.write(` ${spec.name} ${fmt(run.qps, 0)} qps (cpu ${fmt(run.serverCpuPct, 0)}%)`);
    }
    process.stdout.write('\n');
  }
  const results = [];
  for (const [i, { spec, server }] of targets.entries()) {
    const sorted = [...runs[i]].sort((a, b) => (a.qps ?? 0) - (b.qps ?? 0));
    const median = sorted[Math.floor(sorted.length / 2)];
    const latency = config.p99 ? await latencyRun(dnsperf, baseFor(server), path.join(tmp, `${mix.name}-${spec.name}.out`)) : null;
    results.push({ spec, server, median, runs: runs[i], latency });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(n, digits) {
  return n === null || n === undefined ? 'n/a' : n.toFixed(digits);
}

function printTable(rows) {
  const header = ['mix', 'server', 'qps', 'avg ms', 'p99 ms', 'max ms', 'lost', 'srv cpu%', 'ratio'];
  const body = rows.map((r) => [
    r.mix,
    r.server,
    fmt(r.qps, 0),
    fmt(r.avgMs, 3),
    fmt(r.p99Ms, 3),
    fmt(r.maxMs, 2),
    r.sent ? `${((100 * (r.lost ?? 0)) / r.sent).toFixed(2)}%` : 'n/a',
    fmt(r.serverCpuPct, 0),
    r.ratio === null ? 'n/a' : `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const dnsperf = findTool('dnsperf');
  if (!dnsperf) {
    process.stderr.write('bench: dnsperf is not installed. Install it with: apt-get install dnsperf (Debian/Ubuntu)\n');
    process.exit(1);
  }
  const cli = path.join(repoRoot, 'dist/cli/main.js');
  if (!existsSync(cli)) fail(`${path.relative(repoRoot, cli)} is missing: run "npm run bench" (it builds first) or "npm run build"`);
  const mixes = config.mixes ? MIXES.filter((m) => config.mixes.includes(m.name)) : MIXES;
  if (mixes.length === 0) fail(`BENCH_MIXES matched none of: ${MIXES.map((m) => m.name).join(', ')}`);

  // dnsperf -h prints its version among the usage text, on stdout or stderr depending on version.
  const help = spawnSync(dnsperf, ['-h'], { encoding: 'utf8' });
  const dnsperfVersion = /Version (\S+)/.exec(`${help.stdout}${help.stderr}`)?.[1] ?? null;
  const startedAt = new Date();
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    dnsperf: dnsperfVersion,
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(`steerdns bench — ${startedAt.toISOString()}`);
  console.log(`machine: nproc ${machine.nproc}, ${machine.cpu}, ${machine.memGiB} GiB, ${machine.platform}`);
  console.log(`node ${machine.node}, dnsperf ${machine.dnsperf ?? '?'}, load average ${machine.loadavg.join(' ')}`);
  console.log(
    `runs: ${config.seconds}s measured after ${config.warmup}s warm-up, x${config.repeat}` +
      `${config.p99 ? `; p99 from a separate ${config.latencySeconds}s dnsperf -v run at the same load` : '; p99 off (BENCH_P99=0)'}; steerdns single process, log level warn`,
  );
  console.log('');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'steerdns-bench-'));
  const rows = [];
  let bare = null;
  try {
    bare = await startServer('bare-node', (port) => [path.join(repoRoot, 'scripts/bare-responder.mjs'), '--host', HOST, '--port', String(port)], 'probe.bench.example');
    for (const mix of mixes) {
      const probeName = readFileSync(path.join(repoRoot, mix.datafile), 'utf8').split('\n')[0].split(/\s+/)[0];
      const steer = await startServer(
        'steerdns',
        (port) => [
          cli,
          'serve',
          '--zones',
          path.join(repoRoot, mix.zonesDir),
          '--listen',
          `${HOST}:${port}`,
          '--log-level',
          'warn',
          ...(mix.serverArgs ?? ['--geoip', 'off']),
        ],
        probeName,
      );
      try {
        const targets = SERVERS.map((spec) => ({ spec, server: spec.bare ? bare : steer }));
        const measured = await measureMix(dnsperf, mix, targets, tmp);
        const floor = measured.find((m) => m.spec.bare)?.median.qps ?? null;
        for (const { spec, server, median, runs, latency } of measured) {
          const ratio = floor && median.qps !== null ? median.qps / floor : null;
          const expected = spec.bare ? 'NOERROR' : mix.expectRcode;
          const total = Object.values(median.rcodes).reduce((a, b) => a + b, 0);
          if (total > 0 && (median.rcodes[expected] ?? 0) / total < 0.99) {
            console.log(`  WARNING ${mix.name} / ${spec.name}: rcodes ${JSON.stringify(median.rcodes)}, expected mostly ${expected}`);
          }
          if (median.sent && (median.lost ?? 0) / median.sent > 0.01) {
            console.log(`  WARNING ${mix.name} / ${spec.name}: ${median.lost} of ${median.sent} queries lost`);
          }
          rows.push({
            mix: mix.name,
            server: spec.name,
            ...median,
            p50Ms: latency?.p50Ms ?? null,
            p99Ms: latency?.p99Ms ?? null,
            ratio,
            latencyRun: latency,
            runs,
            serverCommand: server.command,
          });
        }
      } finally {
        await steer.stop();
      }
    }
  } finally {
    await bare?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log('');
  printTable(rows);
  console.log('');
  console.log('ratio = steerdns qps / bare Node responder qps in the same mix (target for static answers: >= 0.80x).');
  console.log('srv cpu% = server process CPU during the run; near 100 means the server, not dnsperf, is the bottleneck.');
  if (!config.p99) console.log('p99 not measured (BENCH_P99=0).');
  const staticRow = rows.find((r) => r.mix === 'static-udp' && r.server === 'steerdns');
  if (staticRow?.ratio != null) {
    console.log(`static-udp: ${staticRow.ratio.toFixed(2)}x the bare responder — target 0.80x ${staticRow.ratio >= 0.8 ? 'met' : 'NOT met'}.`);
  }

  const outDir = path.join(repoRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outFile = path.join(outDir, `${stamp}.json`);
  writeFileSync(
    outFile,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, config, mixes: mixes.map(({ name, description, zonesDir, datafile, dnsperfArgs, serverArgs }) => ({ name, description, zonesDir, datafile, dnsperfArgs, serverArgs: serverArgs ?? ['--geoip', 'off'] })), results: rows }, null, 2)}\n`,
  );
  console.log(`results: ${path.relative(repoRoot, outFile)}`);
}

main().catch((err) => {
  killChildren();
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
