// The what-if fast path (lines read as bytes, records scanned without JSON.parse, decisions
// remembered per key and per weighted pick, identical lines grouped before the tally) against
// the straightforward one: generated logs of geo, hash, random-pool and random-origin steering,
// a random `all` window (never remembered), bad records, blank lines, CRLF and lone CR line ends,
// escapes, white space and samples, replayed through a current and a candidate configuration.
// The fast report must equal, field for field, both the plain run (readline, parseRecord, the
// run's `add`) and a reference that decides every line afresh and tallies it on its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../src/config/config-loader.js';
import type { OriginConfig } from '../../src/config/state.js';
import { SteerError } from '../../src/errors.js';
import { GeoIpService } from '../../src/geo/service.js';
import type { GeoDatabase } from '../../src/geo/types.js';
import type { HealthSnapshot } from '../../src/health/types.js';
import { ClientViews } from '../../src/replay/client-view.js';
import { LogStats, readRecords } from '../../src/replay/log-reader.js';
import { DecisionSlot, QueryBuilder, Replayer, resolverIp, servingStateOf } from '../../src/replay/replayer.js';
import { WhatifTally } from '../../src/replay/whatif-report.js';
import { WhatifRun, whatifFromFiles, type WhatifInput, type WhatifResult } from '../../src/replay/whatif.js';
import { silentLogger } from '../../src/server/logger.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';

const ZONE = `$TTL 300
@       IN SOA ns hostmaster 1 3600 600 86400 60
        IN NS  ns
ns      IN A   192.0.2.1
static  IN A   192.0.2.2
`;

function lbYaml(gb: string, weights: string): string {
  return `
pools:
  us:
    origins:
      - { name: us-1, address: 192.0.2.10 }
      - { name: us-2, address: 192.0.2.11, weight: 2 }
      - { name: us-6, address: "2001:db8::10" }
  eu:
    origin_steering: { policy: hash }
    origins:
      - { name: eu-1, address: 198.51.100.10 }
      - { name: eu-2, address: 198.51.100.11 }
  ap:
    origins:
      - { name: ap-1, address: 203.0.113.10 }
  wide:
    origin_steering: { policy: all }
    origins:
      - { name: w-1, address: 192.0.2.21 }
      - { name: w-2, address: 192.0.2.22 }
      - { name: w-3, address: 192.0.2.23 }
load_balancers:
  geo:
    steering_policy: geo
    default_pools: [us, eu]
    subnet_pools:
      "198.51.100.128/25": [ap]
    country_pools:
      GB: ${gb}
      JP: [ap, eu]
  hsh:
    steering_policy: hash
    default_pools: [us, eu, ap]
  rnd:
    steering_policy: random
    default_pools: [us, eu, ap]
    random_steering: { pool_weights: ${weights} }
  win:
    default_pools: [wide]
    max_records: 2
`;
}

const ALL_UP: HealthSnapshot = { generation: 0, get: () => undefined, isUp: () => true };

let dir: string;
let input: WhatifInput;

function load(sub: string, gb: string, weights: string): ReadonlyMap<string, OriginConfig> {
  const d = path.join(dir, sub);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'fast.example.zone'), `$ORIGIN fast.example.\n${ZONE}`);
  fs.writeFileSync(path.join(d, 'fast.example.lb.yaml'), lbYaml(gb, weights));
  const loaded = loadConfigDir(d, new Map(), true);
  expect(loaded.errors).toEqual([]);
  return loaded.origins;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-fast-path-'));
  const service = await GeoIpService.open(writeTestGeoDb(path.join(dir, 'geo')), silentLogger(), { fsWatch: false });
  const geo: GeoDatabase | null = service.current();
  service.close();
  input = {
    current: load('current', '[eu, us]', '{ us: 2, eu: 1, ap: 1 }'),
    candidate: load('candidate', '[us, eu]', '{ us: 1, eu: 1, ap: 2 }'),
    health: ALL_UP,
    geo,
  };
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** mulberry32: the same log for the same seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['geo', 'hsh', 'rnd', 'win', 'static', 'nope'].map((n) => `${n}.fast.example`).concat(['other.test']);
const TYPES = ['A', 'A', 'A', 'AAAA', 'TXT'];
const ECS = [
  '127.0.1.0/24',
  '127.0.3.0/24',
  '198.51.100.128/25',
  '198.51.100.0/24',
  '203.0.113.0/25',
  '2001:db8:1::/48',
  '10.9.0.0/16',
  null,
];
const RESOLVERS = ['127.0.0.1', '127.0.2.53', '2001:db8:2::53', '127.0.1.0/24'];

