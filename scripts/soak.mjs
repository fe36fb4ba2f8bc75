#!/usr/bin/env node
// Soak: millions of hostile packets at a running steerdns (the built dist/), over UDP and TCP, to
// 127.0.0.1 only, with well-formed queries interleaved and checked; then 100 reloads while
// dnsperf runs. At the end: the process never restarted (same pid and start time, still
// answering), every check was answered correctly, every reply it sent was a readable DNS message
// within the UDP size limit, no query was lost during the reloads, and RSS stayed flat.
//
//   npm run soak                       (builds first)
//   SOAK_PACKETS=2000000               mutated packets to send (UDP + TCP)
//   SOAK_RATE=20000                    packets per second (paced; UDP has no flow control)
//   SOAK_TCP_SHARE=0.05                share of mutated packets sent over TCP
//   SOAK_MAX_SECONDS=900               hard bound on the fuzz phase
//   SOAK_RELOADS=100                   reloads during the dnsperf phase (0 skips it)
//   SOAK_SEED=<n>                      PRNG seed (printed; rerun with it to repeat a run)
//   SOAK_SERVER_NODE_ARGS="..."        extra node flags for the server (e.g. --max-old-space-size=64)
//
// Exit code 0 when every criterion holds, 1 otherwise. Figures go to stdout as a table and JSON.
// The fuzzer runs in a worker thread, so the checks' latencies measure the server, not this
// script's own busy sending loop.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import dnsPacket from 'dns-packet';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const UDP_LIMIT = 1232;
/** Figures for RSS and latency start this long into the fuzz (JIT warm-up of a fresh process). */
const WARMUP_MS = 5000;

const config = {
  packets: intEnv('SOAK_PACKETS', 2_000_000),
  rate: intEnv('SOAK_RATE', 20_000),
  tcpShare: numEnv('SOAK_TCP_SHARE', 0.05),
  maxSeconds: intEnv('SOAK_MAX_SECONDS', 900),
  reloads: intEnv('SOAK_RELOADS', 100),
  seed: intEnv('SOAK_SEED', (Date.now() % 2 ** 31) | 1),
};

function intEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) fail(`${name} must be a whole number >= 0, got ${JSON.stringify(raw)}`);
  return n;
}
function numEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) fail(`${name} must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return n;
}
function fail(message) {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- PRNG (xorshift32, seeded)
let prngState = (isMainThread ? config.seed : workerData.seed) >>> 0 || 1;
function rnd() {
  prngState ^= prngState << 13;
  prngState ^= prngState >>> 17;
  prngState ^= prngState << 5;
  return (prngState >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rnd() * n);
const pick = (list) => list[int(list.length)];

// ---------------------------------------------------------------- the zone under test
const ZONE = 'soak.test';
const zoneText = (k) => `$TTL 300
@      IN SOA ns hostmaster ${k} 3600 600 86400 60
       IN NS  ns
       IN MX  10 mail
ns     IN A   192.0.2.1
www    IN A   192.0.2.10
       IN AAAA 2001:db8::10
mail   IN A   192.0.2.25
alias  IN CNAME www
*.w    IN TXT "wild"
sub    IN NS  ns.sub
ns.sub IN A   192.0.2.40
ver    IN CNAME v${k}
v${k}  IN TXT "${k}"
big    IN TXT "${'a'.repeat(250)}" "${'b'.repeat(250)}"
big    IN TXT "${'c'.repeat(250)}" "${'d'.repeat(250)}"
big    IN TXT "${'e'.repeat(250)}"
`;
const lbText = (k) => `pools:
  main:
    origin_steering: { policy: all }
    origins:
      - { name: a, address: 192.0.2.${100 + (k % 100)} }
      - { name: b, address: 198.51.100.${100 + (k % 100)} }
load_balancers:
  lb:
    default_pools: [main]
`;

/** Well-formed queries and what a correct answer looks like (checked on every reply). */
const CHECKS = [
  { name: 'www.soak.test', type: 'A', rcode: 'NOERROR', answers: ['A 192.0.2.10'] },
  { name: 'WwW.SoAk.TeSt', type: 'AAAA', rcode: 'NOERROR', answers: ['AAAA 2001:db8::10'] },
  { name: 'alias.soak.test', type: 'A', rcode: 'NOERROR', answers: ['A 192.0.2.10', 'CNAME www.soak.test'] },
  { name: 'nope.soak.test', type: 'A', rcode: 'NXDOMAIN', answers: [] },
  { name: 'x.w.soak.test', type: 'TXT', rcode: 'NOERROR', answers: ['TXT wild'] },
  { name: 'host.sub.soak.test', type: 'A', rcode: 'NOERROR', answers: [], aa: false },
  { name: 'soak.test', type: 'MX', rcode: 'NOERROR', answers: ['MX 10 mail.soak.test'] },
  { name: 'www.example.org', type: 'A', rcode: 'REFUSED', answers: [] },
  { name: 'lb.soak.test', type: 'A', rcode: 'NOERROR', lb: true },
  { name: 'ver.soak.test', type: 'TXT', rcode: 'NOERROR', ver: true },
];

function describeAnswer(rr) {
  if (rr.type === 'TXT') return `TXT ${rr.data.map(String).join('')}`;
  if (rr.type === 'MX') return `MX ${rr.data.preference} ${rr.data.exchange}`;
  return `${rr.type} ${rr.data}`;
}

/** null when `reply` is a correct answer to `check`, else what is wrong. */
function wrongAnswer(check, reply) {
  if (reply.rcode !== check.rcode) return `rcode ${reply.rcode}`;
  const got = reply.answers.map(describeAnswer).sort();
  if (check.lb) {
    const k = got[0]?.split('.')[3];
    return got.join() === `A 192.0.2.${k},A 198.51.100.${k}` ? null : `lb ${got.join()}`;
  }
  if (check.ver) {
    const cname = reply.answers.find((a) => a.type === 'CNAME')?.data;
    const txt = reply.answers
      .find((a) => a.type === 'TXT')
      ?.data.map(String)
      .join('');
    return cname === `v${txt}.soak.test` ? null : `mixed version ${cname} / ${txt}`;
  }
  if (got.join() !== check.answers.join()) return `answers ${got.join()}`;
  if (check.aa === false && reply.flag_aa) return 'AA on a referral';
  return null;
}

// ---------------------------------------------------------------- query building and mutation
const NAMES = [
  'www.soak.test',
  'alias.soak.test',
  'nope.soak.test',
  'a.b.w.soak.test',
  'sub.soak.test',
  'x.sub.soak.test',
  'soak.test',
  'big.soak.test',
  'lb.soak.test',
  'ver.soak.test',
  'example.org',
  '',
  'WWW.SOAK.TEST',
];
const TYPES = [1, 28, 16, 15, 6, 2, 5, 255, 252, 251, 41, 0, 65535, 99];

function encodeName(name) {
  const parts = name === '' ? [] : name.split('.');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}

function opt({ udpSize = 1232, version = 0, flags = 0, options = [] } = {}) {
  const data = Buffer.concat(options.map(([code, value]) => Buffer.concat([u16(code), u16(value.length), value])));
  return Buffer.concat([Buffer.from([0]), u16(41), u16(udpSize), Buffer.from([0, version]), u16(flags), u16(data.length), data]);
}
function u16(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}
function ecs(family, source, scope, address) {
  return [8, Buffer.concat([u16(family), Buffer.from([source, scope]), address])];
}

/** A random well-formed query: name, type, class, flags, maybe EDNS with ECS or a cookie. */
function seedQuery() {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(int(65536), 0);
  header[2] = (rnd() < 0.9 ? 0 : int(16) << 3) | (rnd() < 0.5 ? 1 : 0);
  header[3] = rnd() < 0.2 ? 0x10 : 0;
  header.writeUInt16BE(1, 4);
  const qclass = rnd() < 0.9 ? 1 : pick([3, 4, 255, 254, 7]);
  const question = Buffer.concat([encodeName(pick(NAMES)), u16(pick(TYPES)), u16(qclass)]);
  if (rnd() < 0.4) return Buffer.concat([header, question]);
  header.writeUInt16BE(1, 10);
  const options = [];
  const r = rnd();
  if (r < 0.3) options.push(ecs(1, 24, 0, Buffer.from([198, 51, 100])));
  else if (r < 0.5) options.push(ecs(2, 56, 0, Buffer.from([0x20, 1, 0xd, 0xb8, 0, 1, 0])));
  else if (r < 0.6) options.push([10, Buffer.alloc(8, 7)]);
  return Buffer.concat([
    header,
    question,
    opt({ udpSize: pick([512, 1232, 4096, 0, 65535]), version: rnd() < 0.9 ? 0 : int(3), flags: rnd() < 0.3 ? 0x8000 : 0, options }),
  ]);
}

/** Names at the length edges: labels of 63/64 bytes, names of 253-256 bytes, reserved label types. */
function edgeName() {
  switch (int(5)) {
    case 0:
      return encodeName(`${'a'.repeat(63)}.soak.test`);
    case 1:
      return Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), encodeName('soak.test')]);
    case 2: {
      const total = 253 + int(4); // presentation length; wire is total + 2
      const labels = [];
      let left = total;
      while (left > 0) {
        const n = Math.min(63, left);
        labels.push('x'.repeat(n));
        left -= n + 1;
      }
      return encodeName(labels.join('.'));
    }
    case 3:
      return Buffer.from([pick([0x40, 0x80, 0x41]), 0x61, 0]);
    default:
      return Buffer.concat([Buffer.from([0]), Buffer.alloc(int(4), 0)]);
  }
}

/** OPT records broken in the ways parsers get wrong. */
function badOpt() {
  switch (int(9)) {
    case 0:
      return opt({ options: [ecs(3, 24, 0, Buffer.from([1, 2, 3]))] }); // unknown family
    case 1:
      return opt({ options: [ecs(1, 33, 0, Buffer.from([1, 2, 3, 4, 5]))] }); // prefix too long
    case 2:
      return opt({ options: [ecs(1, 24, 0, Buffer.from([1, 2]))] }); // address too short
    case 3:
      return opt({ options: [ecs(1, 24, 16, Buffer.from([1, 2, 3]))] }); // scope in a query
    case 4:
      return opt({ options: [ecs(1, 20, 0, Buffer.from([1, 2, 0xff]))] }); // bits past the prefix
    case 5:
      return opt({ options: [ecs(2, 129, 0, Buffer.alloc(17))] }); // IPv6 prefix too long
    case 6: {
      const o = opt({ options: [[8, Buffer.alloc(4)]] });
      o.writeUInt16BE(0xffff, 9); // RDLENGTH past the end
      return o;
    }
    case 7: {
      const o = opt({ options: [[10, Buffer.alloc(8)]] });
      o.writeUInt16BE(200, 13); // option length past RDATA
      return o;
    }
    default:
      return Buffer.concat([opt(), opt()]); // two OPTs (counted by the caller's ARCOUNT or not)
  }
}

function mutate(buf) {
  let out = Buffer.from(buf);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    switch (int(12)) {
      case 0: // bit flips
        for (let i = 0, n = 1 + int(8); i < n && out.length; i++) out[int(out.length)] ^= 1 << int(8);
        break;
      case 1: // truncation
        out = out.subarray(0, int(out.length + 1));
        break;
      case 2: {
        // compression loop: a pointer to itself, or two pointers to each other
        if (out.length < 14) break;
        if (rnd() < 0.5) {
          out[12] = 0xc0;
          out[13] = 12;
        } else {
          // "a" then a pointer to the next pointer, which points back at "a": a two-step loop.
          out = Buffer.concat([out.subarray(0, 12), Buffer.from([1, 0x61, 0xc0, 12 + 4, 0xc0, 12]), out.subarray(12)]);
        }
        break;
      }
      case 3: {
        // forward pointer (or one past the end) in the question
        if (out.length < 14) break;
        const target = rnd() < 0.5 ? out.length + int(100) : 14 + int(Math.max(1, out.length - 14));
        out[12] = 0xc0 | ((target >> 8) & 0x3f);
        out[13] = target & 0xff;
        break;
      }
      case 4: // huge or wrong counts
        if (out.length >= 12) out.writeUInt16BE(pick([0, 2, 0xffff, int(65536)]), 4 + 2 * int(4));
        break;
      case 5: // a name at the length edges replaces the question
        if (out.length >= 12)
          out = Buffer.concat([out.subarray(0, 12), edgeName(), u16(1), u16(1), out.subarray(12 + Math.min(out.length - 12, int(40)))]);
        break;
      case 6: // a malformed OPT appended (ARCOUNT bumped or not)
        out = Buffer.concat([out, badOpt()]);
        if (out.length >= 12 && rnd() < 0.8) out.writeUInt16BE((out.readUInt16BE(10) + 1) & 0xffff, 10);
        break;
      case 7: // random byte values
        for (let i = 0, n = 1 + int(4); i < n && out.length; i++) out[int(out.length)] = int(256);
        break;
      case 8: // insert random bytes
        {
          const at = int(out.length + 1);
          const junk = Buffer.alloc(1 + int(16));
          for (let i = 0; i < junk.length; i++) junk[i] = int(256);
          out = Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
        }
        break;
      case 9: // splice two queries
        {
          const other = seedQuery();
          out = Buffer.concat([out.subarray(0, int(out.length + 1)), other.subarray(int(other.length))]);
        }
        break;
      case 10: // header flags: QR, opcode, TC, Z
        if (out.length >= 4) out[2] ^= pick([0x80, 0x78, 0x02, 0x10]);
        break;
      default:
        {
          // pure garbage
          out = Buffer.alloc(int(600));
          for (let i = 0; i < out.length; i++) out[i] = int(256);
        }
        break;
    }
  }
  return out.length > 65535 ? out.subarray(0, 65535) : out;
}

// ---------------------------------------------------------------- the server process
function procStart(pid) {
  // Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. The name may hold spaces.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}
/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function startServer(zonesDir) {
  const cli = path.join(repoRoot, 'dist/cli/bin.js');
  if (!fs.existsSync(cli)) fail('dist/cli/bin.js is missing: run `npm run build` (npm run soak does)');
  // --trace-gc prints one line per collection; after each full (mark-compact) collection it gives
  // the live heap, which is the leak signal RSS alone cannot give (RSS also follows V8's choice
  // of how much heap to keep committed).
  const nodeArgs = ['--trace-gc', ...(process.env.SOAK_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      cli,
      'serve',
      '--zones',
      zonesDir,
      '--listen',
      `${HOST}:0`,
      '--geoip',
      'off',
      '--http',
      'off',
      '--log-level',
      'info',
      '--workers',
      '1',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const server = { child, port: 0, exited: null, errorLines: [], warnLines: [], fullGcs: [], loadedLines: 0, stderr: '' };
  child.once('exit', (code, signal) => (server.exited = { code, signal }));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (server.stderr += d));
  const lines = readline.createInterface({ input: child.stdout });
  server.port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${server.stderr}`)), 20_000);
    lines.on('line', (line) => {
      const gc = /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: (\S+)/.exec(line);
      if (gc) {
        const full = /Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(line);
        if (full) server.fullGcs.push({ t: performance.now(), liveMb: Number(full[1]), committedMb: Number(full[2]) });
        return;
      }
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        server.errorLines.push(`not JSON: ${line.slice(0, 200)}`);
        return;
      }
      if (entry.level >= 50) server.errorLines.push(line.slice(0, 400));
      else if (entry.level >= 40) server.warnLines.push(line.slice(0, 400));
      if (/^zone .* loaded$/.test(entry.msg ?? '')) server.loadedLines++;
      if (entry.msg?.startsWith('listening') && entry.port) {
        clearTimeout(timer);
        resolve(entry.port);
      }
    });
    child.once('exit', () => reject(new Error(`server exited during start:\n${server.stderr}`)));
  });
  return server;
}

