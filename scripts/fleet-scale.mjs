#!/usr/bin/env node
// Fleet scale benchmark (not a test): a real 3-member etcd on loopback, many HTTP-monitored
// origins on loopback, steerdns nodes in 3 sites, each a real `steerdns serve` process (the built
// dist/) probing from its own loopback address so that the origins can count probes per node.
//
//   npm run build && node scripts/fleet-scale.mjs
//
// Origins: FLEET_ADDRESSES loopback addresses (127.77.x.y) × FLEET_MONITORS HTTP monitors (one
// path each, one shared port) = the probe targets, served by one child process that answers 200,
// or 503 for the (address, path) pairs it is told are failing, and counts requests per source.
//
// Phases, in one run:
//   1. baseline: one node without fleet mode probes every target; probes/s.
//   2. fleet with 3, 6, 9 nodes (1, 2, 3 per site, --probers-per-site 1): probes/s per site,
//      etcd writes/s (raft proposals committed, from etcd's /metrics) in steady state.
//   3. a mass failure of FLEET_MASS targets: etcd writes/s while it settles.
//   4. FLEET_REPEAT failures of one origin (interval 1 s, quorum majority, failing for every
//      site): time until every node answers without it, polled over UDP every 20 ms.
//   5. etcd database size (etcdctl endpoint status).
//   6. dnsperf against one fleet node vs a node alone with the same files, same run, interleaved.
//
// Environment: FLEET_ADDRESSES=500 FLEET_MONITORS=20 FLEET_INTERVAL=10 (s) FLEET_WINDOW=30 (s of
// each probe-rate measure) FLEET_MASS=1000 FLEET_REPEAT=20 FLEET_DNSPERF_SECONDS=10
// FLEET_NODES=3,6,9. Prints one JSON object of figures.
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);

// --- origin child ---------------------------------------------------------------------------
if (process.argv[2] === '--origins') {
  const { addresses, port } = JSON.parse(process.env.FLEET_ORIGINS);
  const failing = new Set();
  const bySource = new Map();
  const handler = (req, res) => {
    const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    bySource.set(from, (bySource.get(from) ?? 0) + 1);
    res.statusCode = failing.has(`${req.socket.localAddress.replace(/^::ffff:/, '')} ${req.url}`) ? 503 : 200;
    res.setHeader('connection', 'close');
    res.end('ok');
  };
  await Promise.all(
    addresses.map(
      (a) =>
        new Promise((resolve, reject) => {
          const s = http.createServer(handler);
          s.once('error', reject);
          s.listen(port, a, resolve);
        }),
    ),
  );
  process.on('message', (m) => {
    if (m.t === 'fail') for (const k of m.keys) failing.add(k);
    if (m.t === 'heal') for (const k of m.keys) failing.delete(k);
    process.send({ t: 'done', id: m.id, counts: m.t === 'counts' ? Object.fromEntries(bySource) : undefined });
  });
  process.send({ t: 'ready' });
  await new Promise(() => undefined);
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repoRoot, 'dist/cli/bin.js');
const ADDRESSES = num('FLEET_ADDRESSES', 500);
const MONITORS = num('FLEET_MONITORS', 20);
const INTERVAL = num('FLEET_INTERVAL', 10);
const WINDOW = num('FLEET_WINDOW', 30);
const MASS = num('FLEET_MASS', 1000);
const REPEAT = num('FLEET_REPEAT', 20);
const DNSPERF_SECONDS = num('FLEET_DNSPERF_SECONDS', 10);
const NODE_COUNTS = (process.env.FLEET_NODES ?? '3,6,9').split(',').map(Number);
const SITES = ['a', 'b', 'c'];
const QUICK = '127.78.0.1';
const FALLBACK = '192.0.2.99';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const addressOf = (i) => `127.77.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`;