interface GeneratedLog {
  readonly text: string;
  /** Line numbers of the lines that must be reported bad. */
  readonly bad: number[];
}

/**
 * A log of `lines` lines: mostly the writer's shape, with every `oddEvery`-th line one of the
 * shapes the fast path must leave to parseRecord or get exactly right.
 */
function generateLog(seed: number, lines: number, oddEvery: number, fractionalSampleAt = -1): GeneratedLog {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: string[] = [];
  const bad: number[] = [];
  let ts = 1_796_400_000_000;
  const record = (): Record<string, unknown> => {
    ts += Math.floor(r() * 50);
    return {
      v: 1,
      ts,
      transport: r() < 0.8 ? 'udp' : 'tcp',
      resolver: pick(RESOLVERS),
      ecs: pick(ECS),
      qname: pick(NAMES),
      qtype: pick(TYPES),
      rcode: 'NOERROR',
      kind: 'answer',
      zone: 'fast.example',
      lb: null,
      pool: 'us',
      origins: ['us-1'],
      scope: 24,
      sample: r() < 0.9 ? 1 : 16,
    };
  };
  const ends = ['\n', '\n', '\n', '\r\n', '\r'];
  for (let n = 1; n <= lines; n++) {
    const rec = record();
    let line = JSON.stringify(rec);
    if (n === fractionalSampleAt) line = JSON.stringify({ ...rec, sample: 1.5 });
    else if (n % oddEvery === 0) {
      switch (Math.floor(r() * 14)) {
        case 0:
          line = '';
          break;
        case 1:
          line = '   \t ';
          break;
        case 2:
          line = line.slice(0, 40); // cut short
          bad.push(n);
          break;
        case 3:
          line = JSON.stringify({ ...rec, resolver: 'not-an-address' });
          bad.push(n);
          break;
        case 4:
          line = JSON.stringify({ ...rec, qtype: 'BOGUS' });
          bad.push(n);
          break;
        case 5:
          line = JSON.stringify({ ...rec, ecs: 'no-slash' });
          bad.push(n);
          break;
        case 6:
          line = JSON.stringify({ ...rec, v: 2 });
          bad.push(n);
          break;
        case 7:
          line = JSON.stringify(rec, null, 0).replace(/":/g, '": '); // white space: JSON, not the writer's shape
          break;
        case 8:
          line = line.replace('"qname":"', '"qname":"\\u0077'); // an escape: one more "w"
          break;
        case 9:
          line = line.replace('"qtype":', '"qtype":"AAAA","qtype":'); // duplicate key: the last wins
          break;
        case 10:
          line = JSON.stringify({ ...rec, ts: (rec.ts as number) + 0.5, transport: 'quic', sample: 0 });
          break;
        case 11:
          line = JSON.stringify({ ...rec, qname: 'wé.fast.example', extra: { nested: [1, 2] } });
          break;
        case 12:
          line = JSON.stringify({ ...rec, sample: 5_000_000 });
          break;
        default:
          line = '[1]';
          bad.push(n);
          break;
      }
    }
    // "\r" then an empty line would read as one "\r\n": end the line before it with "\n".
    if (line === '' && out.at(-1) === '\r') out[out.length - 1] = '\n';
    out.push(line, pick(ends));
  }
  return { text: out.join(''), bad };
}

/** The plain path: readline, parseRecord, WhatifRun.add. */
async function plain(files: string[], strict = false): Promise<WhatifResult> {
  const run = new WhatifRun(input, strict);
  await readRecords(files, run.stats, strict, run.add);
  return run.result();
}

/** Every line decided afresh (no memo) and tallied on its own. */
async function reference(files: string[]): Promise<WhatifResult> {
  const before = new Replayer(servingStateOf(input.current, input.health, input.geo));
  const after = new Replayer(servingStateOf(input.candidate, input.health, input.geo));
  const queries = new QueryBuilder();
  const views = new ClientViews(input.geo);
  const tally = new WhatifTally();
  const stats = new LogStats();
  let seed = 0;
  await readRecords(files, stats, false, (record, file, line) => {
    const q = queries.build(record);
    if (typeof q === 'string') {
      stats.records--;
      stats.noteBad(file, line, q);
      return;
    }
    seed++;
    const ip = resolverIp(record);
    const b = before.decide(new DecisionSlot(), q, ip, record.transport, seed);
    const a = after.decide(new DecisionSlot(), q, ip, record.transport, seed);
    tally.add(views.of(record), b, a, record.sample);
  });
  const s = stats;
  return {
    log: { lines: s.lines, replayed: s.records, bad: s.bad, badLines: s.badLines, spanSeconds: s.spanSeconds() },
    ...tally.result(),
  };
}

function write(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('whatif fast path', () => {
  for (const seed of [1, 2, 3]) {
    it(`gives exactly the plain path's and the reference's report (log seed ${seed})`, async () => {
      const log = generateLog(seed, 4000, 97);
      const file = write(`log-${seed}.jsonl`, log.text);
      const fast = await whatifFromFiles(input, [file], false);
      expect(fast).toEqual(await plain([file]));
      expect(fast).toEqual(await reference([file]));
      // The log exercised what it is meant to: bad lines with their numbers, random pools, moves.
      expect(fast.log.badLines.map((b) => b.line)).toEqual(log.bad);
      expect(fast.log.badLines.every((b) => b.file === file)).toBe(true);
      const rnd = fast.loadBalancers.find((l) => l.lb === 'rnd.fast.example');
      for (const pool of ['us', 'eu', 'ap']) expect(rnd?.pools.find((p) => p.key === pool)?.before, pool).toBeGreaterThan(0);
      expect(rnd!.moved).toBeGreaterThan(0);
      expect(fast.loadBalancers.find((l) => l.lb === 'geo.fast.example')!.moved).toBeGreaterThan(0);
      expect(fast.totals.changed).toBeGreaterThan(0);
    });
  }

  it('is the same over several files, gzip, and a sample that stops grouping half way', async () => {
    const a = write('a.jsonl', generateLog(11, 1500, 53).text);
    const b = write('b.jsonl.gz', gzipSync(generateLog(12, 1500, 41).text));
    const c = write('c.jsonl', generateLog(13, 1500, 61, 700).text);
    const files = [a, b, c];
    const fast = await whatifFromFiles(input, files, false);
    expect(fast).toEqual(await plain(files));
    expect(fast).toEqual(await reference(files));
    expect(new Set(fast.log.badLines.map((l) => l.file))).toEqual(new Set(files));
  });

  it('stops at the same first bad line with --strict', async () => {
    const log = generateLog(21, 500, 37);
    expect(log.bad.length).toBeGreaterThan(0);
    const file = write('strict.jsonl', log.text);
    const failure = async (p: Promise<unknown>): Promise<string> => {
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SteerError);
      return (err as SteerError).describe();
    };
    const fast = await failure(whatifFromFiles(input, [file], true));
    expect(fast).toBe(await failure(plain([file], true)));
    expect(fast).toContain(`${file}:${log.bad[0]}:`);
  });
});