// ---------------------------------------------------------------- checks (well-formed queries)
class Checker {
  constructor(port) {
    this.port = port;
    this.ok = 0;
    this.wrong = [];
    this.timeouts = 0;
    this.latencies = [];
    this.retried = 0;
    this.phase = 'fuzz';
    this.pending = new Map();
    this.nextId = 1;
    this.socket = dgram.createSocket('udp4');
    this.socket.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      this.judge(p.check, msg, p.sent, 'udp');
    });
  }

  judge(check, msg, sent, via) {
    let reply;
    try {
      reply = dnsPacket.decode(msg);
    } catch (err) {
      this.wrong.push(`${via} ${check.name} ${check.type}: undecodable reply (${err.message})`);
      return;
    }
    const problem = wrongAnswer(check, reply);
    if (problem) this.wrong.push(`${via} ${check.name} ${check.type}: ${problem}`);
    else this.ok++;
    this.latencies.push({ via, sent, ms: performance.now() - sent, phase: this.phase });
  }

  /** One UDP check; unanswered after 2 s it is sent again once, as a resolver would. */
  udp(check = pick(CHECKS), attempt = 1) {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    const packet = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: check.name, type: check.type, class: 'IN' }],
    });
    const timer = setTimeout(() => {
      this.pending.delete(id);
      if (attempt === 1) {
        this.retried++;
        this.udp(check, 2);
      } else {
        this.timeouts++;
      }
    }, 2000);
    this.pending.set(id, { check, sent: performance.now(), timer });
    this.socket.send(packet, this.port, HOST);
  }

  tcp() {
    const check = pick(CHECKS);
    const sent = performance.now();
    const socket = net.connect({ host: HOST, port: this.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      this.timeouts++;
      socket.destroy();
    }, 3000);
    socket.on('error', () => undefined);
    socket.on('connect', () =>
      socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ name: check.name, type: check.type, class: 'IN' }] })),
    );
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        this.judge(check, buf.subarray(2, 2 + buf.readUInt16BE(0)), sent, 'tcp');
        socket.destroy();
      }
    });
  }

  async drain() {
    const deadline = Date.now() + 5000;
    while (this.pending.size > 0 && Date.now() < deadline) await sleep(20);
  }

  close() {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.socket.close();
  }
}