function freePort(host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fleet-scale-'));
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

// --- etcd ---
async function startEtcd() {
  const members = [];
  for (let i = 0; i < 3; i++)
    members.push({ name: `e${i}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(',');
  for (const m of members) {
    const child = spawn(
      'etcd',
      [
        ...['--name', m.name, '--data-dir', path.join(dir, m.name)],
        ...['--listen-client-urls', m.client, '--advertise-client-urls', m.client],
        ...['--listen-peer-urls', m.peer, '--initial-advertise-peer-urls', m.peer],
        ...['--initial-cluster', initial, '--initial-cluster-state', 'new', '--log-level', 'error'],
      ],
      { stdio: 'ignore' },
    );
    children.add(child);
  }
  const urls = members.map((m) => m.client).join(',');
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
    const ok = await Promise.all(
      members.map((m) =>
        fetch(`${m.client}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    if (ok.every(Boolean)) return { urls, members };
  }
  throw new Error('etcd did not come up');
}

/** Raft proposals committed (every write: puts, deletes, lease grants and revokes), summed over members' view of one. */
async function etcdWrites(etcd) {
  const text = await (await fetch(`${etcd.members[0].client}/metrics`)).text();
  return Number(/^etcd_server_proposals_committed_total ([\d.e+]+)$/m.exec(text)?.[1] ?? NaN);
}

// --- zones ---
function writeZones(originPort) {
  const zones = path.join(dir, 'zones');
  fs.mkdirSync(zones, { recursive: true });
  fs.writeFileSync(
    path.join(zones, 'scale.test.zone'),
    `$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n  IN NS ns\nns IN A 192.0.2.1\n`,
  );
  const lines = ['monitors:'];
  for (let m = 0; m < MONITORS; m++)
    lines.push(
      `  m${m}: { type: http, port: ${originPort}, path: /m${m}, interval: ${INTERVAL}, timeout: 2, retries: 0, quorum: majority }`,
    );
  lines.push(`  quick: { type: http, port: ${originPort}, path: /quick, interval: 1, timeout: 0.5, retries: 0, quorum: majority }`);
  lines.push('pools:');
  for (let m = 0; m < MONITORS; m++) {
    lines.push(`  p${m}:`, `    monitor: m${m}`, '    origins:');
    for (let a = 0; a < ADDRESSES; a++) lines.push(`      - { name: o${a}, address: ${addressOf(a)} }`);
  }
  lines.push(`  quick: { monitor: quick, origins: [{ name: q, address: ${QUICK} }] }`);
  lines.push(`  spare: { origins: [{ name: s, address: ${FALLBACK} }] }`);
  lines.push('load_balancers:');
  for (let m = 0; m < MONITORS; m++) lines.push(`  lb${m}: { default_pools: [p${m}], fallback_pool: spare }`);
  lines.push('  quick: { default_pools: [quick], fallback_pool: spare }');
  fs.writeFileSync(path.join(zones, 'scale.test.lb.yaml'), `${lines.join('\n')}\n`);
  return zones;
}

// --- nodes ---
function startNode(zones, args, source) {
  const child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--zones',
      zones,
      '--geoip',
      'off',
      '--listen',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--workers',
      '1',
      '--log-level',
      'info',
      '--probe-source',
      source,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  const rl = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    let dns = 0;
    let httpPort = 0;
    const timer = setTimeout(() => reject(new Error('node did not start in 120 s')), 120_000);
    rl.on('line', (line) => {
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      const msg = String(e.msg ?? '');
      if (msg.startsWith('listening')) dns = Number(e.port);
      if (msg.startsWith('http listening')) httpPort = Number(e.port);
      if (dns && httpPort) {
        clearTimeout(timer);
        resolve({ child, dns, http: `http://127.0.0.1:${httpPort}`, source });
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
}
async function stopNode(n) {
  if (n.child.exitCode !== null) return;
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.kill('SIGTERM');
  await exited;
  children.delete(n.child);
}
const ready = async (n) =>
  (await fetch(`${n.http}/readyz`).then(
    (r) => r.status,
    () => 0,
  )) === 200;

function query(port, name) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
    const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, 1000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      // The first A record's data: the last 4 bytes of a one-answer reply.
      resolve(m.readUInt16BE(6) > 0 ? [...m.subarray(m.length - 4)].join('.') : null);
    });
    s.send(q, port, '127.0.0.1');
  });
}

