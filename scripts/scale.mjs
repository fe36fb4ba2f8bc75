#!/usr/bin/env node
// Scale figures for docs/performance.md: how steerdns behaves with big zones, many monitored
// origins and many load balancers. Everything runs on loopback, each measured server in a child
// process of its own so its CPU and memory are its own.
//
//   npm run build && node scripts/scale.mjs
//
// Sections (SCALE_ONLY=zones,reload,probes,lbs,publish runs a subset):
//   zones   zone files of 10k, 100k and 1M A records loaded as at startup: time, RSS after the
//           load, peak RSS, live heap after a full GC
//   reload  the 1M-record zone reloaded (a new serial) while dnsperf queries the server: dnsperf's
//           lost queries, the longest event-loop stall during the reload and in the 5 s after
//           it (the longest gap between runs of a 1 ms timer, so a stall of any length counts,
//           even one that lasts the whole reload), and the same over a quiet stretch under load
//   probes  1k and 10k origins, TCP monitors every 10 s against loopback listeners this script
//           opens on 127.0.x.y: the server's CPU (process.cpuUsage) over SCALE_PROBE_SECONDS;
//           SCALE_PROBE_DOWN=0.2 leaves that share of the origins without a listener, so they
//           go down in the first round (a transition each) and keep failing
//   lbs     a zone with an LB file of 1k and 10k load balancers (own pool of two origins each,
//           no monitors): RSS above the same zone without load balancers, per 1k
//   publish the cost of one health change reaching the serving state, in process (no probes):
//           1k origins / 100 LBs and 10k origins / 1k LBs (pools of 10, one LB per pool); the
//           time from HealthTable.report() of one up→down transition until state.current has
//           it (median and p99 over 200 transitions), a burst of 1000 transitions in one turn,
//           and a full prepare from scratch (setOrigins) for comparison
//
// Environment: SCALE_RECORDS=10000,100000,1000000  SCALE_PROBE_ORIGINS=1000,10000
//   SCALE_PROBE_SECONDS=30  SCALE_LBS=1000,10000  SCALE_RELOAD_SECONDS=30 (dnsperf run length)
//   SCALE_PUBLISH=1000:100,10000:1000 (origins:load balancers)
//   SCALE_DIST=path/to/dist (measure another build, e.g. an older commit's)
// Prints a table and writes bench-results/scale-<timestamp>.json.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const dist = path.resolve(process.env.SCALE_DIST ?? path.join(repoRoot, 'dist'));
const ORIGIN = 'scale.test';
const list = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const mb = (bytes) => Math.round(bytes / 1e6);

// ---------------------------------------------------------------------------------------------
// Files

/** A zone of `n` A records h0..h<n-1>, written in pieces (a 1M-record file is 25 MB). */
function writeZone(file, n, serial = 1) {
  const fd = fs.openSync(file, 'w');
  let text = `$TTL 300\n@ IN SOA ns1 hostmaster ${serial} 3600 600 86400 60\n  IN NS ns1\nns1 IN A 10.255.255.1\n`;
  for (let i = 0; i < n; i++) {
    text += `h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n`;
    if (text.length > 1 << 20) {
      fs.writeSync(fd, text);
      text = '';
    }
  }
  fs.writeSync(fd, text);
  fs.closeSync(fd);
}