// ---------------------------------------------------------------- fuzzing
class Fuzzer {
  constructor(port) {
    this.port = port;
    this.sentUdp = 0;
    this.sentTcp = 0;
    this.udpReplies = 0;
    this.tcpReplies = 0;
    this.badReplies = [];
    this.badCount = 0;
    this.oversize = 0;
    this.tcpReconnects = 0;
    this.sockets = [0, 1, 2, 3].map(() => {
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      s.on('message', (msg) => this.checkReply(msg, 'udp'));
      return s;
    });
    this.conns = [];
    for (let i = 0; i < 4; i++) this.conns.push(this.connect());
  }

  connect() {
    const conn = { socket: net.connect({ host: HOST, port: this.port }), buf: Buffer.alloc(0), open: false, closed: false, written: 0 };
    conn.socket.on('error', () => undefined);
    conn.socket.on('connect', () => (conn.open = true));
    conn.socket.on('data', (d) => {
      conn.buf = Buffer.concat([conn.buf, d]);
      while (conn.buf.length >= 2 && conn.buf.length >= 2 + conn.buf.readUInt16BE(0)) {
        this.checkReply(conn.buf.subarray(2, 2 + conn.buf.readUInt16BE(0)), 'tcp');
        conn.buf = conn.buf.subarray(2 + conn.buf.readUInt16BE(0));
      }
    });
    conn.socket.on('close', () => {
      conn.open = false;
      conn.closed = true;
    });
    return conn;
  }