// --- origin child ---
const originPort = await freePort('127.77.1.1');
const addresses = [...Array.from({ length: ADDRESSES }, (_, i) => addressOf(i)), QUICK];
const origins = fork(fileURLToPath(import.meta.url), ['--origins'], {
  env: { ...process.env, FLEET_ORIGINS: JSON.stringify({ addresses, port: originPort }) },
});
children.add(origins);
let seq = 0;
const ask = (m) =>
  new Promise((resolve) => {
    const id = ++seq;
    const on = (r) => {
      if (r.id !== id) return;
      origins.off('message', on);
      resolve(r);
    };
    origins.on('message', on);
    origins.send({ ...m, id });
  });
await new Promise((r) => origins.once('message', r));
const counts = async () => (await ask({ t: 'counts' })).counts;
const fail = (keys) => ask({ t: 'fail', keys });
const heal = (keys) => ask({ t: 'heal', keys });

/** Probes per second by source address over `seconds`. */
async function probeRates(seconds) {
  const a = await counts();
  await sleep(seconds * 1000);
  const b = await counts();
  const out = {};
  for (const [k, v] of Object.entries(b)) out[k] = (v - (a[k] ?? 0)) / seconds;
  return out;
}

const zones = writeZones(originPort);
const targets = ADDRESSES * MONITORS + 1;
const result = {
  date: new Date().toISOString(),
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim(),
  nproc: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  loadavg: os.loadavg(),
  targets,
  intervalS: INTERVAL,
};
const log = (...a) => console.error(new Date().toISOString(), ...a);

// 1. baseline: one node alone.
log(`baseline: one node alone, ${targets} targets`);
const alone = await startNode(zones, [], '127.0.2.1');
for (const deadline = Date.now() + 120_000; !(await ready(alone)) && Date.now() < deadline; ) await sleep(500);
await sleep(INTERVAL * 1000);
result.baselineProbesPerSecond = (await probeRates(WINDOW))['127.0.2.1'] ?? 0;
log(`baseline: ${result.baselineProbesPerSecond} probes/s`);
await stopNode(alone);

// 2. the fleet, growing.
const etcd = await startEtcd();
const fleetArgs = (name, site) => [
  ...['--etcd', etcd.urls, '--node', name, '--site', site, '--etcd-prefix', '/scale/'],
  ...['--probers-per-site', '1', '--fleet-lease-ttl', '10'],
];
const nodes = [];
result.fleet = [];
for (const count of NODE_COUNTS) {
  while (nodes.length < count) {
    const i = nodes.length;
    const site = SITES[i % 3];
    log(`starting node n${i + 1} in site ${site}`);
    nodes.push({ ...(await startNode(zones, fleetArgs(`n${i + 1}`, site), `127.0.1.${i + 1}`)), site, name: `n${i + 1}` });
  }
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
    // A node busy with its first rounds may fail a request: asked again on the next turn.
    const views = await Promise.all(
      nodes.map((n) =>
        fetch(`${n.http}/api/v1/fleet`)
          .then(
            (r) => r.json(),
            () => null,
          )
          .catch(() => null),
      ),
    );
    if (views.every((v) => v?.members?.length === count && v.targets.every((t) => t.known))) break;
  }
  await sleep(2 * INTERVAL * 1000); // the new shares settle (handoffs, first rounds)
  const w0 = await etcdWrites(etcd);
  const t0 = Date.now();
  const rates = await probeRates(WINDOW);
  const writes = (await etcdWrites(etcd)) - w0;
  const perSite = {};
  for (const n of nodes) perSite[n.site] = (perSite[n.site] ?? 0) + (rates[n.source] ?? 0);
  const entry = {
    nodes: count,
    probesPerSecondPerSite: perSite,
    perSiteVsBaseline: Object.fromEntries(Object.entries(perSite).map(([s, r]) => [s, +(r / result.baselineProbesPerSecond).toFixed(3)])),
    etcdWritesPerSecondSteady: +(writes / ((Date.now() - t0) / 1000)).toFixed(2),
  };
  log(JSON.stringify(entry));
  result.fleet.push(entry);
}