function zoneDir(root, name) {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Origin i of a probe test: its own loopback address, all on one port. */
function probeAddress(i) {
  return `127.0.${2 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** LB file: `origins` monitored origins in pools of `perPool` (50), one load balancer per pool. */
function probeLbFile(origins, port, perPool = 50) {
  let y = `monitors:\n  up:\n    type: tcp\n    port: ${port}\n    interval: 10\n    timeout: 2\n    retries: 0\npools:\n`;
  const pools = Math.ceil(origins / perPool);
  for (let p = 0; p < pools; p++) {
    y += `  p${p}:\n    monitor: up\n    origins:\n`;
    for (let i = p * perPool; i < Math.min(origins, (p + 1) * perPool); i++) y += `      - { name: o${i}, address: ${probeAddress(i)} }\n`;
  }
  y += 'load_balancers:\n';
  for (let p = 0; p < pools; p++) y += `  lb${p}:\n    default_pools: [p${p}]\n`;
  return y;
}

/** LB file: `count` load balancers, each with a pool of two documentation-address origins. */
function manyLbsFile(count) {
  let y = 'pools:\n';
  for (let i = 0; i < count; i++) {
    y += `  p${i}:\n    origins:\n      - { name: a, address: 192.0.2.${1 + (i % 250)} }\n      - { name: b, address: 198.51.100.${1 + (i % 250)} }\n`;
  }
  y += 'load_balancers:\n';
  for (let i = 0; i < count; i++) y += `  lb${i}:\n    steering_policy: random\n    default_pools: [p${i}]\n`;
  return y;
}

// ---------------------------------------------------------------------------------------------
// Child processes: one measured thing each

async function childMain(mode, args) {
  const { loadConfigDir } = await import(pathToFileURL(path.join(dist, 'config/config-loader.js')).href);
  if (mode === 'load') {
    const [dir] = args;
    const t0 = performance.now();
    const outcome = loadConfigDir(dir, new Map(), true);
    const ms = performance.now() - t0;
    if (outcome.errors.length > 0) throw new Error(outcome.errors.map((e) => e.describe()).join('\n'));
    const rss = process.memoryUsage().rss;
    globalThis.gc?.();
    const mem = process.memoryUsage();
    const records = [...outcome.origins.values()].reduce((n, o) => n + o.zone.recordCount, 0);
    process.send({ records, ms, rss, peakRss: process.resourceUsage().maxRSS * 1024, heap: mem.heapUsed, rssAfterGc: mem.rss });
    return;
  }
  if (mode === 'publish') {
    const [dir] = args;
    const { StateHolder } = await import(pathToFileURL(path.join(dist, 'config/state.js')).href);
    const { HealthTable } = await import(pathToFileURL(path.join(dist, 'health/table.js')).href);
    const outcome = loadConfigDir(dir, new Map(), true);
    if (outcome.errors.length > 0) throw new Error(outcome.errors.map((e) => e.describe()).join('\n'));
    const table = new HealthTable();
    const state = new StateHolder(table.snapshot(), null);
    let t0 = performance.now();
    state.setOrigins(outcome.origins);
    const fullMs = performance.now() - t0;
    const targets = [...outcome.origins.values()].flatMap((o) => o.lb?.probeTargets ?? []);
    table.setTargets(targets);
    table.on('snapshot', (snapshot) => state.setHealth(snapshot));
    void state.current; // publishes the snapshot of setTargets
    const keys = targets.map((t) => t.key);
    const fail = () => ({ ok: false, reason: 'ECONNREFUSED', durationMs: 1, at: Date.now() });
    // One transition at a time, each read back at once (as the next query would).
    const singles = [];
    const n = Math.min(200, keys.length);
    for (let i = 0; i < n; i++) {
      const key = keys[Math.floor((i * keys.length) / n)];
      t0 = performance.now();
      table.report(key, fail());
      if (state.current.health !== table.snapshot()) throw new Error('the state does not have the new health');
      singles.push(performance.now() - t0);
    }
    singles.sort((a, b) => a - b);
    // A burst: 1000 other targets fail in one turn, then the state is read.
    const taken = new Set(Array.from({ length: n }, (_, i) => Math.floor((i * keys.length) / n)));
    const burstKeys = keys.filter((_, i) => !taken.has(i)).slice(0, 1000);
    t0 = performance.now();
    for (const key of burstKeys) table.report(key, fail());
    if (state.current.health !== table.snapshot()) throw new Error('the state does not have the new health');
    const burstMs = performance.now() - t0;
    const lbs = [...outcome.origins.values()].reduce((sum, o) => sum + (o.lb?.loadBalancers.size ?? 0), 0);
    process.send({
      origins: keys.length,
      loadBalancers: lbs,
      fullMs,
      burst: burstKeys.length,
      burstMs,
      medianMs: singles[Math.floor(singles.length / 2)],
      p99Ms: singles[Math.min(singles.length - 1, Math.floor(singles.length * 0.99))],
    });
    return;
  }
  if (mode === 'serve') {
    const [dir, probe] = args;
    const { startServer } = await import(pathToFileURL(path.join(dist, 'server/server.js')).href);
    const { silentLogger } = await import(pathToFileURL(path.join(dist, 'server/logger.js')).href);
    const server = await startServer({
      zonesDir: dir,
      listen: ['127.0.0.1:0'],
      geoip: null,
      logger: silentLogger(),
      watch: false,
      probe: probe === 'probe',
    });
    // Only in reload runs: its 1 ms timer would count in the probe runs' CPU.
    let meter = null;
    const stallMeter = () => (meter ??= new StallMeter());
    process.on('message', async (m) => {
      const stall = m.cmd === 'quiet' || m.cmd === 'reload' ? stallMeter() : null;
      if (m.cmd === 'quiet') {
        // The same stall measure with no reload, for comparison (GC under query load).
        stall.reset();
        await new Promise((r) => setTimeout(r, m.ms));
        process.send({ maxStallMs: await stall.longest() });
      } else if (m.cmd === 'reload') {
        const rssBefore = process.memoryUsage().rss;
        stall.reset();
        const t0 = performance.now();
        const outcome = await server.reload(true);
        const ms = performance.now() - t0;
        const maxStallMs = await stall.longest();
        // The replaced zone is garbage now; collecting it must not stall queries either.
        stall.reset();
        await new Promise((r) => setTimeout(r, m.afterMs));
        const afterMaxStallMs = await stall.longest();
        const zone = server.state.current.origins.get(ORIGIN)?.zone;
        process.send({
          ms,
          maxStallMs,
          afterMaxStallMs,
          errors: outcome.errors.length,
          serial: zone?.serial,
          rssBefore,
          rssAfter: process.memoryUsage().rss,
          peakRss: process.resourceUsage().maxRSS * 1024,
        });
      } else if (m.cmd === 'ready') {
        process.send({ ready: server.isReady() });
      } else if (m.cmd === 'cpu') {
        const start = process.cpuUsage();
        await new Promise((r) => setTimeout(r, m.seconds * 1000));
        const used = process.cpuUsage(start);
        const snapshot = server.state.current.health;
        let up = 0;
        for (const o of server.state.current.origins.values())
          for (const t of o.lb?.probeTargets ?? []) if (snapshot.get(t.key)?.up && snapshot.get(t.key)?.known) up++;
        process.send({ userMs: used.user / 1000, systemMs: used.system / 1000, up, rss: process.memoryUsage().rss });
      } else if (m.cmd === 'mem') {
        globalThis.gc?.();
        const mem = process.memoryUsage();
        process.send({ rss: mem.rss, heap: mem.heapUsed });
      } else if (m.cmd === 'stop') {
        await server.close();
        process.exit(0);
      }
    });
    process.send({ port: server.endpoints[0].port });
  }
}

/**
 * The longest time the event loop went without running a 1 ms timer: what a query arriving at
 * the worst moment waited before the server could even read it.
 */
class StallMeter {
  constructor() {
    this.last = performance.now();
    this.max = 0;
    setInterval(() => {
      const now = performance.now();
      this.max = Math.max(this.max, now - this.last);
      this.last = now;
    }, 1).unref();
  }

  reset() {
    this.last = performance.now();
    this.max = 0;
  }

  /** The longest gap since reset(), including the one running now. */
  async longest() {
    await new Promise((r) => setTimeout(r, 2));
    return this.max;
  }
}

class Child {
  constructor(mode, args, execArgv = ['--expose-gc']) {
    this.proc = fork(self, ['--child', mode, ...args], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.waiting = [];
    this.proc.on('message', (m) => this.waiting.shift()?.resolve(m));
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`child ${mode} exited with code ${code}`));
    });
  }

  next() {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Sends a command; the reply, or null when none comes within timeoutMs. */
  ask(m, timeoutMs = Infinity) {
    const reply = this.next();
    this.proc.send(m);
    if (timeoutMs === Infinity) return reply;
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    return Promise.race([reply, late]).finally(() => clearTimeout(timer));
  }

  kill() {
    this.proc.kill('SIGKILL');
  }

  async stop() {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.send({ cmd: 'stop' });
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

async function zones(root) {
  const rows = [];
  for (const n of list('SCALE_RECORDS', '10000,100000,1000000')) {
    const dir = zoneDir(root, `zones-${n}`);
    writeZone(path.join(dir, `${ORIGIN}.zone`), n);
    const child = new Child('load', [dir]);
    const r = await child.next();
    rows.push({ records: r.records, loadSeconds: r.ms / 1000, rssMB: mb(r.rss), peakRssMB: mb(r.peakRss), heapMB: mb(r.heap) });
    console.log(
      `  zone of ${r.records} records: ${(r.ms / 1000).toFixed(2)} s, RSS ${mb(r.rss)} MB (peak ${mb(r.peakRss)}), heap ${mb(r.heap)} MB`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function runDnsperf(port, datafile, seconds) {
  return new Promise((resolve, reject) => {
    const p = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', datafile, '-l', String(seconds), '-c', '1', '-q', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => {
      const num = (re) => Number(out.match(re)?.[1] ?? NaN);
      resolve({
        sent: num(/Queries sent:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        qps: num(/Queries per second:\s+([\d.]+)/),
        raw: out,
      });
    });
  });
}

async function reload(root) {
  const n = 1_000_000;
  const dir = zoneDir(root, 'reload');
  const file = path.join(dir, `${ORIGIN}.zone`);
  writeZone(file, n, 1);
  const datafile = path.join(root, 'reload-queries.txt');
  let q = '';
  for (let i = 0; i < 100_000; i++) q += `h${Math.floor(Math.random() * n)}.${ORIGIN} A\n`;
  fs.writeFileSync(datafile, q);

  const child = new Child('serve', [dir, 'no-probe']);
  const { port } = await child.next();
  const mem = await child.ask({ cmd: 'mem' });
  // The new version: same records, next serial, written beside and renamed in (as tools do).
  writeZone(`${file}.new`, n, 2);
  const seconds = Number(process.env.SCALE_RELOAD_SECONDS ?? 30);
  const perf = runDnsperf(port, datafile, seconds);
  await new Promise((r) => setTimeout(r, 2000));
  const quiet = await child.ask({ cmd: 'quiet', ms: 5000 });
  fs.renameSync(`${file}.new`, file);
  const r = await child.ask({ cmd: 'reload', afterMs: 5000 });
  const dnsperf = await perf;
  await child.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.serial !== 2) throw new Error(`after the reload the server serves serial ${r.serial}, not 2`);
  if (r.ms > seconds * 1000 - 7000)
    console.log(`  note: the reload took ${(r.ms / 1000).toFixed(1)} s, longer than the dnsperf run covers; raise SCALE_RELOAD_SECONDS`);
  const row = {
    records: n,
    reloadSeconds: r.ms / 1000,
    maxStallMs: r.maxStallMs,
    afterMaxStallMs: r.afterMaxStallMs,
    quietMaxStallMs: quiet.maxStallMs,
    heapBeforeMB: mb(mem.heap),
    rssBeforeMB: mb(r.rssBefore),
    rssAfterMB: mb(r.rssAfter),
    peakRssMB: mb(r.peakRss),
    dnsperf: { seconds, sent: dnsperf.sent, completed: dnsperf.completed, lost: dnsperf.lost, qps: dnsperf.qps },
  };
  console.log(
    `  reload of ${n} records: ${row.reloadSeconds.toFixed(1)} s, longest event-loop stall ${row.maxStallMs.toFixed(0)} ms (5 s after it: ${row.afterMaxStallMs.toFixed(0)} ms; no reload: ${row.quietMaxStallMs.toFixed(0)} ms), RSS ${row.rssBeforeMB} → ${row.rssAfterMB} MB (peak ${row.peakRssMB})`,
  );
  console.log(`  dnsperf over ${seconds} s: ${dnsperf.sent} sent, ${dnsperf.lost} lost, ${dnsperf.qps} qps`);
  return row;
}

/** Whether origin i of a probe run is dead (no listener: ECONNREFUSED), for SCALE_PROBE_DOWN. */
function probeDown(i, fraction) {
  return Math.floor((i + 1) * fraction) > Math.floor(i * fraction);
}

/** Loopback listeners that accept and close, one per origin address (none for dead origins). */
async function listeners(count, downFraction = 0) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const servers = [];
    try {
      for (let i = 0; i < count; i++) {
        if (probeDown(i, downFraction)) continue;
        const s = net.createServer((sock) => sock.destroy());
        await new Promise((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, probeAddress(i), resolve);
        });
        servers.push(s);
      }
      return { port, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))) };
    } catch {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no free port for the probe listeners');
}

/** CPU time (user + system) of a process in ms, from /proc (Linux); NaN elsewhere. */
function procCpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return NaN;
  }
}

function procRss(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** Polls until check() is true; false when `ms` pass first. */
async function waitFor(check, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function probes(root) {
  const rows = [];
  const seconds = Number(process.env.SCALE_PROBE_SECONDS ?? 30);
  const downFraction = Number(process.env.SCALE_PROBE_DOWN ?? 0);
  for (const count of list('SCALE_PROBE_ORIGINS', '1000,10000')) {
    const l = await listeners(count, downFraction);
    const dir = zoneDir(root, `probes-${count}`);
    writeZone(path.join(dir, `${ORIGIN}.zone`), 0);
    fs.writeFileSync(path.join(dir, `${ORIGIN}.lb.yaml`), probeLbFile(count, l.port));
    const child = new Child('serve', [dir, 'probe']);
    await child.next();
    // A server that cannot keep up never finishes its first round (or stops answering its
    // parent): that is reported, and the CPU is measured all the same.
    const t0 = Date.now();
    const ready = await waitFor(async () => (await child.ask({ cmd: 'ready' }, 5000))?.ready === true, 90_000);
    const readySeconds = ready ? (Date.now() - t0) / 1000 : null;
    const outside = procCpuMs(child.proc.pid);
    const askedAt = Date.now();
    let r = await child.ask({ cmd: 'cpu', seconds }, (seconds + 30) * 1000);
    if (r === null) {
      // No answer: the server is too busy even for its parent. Its CPU time from /proc instead.
      const used = procCpuMs(child.proc.pid) - outside;
      const elapsed = (Date.now() - askedAt) / 1000;
      r =
        used >= 0 && Number.isFinite(used) ? { userMs: used, systemMs: 0, up: null, rss: procRss(child.proc.pid), window: elapsed } : null;
      child.kill();
    } else await child.stop();
    await l.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const cpuPercent = r === null ? null : ((r.userMs + r.systemMs) / ((r.window ?? seconds) * 1000)) * 100;
    rows.push({
      origins: count,
      down: Math.floor(count * downFraction),
      intervalSeconds: 10,
      seconds,
      firstRoundSeconds: readySeconds,
      cpuPercent,
      userMs: r?.userMs,
      systemMs: r?.systemMs,
      up: r?.up,
      rssMB: r ? mb(r.rss) : null,
    });
    const first = ready ? `first round done in ${readySeconds.toFixed(1)} s` : 'first round NOT done after 90 s';
    console.log(
      `  ${count} origins every 10 s: ${cpuPercent === null ? 'no answer from the server' : `${cpuPercent.toFixed(1)}% of one core`} over ${seconds} s (${first}; ${r?.up ?? '?'} up), RSS ${r ? mb(r.rss) : '?'} MB`,
    );
  }
  return rows;
}

async function lbs(root) {
  const rows = [];
  const measure = async (count) => {
    const dir = zoneDir(root, `lbs-${count}`);
    writeZone(path.join(dir, `${ORIGIN}.zone`), 0);
    if (count > 0) fs.writeFileSync(path.join(dir, `${ORIGIN}.lb.yaml`), manyLbsFile(count));
    const t0 = performance.now();
    const child = new Child('serve', [dir, 'no-probe']);
    await child.next();
    const startSeconds = (performance.now() - t0) / 1000;
    const mem = await child.ask({ cmd: 'mem' });
    await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    return { rss: mem.rss, heap: mem.heap, startSeconds };
  };
  const base = await measure(0);
  for (const count of list('SCALE_LBS', '1000,10000')) {
    const m = await measure(count);
    const per1k = (m.rss - base.rss) / (count / 1000);
    const heapPer1k = (m.heap - base.heap) / (count / 1000);
    rows.push({
      loadBalancers: count,
      rssMB: mb(m.rss),
      baseRssMB: mb(base.rss),
      rssPer1kMB: per1k / 1e6,
      heapPer1kMB: heapPer1k / 1e6,
      startSeconds: m.startSeconds,
    });
    console.log(
      `  ${count} load balancers: RSS ${mb(m.rss)} MB (no LBs: ${mb(base.rss)}), ${(per1k / 1e6).toFixed(1)} MB RSS / ${(heapPer1k / 1e6).toFixed(1)} MB heap per 1k, start ${m.startSeconds.toFixed(1)} s`,
    );
  }
  return rows;
}

async function publish(root) {
  const rows = [];
  for (const spec of (process.env.SCALE_PUBLISH ?? '1000:100,10000:1000').split(',').filter(Boolean)) {
    const [origins, lbCount] = spec.split(':').map(Number);
    const dir = zoneDir(root, `publish-${origins}`);
    writeZone(path.join(dir, `${ORIGIN}.zone`), 0);
    fs.writeFileSync(path.join(dir, `${ORIGIN}.lb.yaml`), probeLbFile(origins, 80, Math.ceil(origins / lbCount)));
    const child = new Child('publish', [dir]);
    const r = await child.next();
    fs.rmSync(dir, { recursive: true, force: true });
    rows.push(r);
    console.log(
      `  ${r.origins} origins / ${r.loadBalancers} LBs: one transition ${r.medianMs.toFixed(3)} ms (p99 ${r.p99Ms.toFixed(3)}), ${r.burst} in one turn ${r.burstMs.toFixed(1)} ms, full prepare ${r.fullMs.toFixed(1)} ms`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

function table(results) {
  const lines = ['', 'steerdns scale figures', ''];
  if (results.zones) {
    lines.push('| records | load (startup) | RSS after load | peak RSS | live heap |', '|---:|---:|---:|---:|---:|');
    for (const z of results.zones)
      lines.push(`| ${z.records} | ${z.loadSeconds.toFixed(2)} s | ${z.rssMB} MB | ${z.peakRssMB} MB | ${z.heapMB} MB |`);
    lines.push('');
  }
  if (results.reload) {
    const r = results.reload;
    lines.push(
      '| reload under dnsperf | time | longest stall: during / 5 s after / no reload | queries lost / sent | RSS before → after (peak) |',
      '|---|---:|---:|---:|---:|',
    );
    lines.push(
      `| ${r.records} records | ${r.reloadSeconds.toFixed(1)} s | ${r.maxStallMs.toFixed(0)} / ${r.afterMaxStallMs.toFixed(0)} / ${r.quietMaxStallMs.toFixed(0)} ms | ${r.dnsperf.lost} / ${r.dnsperf.sent} | ${r.rssBeforeMB} → ${r.rssAfterMB} MB (${r.peakRssMB}) |`,
      '',
    );
  }
  if (results.probes) {
    lines.push('| monitored origins (TCP, every 10 s) | server CPU | first probe round | origins up | RSS |', '|---:|---:|---:|---:|---:|');
    for (const p of results.probes) {
      const cpu = p.cpuPercent === null ? 'no answer' : `${p.cpuPercent.toFixed(1)}% of a core`;
      const first = p.firstRoundSeconds === null ? 'not done in 90 s' : `${p.firstRoundSeconds.toFixed(1)} s`;
      lines.push(`| ${p.origins}${p.down ? ` (${p.down} dead)` : ''} | ${cpu} | ${first} | ${p.up ?? '?'} | ${p.rssMB ?? '?'} MB |`);
    }
    lines.push('');
  }
  if (results.publish) {
    lines.push('| health publish | one transition: median / p99 | a burst in one turn | full prepare |', '|---|---:|---:|---:|');
    for (const p of results.publish)
      lines.push(
        `| ${p.origins} origins / ${p.loadBalancers} LBs | ${p.medianMs.toFixed(3)} / ${p.p99Ms.toFixed(3)} ms | ${p.burstMs.toFixed(1)} ms (${p.burst} transitions) | ${p.fullMs.toFixed(1)} ms |`,
      );
    lines.push('');
  }
  if (results.lbs) {
    lines.push('| load balancers | RSS | RSS per 1k | heap per 1k | start |', '|---:|---:|---:|---:|---:|');
    for (const l of results.lbs)
      lines.push(
        `| ${l.loadBalancers} | ${l.rssMB} MB | ${l.rssPer1kMB.toFixed(1)} MB | ${l.heapPer1kMB.toFixed(1)} MB | ${l.startSeconds.toFixed(1)} s |`,
      );
    lines.push('');
  }
  return lines.join('\n');
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'server/server.js'))) throw new Error(`no build at ${dist}: run npm run build first`);
  const only = new Set((process.env.SCALE_ONLY ?? 'zones,reload,probes,lbs,publish').split(','));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-scale-'));
  const results = {
    when: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memoryGB: Math.round(os.totalmem() / 1e9),
      node: process.version,
      loadavg: os.loadavg(),
    },
    dist,
  };
  try {
    if (only.has('zones')) {
      console.log('zone load:');
      results.zones = await zones(root);
    }
    if (only.has('reload')) {
      console.log('reload under load:');
      results.reload = await reload(root);
    }
    if (only.has('probes')) {
      console.log('probe CPU:');
      results.probes = await probes(root);
    }
    if (only.has('lbs')) {
      console.log('load balancers:');
      results.lbs = await lbs(root);
    }
    if (only.has('publish')) {
      console.log('health publish:');
      results.publish = await publish(root);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(table(results));
  const outDir = path.join(repoRoot, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `scale-${results.when.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written to ${path.relative(process.cwd(), out)}`);
}

if (process.argv[2] === '--child') {
  childMain(process.argv[3], process.argv.slice(4)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