  checkReply(msg, via) {
    if (via === 'udp') this.udpReplies++;
    else this.tcpReplies++;
    if (via === 'udp' && msg.length > UDP_LIMIT) this.oversize++;
    // Whatever the query, a reply must be a response a strict decoder can read.
    try {
      if (msg.length < 12 || (msg[2] & 0x80) === 0) throw new Error('not a response');
      dnsPacket.decode(msg);
    } catch (err) {
      this.badCount++;
      if (this.badReplies.length < 20) this.badReplies.push(`${via}: ${err.message}: ${msg.toString('hex').slice(0, 120)}`);
    }
  }

  sendOne(viaTcp) {
    const packet = mutate(seedQuery());
    if (viaTcp) {
      const i = int(this.conns.length);
      let conn = this.conns[i];
      // A connection lives for a few hundred messages: a stream knocked out of step by a lying
      // length prefix then costs little, and connection setup and teardown get exercised too.
      if (conn.closed || conn.written >= 300) {
        conn.socket.end();
        conn = this.conns[i] = this.connect();
        this.tcpReconnects++;
      }
      if (conn.open && conn.socket.writableLength < 64 * 1024) {
        // Mostly honest framing; sometimes a lying length prefix or raw junk on the stream.
        // Honest framing, except that a connection's last message may lie about its length or
        // come unframed (the server must cope, and the stream is dropped right after).
        const r = conn.written === 299 ? rnd() : 0;
        if (r < 0.5) conn.socket.write(Buffer.concat([u16(packet.length), packet]));
        else if (r < 0.75) conn.socket.write(Buffer.concat([u16(packet.length + 1 + int(50)), packet]));
        else conn.socket.write(packet);
        conn.written++;
        this.sentTcp++;
        return;
      }
    }
    pick(this.sockets).send(packet, this.port, HOST);
    this.sentUdp++;
  }

  close() {
    for (const s of this.sockets) s.close();
    for (const c of this.conns) c.socket.destroy();
  }
}