// 3. mass failure.
const massKeys = [];
for (let a = 0; massKeys.length < MASS && a < ADDRESSES; a++)
  for (let m = 0; m < MONITORS && massKeys.length < MASS; m++) massKeys.push(`${addressOf(a)} /m${m}`);
{
  const w0 = await etcdWrites(etcd);
  const t0 = Date.now();
  await fail(massKeys);
  await sleep((2 * INTERVAL + 5) * 1000);
  const w1 = await etcdWrites(etcd);
  const seconds = (Date.now() - t0) / 1000;
  result.massFailure = { targets: massKeys.length, seconds, etcdWrites: w1 - w0, etcdWritesPerSecond: +((w1 - w0) / seconds).toFixed(2) };
  log(JSON.stringify(result.massFailure));
  await heal(massKeys);
  await sleep((2 * INTERVAL + 5) * 1000);
}

// 4. failure to every node answering without the origin.
const everyNode = async (address) => (await Promise.all(nodes.map((n) => query(n.dns, 'quick.scale.test')))).every((a) => a === address);
const times = [];
for (let r = 0; r < REPEAT; r++) {
  for (const deadline = Date.now() + 20_000; !(await everyNode(QUICK)) && Date.now() < deadline; ) await sleep(50);
  await sleep(500 + Math.random() * 1000); // not in phase with the 1 s probe interval
  const t0 = performance.now();
  await fail([`${QUICK} /quick`]);
  let done = false;
  for (const deadline = Date.now() + 20_000; !done && Date.now() < deadline; await sleep(20)) done = await everyNode(FALLBACK);
  if (done) times.push(performance.now() - t0);
  await heal([`${QUICK} /quick`]);
}
times.sort((a, b) => a - b);
const pct = (p) => Math.round(times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]);
result.failureToEveryNode = { repeats: REPEAT, measured: times.length, p50ms: pct(50), p99ms: pct(99), maxMs: Math.round(times.at(-1)) };
log(JSON.stringify(result.failureToEveryNode));

// 5. etcd database size.
const status = JSON.parse(execFileSync('etcdctl', ['--endpoints', etcd.urls, 'endpoint', 'status', '-w', 'json'], { encoding: 'utf8' }));
result.etcdDbSizeBytes = status.map((s) => s.Status.dbSize);
result.etcdDbSizeInUseBytes = status.map((s) => s.Status.dbSizeInUse);

// 6. dnsperf: one fleet node vs the same node alone, interleaved.
const data = path.join(dir, 'queries.txt');
fs.writeFileSync(data, `${Array.from({ length: MONITORS }, (_, m) => `lb${m}.scale.test A`).join('\n')}\nns.scale.test A\n`);
const dnsperf = (port) => {
  const out = execFileSync(
    'dnsperf',
    ['-s', '127.0.0.1', '-p', String(port), '-d', data, '-l', String(DNSPERF_SECONDS), '-c', '1', '-q', '100'],
    {
      encoding: 'utf8',
    },
  );
  return Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
};
const second = await startNode(zones, [], '127.0.2.1');
for (const deadline = Date.now() + 120_000; !(await ready(second)) && Date.now() < deadline; ) await sleep(500);
await sleep(INTERVAL * 1000);
const fleetQps = [];
const aloneQps = [];
for (let r = 0; r < 3; r++) {
  fleetQps.push(dnsperf(nodes[0].dns));
  aloneQps.push(dnsperf(second.dns));
}
const median = (l) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)];
result.qps = { fleetNode: fleetQps, aloneNode: aloneQps, ratioOfMedians: +(median(fleetQps) / median(aloneQps)).toFixed(3) };
log(JSON.stringify(result.qps));
result.loadavgEnd = os.loadavg();
await Promise.all([...nodes, second].map(stopNode));
console.log(JSON.stringify(result, null, 2));
process.exit(0);