// ---------------------------------------------------------------- reloads while dnsperf runs
async function reloadUnderDnsperf(server, zonesDir, checker) {
  if (config.reloads === 0) return { skipped: 'SOAK_RELOADS=0' };
  if (spawnSync('dnsperf', ['-h']).error) return { skipped: 'dnsperf not installed' };
  const datafile = path.join(zonesDir, '..', 'dnsperf.txt');
  fs.writeFileSync(
    datafile,
    `${['www.soak.test A', 'lb.soak.test A', 'ver.soak.test TXT', 'nope.soak.test A', 'alias.soak.test A'].join('\n')}\n`,
  );
  const seconds = Math.max(10, Math.ceil(config.reloads / 10) + 5);
  const perf = spawn(
    'dnsperf',
    ['-s', HOST, '-p', String(server.port), '-d', datafile, '-l', String(seconds), '-c', '4', '-q', '50', '-Q', '10000', '-t', '2'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  perf.stdout.on('data', (d) => (out += d));
  perf.stderr.on('data', (d) => (out += d));
  const done = new Promise((resolve) => perf.once('exit', resolve));
  await sleep(1000);
  const started = performance.now();
  let completed = 0;
  const checking = setInterval(() => checker.udp(), 5);
  for (let r = 1; r <= config.reloads; r++) {
    const before = server.loadedLines;
    if (r % 2 === 0) replaceFile(path.join(zonesDir, `${ZONE}.zone`), zoneText(1000 + r));
    else replaceFile(path.join(zonesDir, `${ZONE}.lb.yaml`), lbText(r));
    server.child.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    while (server.loadedLines === before && Date.now() < deadline) await sleep(2);
    if (server.loadedLines === before) break;
    completed++;
  }
  const reloadSeconds = (performance.now() - started) / 1000;
  clearInterval(checking);
  await done;
  const num = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN);
  return {
    completed,
    reloadSeconds,
    dnsperfSeconds: seconds,
    sent: num('Queries sent'),
    completedQueries: num('Queries completed'),
    lost: num('Queries lost'),
    dnsperfOutput: out,
  };
}

function replaceFile(file, text) {
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// ---------------------------------------------------------------- main
async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-soak-'));
  const zonesDir = path.join(work, 'zones');
  fs.mkdirSync(zonesDir);
  fs.writeFileSync(path.join(zonesDir, `${ZONE}.zone`), zoneText(1));
  fs.writeFileSync(path.join(zonesDir, `${ZONE}.lb.yaml`), lbText(0));

  const loadStart = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const server = await startServer(zonesDir);
  const pid = server.child.pid;
  const startTime = procStart(pid);
  console.log(
    `soak: steerdns pid ${pid} on ${HOST}:${server.port}; ${config.packets} packets at ${config.rate}/s, TCP share ${config.tcpShare}, seed ${config.seed}`,
  );

  const rss = [];
  const sampleRss = () => {
    if (!server.exited) rss.push({ t: performance.now(), kb: rssKb(pid) });
  };
  sampleRss();
  const rssTimer = setInterval(sampleRss, 1000);

  const checker = new Checker(server.port);
  const t0 = performance.now();
  const cpuAtStart = cpuSeconds(pid);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: {
      port: server.port,
      seed: config.seed,
      packets: config.packets,
      rate: config.rate,
      tcpShare: config.tcpShare,
      maxSeconds: config.maxSeconds,
    },
  });
  let progress = 0;
  const fuzzed = new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.progress !== undefined) progress = m.progress;
      if (m.result) resolve(m.result);
    });
    worker.once('error', reject);
  });
  // Checks while the fuzz runs: ~200 UDP queries a second, and one over a fresh TCP connection
  // four times a second.
  let ticks = 0;
  const checking = setInterval(() => {
    checker.udp();
    if (++ticks % 50 === 0) checker.tcp();
    if (server.exited) worker.postMessage('stop');
  }, 5);
  const reporting = setInterval(() => {
    const last = rss[rss.length - 1];
    console.log(
      `  ${((performance.now() - t0) / 1000).toFixed(0)}s: ${progress} sent, checks ok ${checker.ok} wrong ${checker.wrong.length} unanswered ${checker.timeouts}, RSS ${(last.kb / 1024).toFixed(1)} MB`,
    );
  }, 10_000);
  const fuzzer = await fuzzed;
  clearInterval(checking);
  clearInterval(reporting);
  await worker.terminate();
  const fuzzSeconds = (performance.now() - t0) / 1000;
  const fuzzCpu = cpuSeconds(pid) - cpuAtStart;
  await checker.drain();

  console.log('soak: reload phase (dnsperf + reloads)');
  checker.phase = 'reload';
  const reload = await reloadUnderDnsperf(server, zonesDir, checker);
  await checker.drain();

  // Final: still the same process, still answering correctly on both transports.
  for (let i = 0; i < 20; i++) checker.udp();
  checker.tcp();
  await sleep(300);
  await checker.drain();
  clearInterval(rssTimer);
  sampleRss();
  const alive = !server.exited && procStart(pid) === startTime;
  checker.close();
  server.child.kill('SIGTERM');
  const exit = await new Promise((resolve) =>
    server.exited ? resolve(server.exited) : server.child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  // RSS: the first sample after warm-up (5 s into the fuzz), the peak and the last.
  const warm = rss.find((s) => s.t - t0 >= WARMUP_MS) ?? rss[0];
  const mb = (kb) => Math.round((kb / 1024) * 10) / 10;
  const rssFigures = {
    start: mb(rss[0].kb),
    first: mb(warm.kb),
    max: mb(Math.max(...rss.map((s) => s.kb))),
    last: mb(rss[rss.length - 1].kb),
    samples: rss.length,
  };
  // A leak grows with traffic; V8's committed heap also grows, but only to a point. So: the live
  // heap after full collections must stay within 50% (or 8 MB) of its first post-warm-up value,
  // and RSS within twice (or +100 MB of) its post-warm-up value.
  const gcs = server.fullGcs.filter((g) => g.t - t0 >= WARMUP_MS);
  const heap =
    gcs.length >= 2
      ? {
          fullGcs: gcs.length,
          firstLiveMb: gcs[0].liveMb,
          maxLiveMb: Math.max(...gcs.map((g) => g.liveMb)),
          lastLiveMb: gcs[gcs.length - 1].liveMb,
          lastCommittedMb: gcs[gcs.length - 1].committedMb,
        }
      : null;
  const heapFlat = heap === null || heap.lastLiveMb <= heap.firstLiveMb + Math.max(8, heap.firstLiveMb * 0.5);
  const rssFlat = rssFigures.last <= Math.max(2 * rssFigures.first, rssFigures.first + 100);
  const checks = checker.ok + checker.wrong.length + checker.timeouts;
  const result = {
    seed: config.seed,
    fuzz: {
      seconds: Math.round(fuzzSeconds),
      serverCpuPercent: Math.round((fuzzCpu / fuzzSeconds) * 100),
      packets: fuzzer.sentUdp + fuzzer.sentTcp,
      udp: fuzzer.sentUdp,
      tcp: fuzzer.sentTcp,
      udpReplies: fuzzer.udpReplies,
      tcpReplies: fuzzer.tcpReplies,
      tcpReconnects: fuzzer.tcpReconnects,
      undecodableReplies: fuzzer.badCount,
      oversizeUdpReplies: fuzzer.oversize,
    },
    checks: {
      total: checks,
      ok: checker.ok,
      wrong: checker.wrong.length,
      timeouts: checker.timeouts,
      retriedOnce: checker.retried,
      // The first seconds of a fresh process are JIT warm-up; steady state is what serving sees.
      warmupMaxMs: round(Math.max(0, ...checker.latencies.filter((l) => l.sent - t0 < WARMUP_MS).map((l) => l.ms))),
      udpMs: latencyFigures(
        checker.latencies.filter((l) => l.phase === 'fuzz' && l.via === 'udp' && l.sent - t0 >= WARMUP_MS).map((l) => l.ms),
      ),
      tcpMs: latencyFigures(
        checker.latencies.filter((l) => l.phase === 'fuzz' && l.via === 'tcp' && l.sent - t0 >= WARMUP_MS).map((l) => l.ms),
      ),
      reloadPhaseUdpMs: latencyFigures(checker.latencies.filter((l) => l.phase === 'reload').map((l) => l.ms)),
    },
    reload: reload.skipped
      ? reload
      : {
          reloads: reload.completed,
          reloadSeconds: round(reload.reloadSeconds),
          dnsperfSent: reload.sent,
          dnsperfCompleted: reload.completedQueries,
          dnsperfLost: reload.lost,
        },
    process: {
      pid,
      sameProcessThroughout: alive,
      exit,
      errorLogLines: server.errorLines.length,
      warnLogLines: server.warnLines.length,
      warnSample: server.warnLines.slice(0, 3),
    },
    rssMb: rssFigures,
    heapAfterFullGc: heap ?? 'fewer than 2 full collections after warm-up',
    loadavg: { start: loadStart, end: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), cpus: os.cpus().length },
  };
  const failures = [];
  if (!alive) failures.push('the server process died or restarted');
  if (checker.wrong.length > 0) failures.push(`${checker.wrong.length} wrong answers, e.g. ${checker.wrong.slice(0, 3).join('; ')}`);
  if (checker.timeouts > 0) failures.push(`${checker.timeouts} of ${checks} checks unanswered, even after a retry`);
  if (fuzzer.badCount > 0) failures.push(`${fuzzer.badCount} undecodable replies, e.g. ${fuzzer.badReplies.slice(0, 3).join('; ')}`);
  if (fuzzer.oversize > 0) failures.push(`${fuzzer.oversize} UDP replies over ${UDP_LIMIT} bytes`);
  if (server.errorLines.length > 0)
    failures.push(`${server.errorLines.length} error log lines, e.g. ${server.errorLines.slice(0, 2).join(' | ')}`);
  if (!reload.skipped && (reload.completed !== config.reloads || reload.lost !== 0))
    failures.push(`reload phase: ${reload.completed}/${config.reloads} reloads, ${reload.lost} queries lost\n${reload.dnsperfOutput}`);
  if (!rssFlat) failures.push(`RSS grew from ${rssFigures.first} MB to ${rssFigures.last} MB`);
  if (!heapFlat) failures.push(`live heap after full GC grew from ${heap.firstLiveMb} MB to ${heap.lastLiveMb} MB`);
  if (exit.code !== 0) failures.push(`exit on SIGTERM: ${JSON.stringify(exit)}`);

  console.log('');
  console.log(
    `fuzz      ${result.fuzz.packets} packets in ${result.fuzz.seconds} s, server CPU ${result.fuzz.serverCpuPercent}% (${result.fuzz.udp} UDP, ${result.fuzz.tcp} TCP); replies ${result.fuzz.udpReplies} UDP, ${result.fuzz.tcpReplies} TCP; undecodable ${result.fuzz.undecodableReplies}; oversize ${result.fuzz.oversizeUdpReplies}`,
  );
  const lat = (l) => `p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms (${l.n})`;
  console.log(
    `checks    ${result.checks.ok}/${result.checks.total} correct, ${result.checks.wrong} wrong, ${result.checks.timeouts} unanswered (${result.checks.retriedOnce} needed a retry)`,
  );
  console.log(
    `latency   during the fuzz, after warm-up: UDP ${lat(result.checks.udpMs)}; TCP, new connection each ${lat(result.checks.tcpMs)}; warm-up max ${result.checks.warmupMaxMs} ms`,
  );
  console.log(`          during dnsperf + reloads: UDP ${lat(result.checks.reloadPhaseUdpMs)}`);
  console.log(
    `reloads   ${reload.skipped ? `skipped (${reload.skipped})` : `${result.reload.reloads} in ${result.reload.reloadSeconds} s under dnsperf: ${result.reload.dnsperfSent} sent, ${result.reload.dnsperfCompleted} completed, ${result.reload.dnsperfLost} lost`}`,
  );
  console.log(
    `process   pid ${pid} same throughout: ${alive}; error log lines ${server.errorLines.length}; SIGTERM exit ${JSON.stringify(exit)}`,
  );
  console.log(
    `RSS (MB)  start ${rssFigures.start}, after warm-up ${rssFigures.first}, max ${rssFigures.max}, last ${rssFigures.last} (${rssFigures.samples} samples)`,
  );
  console.log(
    `heap (MB) live after full GC: ${heap ? `first ${heap.firstLiveMb}, max ${heap.maxLiveMb}, last ${heap.lastLiveMb} (${heap.fullGcs} full GCs; committed ${heap.lastCommittedMb})` : 'n/a (fewer than 2 full GCs)'}`,
  );
  console.log(
    `machine   ${result.loadavg.cpus} CPUs, load average ${result.loadavg.start} at start, ${result.loadavg.end} at end (other work on the machine shows in latency)`,
  );
  console.log(JSON.stringify(result));
  fs.rmSync(work, { recursive: true, force: true });
  if (failures.length > 0) {
    console.log(`\nSOAK FAILED:\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log('\nsoak passed');
}

function latencyFigures(values) {
  return { n: values.length, p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) };
}

function round(n) {
  return Math.round(n * 100) / 100;
}

/** The worker thread: paced mutated packets over UDP and TCP, then the counts. */
async function fuzzWorker({ port, packets, rate, tcpShare, maxSeconds }) {
  const fuzzer = new Fuzzer(port);
  let stop = false;
  parentPort.on('message', (m) => (stop ||= m === 'stop'));
  const t0 = performance.now();
  let sent = 0;
  let lastProgress = 0;
  while (!stop && sent < packets && performance.now() - t0 < maxSeconds * 1000) {
    // Pace to the target rate: send what the clock says is due.
    const due = Math.min(packets, Math.floor(((performance.now() - t0) / 1000) * rate));
    const batch = Math.min(due - sent, 2000);
    for (let i = 0; i < batch; i++) fuzzer.sendOne(rnd() < tcpShare);
    sent += batch;
    if (sent - lastProgress >= 10_000) {
      lastProgress = sent;
      parentPort.postMessage({ progress: sent });
    }
    await sleep(5);
  }
  await sleep(500); // the last replies
  const { sentUdp, sentTcp, udpReplies, tcpReplies, tcpReconnects, oversize } = fuzzer;
  const { badReplies, badCount } = fuzzer;
  fuzzer.close();
  parentPort.postMessage({ result: { sentUdp, sentTcp, udpReplies, tcpReplies, tcpReconnects, oversize, badReplies, badCount } });
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  fuzzWorker(workerData).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
