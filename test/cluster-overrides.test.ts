// Operator overrides with `steerdns serve --workers 2`, spawned from the run's build: the
// primary keeps them (API, state directory, audit log, expiry) and every worker serves each
// change. Answers are read over real UDP, each query from a new socket so that the kernel
// spreads them over the workers' sockets; steerdns_cluster_worker_queries_total{pid} on
// /metrics says which workers answered a round.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from './http/harness.js';
import { buildQuery, decode, udpExchange } from './support/dns-client.js';
import { eventually } from './support/eventually.js';
import { type ServedCli, serveCli, stopCli } from './support/serve-cli.js';

const TOKEN = 'cluster-overrides-test-token-0123456789';
const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const lb = (origins: readonly string[]): string => `pools:
  main:
    origin_steering: { policy: all }
    origins:
${origins.map((o, i) => `      - { name: ${String.fromCharCode(97 + i)}, address: ${o} }`).join('\n')}
  backup:
    origins:
      - { name: z, address: 192.0.2.99 }
load_balancers:
  www: { default_pools: [main, backup] }
`;
const BOTH = '192.0.2.10,192.0.2.11';

let dir: string;
let zones: string;
let stateDir: string;
let node: ServedCli;

const start = (): Promise<ServedCli> =>
  serveCli(zones, ['--workers', '2', '--http', '127.0.0.1:0', '--http-token', TOKEN, '--state-dir', stateDir], { expectHttp: true });

/** Pids of the workers that logged "listening" so far (replacements included), in order. */
const workerPids = (n: ServedCli): number[] =>
  n.lines.filter((l) => String(l.msg ?? '').startsWith('listening') && l.pid !== undefined).map((l) => Number(l.pid));

/** The workers running now. */
const liveWorkers = (n: ServedCli): number[] =>
  workerPids(n).filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });

async function call(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.httpUrl}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const drain = async (target: string, forText?: string): Promise<{ id: string; expiresAt: string | null }> => {
  const r = await call('POST', '/api/v1/overrides', {
    zone: 'ov.test',
    target,
    action: 'drain',
    reason: 'test',
    ...(forText ? { for: forText } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; expiresAt: string | null };
};

/** The A records of www.ov.test, sorted and joined, over UDP from a new socket. */
async function www(): Promise<string> {
  const reply = decode(await udpExchange('127.0.0.1', node.dnsPort, buildQuery({ name: 'www.ov.test', type: 'A' }), 1500));
  return reply.answers
    .filter((a) => a.type === 'A')
    .map((a) => String(a.data))
    .sort()
    .join(',');
}

/** Queries answered so far by each worker pid. */
async function perWorker(): Promise<Map<number, number>> {
  const text = await (await fetch(`${node.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  const out = new Map<number, number>();
  for (const s of parsePrometheus(text)) if (s.name === 'steerdns_cluster_worker_queries_total') out.set(Number(s.labels.pid), s.value);
  return out;
}

interface Round {
  /** Each answer with the time it arrived. */
  readonly answers: { readonly at: number; readonly a: string }[];
  /** Pids of the workers that answered some of them. */
  readonly workers: number[];
}

async function round(count = 24): Promise<Round> {
  const before = await perWorker();
  const answers: Round['answers'][number][] = [];
  for (let i = 0; i < count; i++) {
    const a = await www();
    answers.push({ at: Date.now(), a });
  }
  const after = await perWorker();
  return { answers, workers: [...after].filter(([pid, n]) => n > (before.get(pid) ?? 0)).map(([pid]) => pid) };
}

/** The round's last answer time when every answer was `expected` and every worker in `pids` answered; else 0. */
function servedByAll(r: Round, expected: string, pids: readonly number[]): number {
  if (!r.answers.every((x) => x.a === expected)) return 0;
  if (!pids.every((p) => r.workers.includes(p))) return 0;
  return r.answers.at(-1)!.at;
}

const audit = (): { event: string; id: string; target: string }[] => {
  const file = path.join(stateDir, 'audit.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-cluster-ov-'));
  zones = path.join(dir, 'zones');
  stateDir = path.join(dir, 'state');
  fs.mkdirSync(zones);
  fs.writeFileSync(path.join(zones, 'ov.test.zone'), ZONE);
  fs.writeFileSync(path.join(zones, 'ov.test.lb.yaml'), lb(['192.0.2.10', '192.0.2.11']));
  node = await start();
  await eventually('both workers listening', () => workerPids(node).length === 2, { timeoutMs: 15_000 });
}, 30_000);

afterAll(async () => {
  if (node) await stopCli(node.child);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('overrides with serve --workers 2', () => {
  it('a drain reaches both workers within a second, survives a reload, and its removal reaches both too', async () => {
    const pids = workerPids(node);
    expect(servedByAll(await round(), BOTH, pids)).toBeGreaterThan(0);

    const t0 = Date.now();
    const made = await drain('a');
    const drained = await eventually('both workers answer without a', async () => servedByAll(await round(), '192.0.2.11', pids), {
      timeoutMs: 2000,
      intervalMs: 0,
    });
    expect(drained - t0).toBeLessThan(1000);
    expect((await call('GET', '/api/v1/overrides')).body.overrides).toEqual([expect.objectContaining({ id: made.id, target: 'a' })]);

    // A reload (two phases, fingerprints compared) keeps the override on every worker.
    fs.writeFileSync(path.join(zones, 'ov.test.lb.yaml'), lb(['192.0.2.10', '192.0.2.11', '192.0.2.12']));
    await eventually(
      'both workers serve the new file, a still drained',
      async () => servedByAll(await round(), '192.0.2.11,192.0.2.12', pids),
      {
        timeoutMs: 20_000,
        intervalMs: 50,
      },
    );

    const t1 = Date.now();
    expect((await call('DELETE', `/api/v1/overrides/${made.id}`)).status).toBe(200);
    const back = await eventually(
      'both workers answer with a again',
      async () => servedByAll(await round(), '192.0.2.10,192.0.2.11,192.0.2.12', pids),
      { timeoutMs: 2000, intervalMs: 0 },
    );
    expect(back - t1).toBeLessThan(1000);
    // The primary audits (into --state-dir); the workers do not.
    expect(audit().map((l) => [l.event, l.id])).toEqual([
      ['created', made.id],
      ['removed', made.id],
    ]);
    fs.writeFileSync(path.join(zones, 'ov.test.lb.yaml'), lb(['192.0.2.10', '192.0.2.11']));
    await eventually('both workers serve the first file again', async () => servedByAll(await round(), BOTH, pids), {
      timeoutMs: 20_000,
      intervalMs: 50,
    });
  }, 60_000);

  it('an expiry ends on time on every worker', async () => {
    const pids = workerPids(node);
    const made = await drain('b', '2s');
    const expiresAt = Date.parse(made.expiresAt!);
    await eventually('both workers answer without b', async () => servedByAll(await round(), '192.0.2.10', pids), { timeoutMs: 1000 });
    const seen: Round['answers'][number][] = [];
    const ended = await eventually(
      'both workers answer with b again',
      async () => {
        const r = await round();
        seen.push(...r.answers);
        return servedByAll(r, BOTH, pids);
      },
      { timeoutMs: 5000, intervalMs: 0 },
    );
    // Not before its time (a few ms for timer rounding), and on every worker within a second of it.
    const early = seen.filter((x) => x.a === BOTH && x.at < expiresAt - 5);
    expect(early, `answers with b before ${made.expiresAt}`).toEqual([]);
    expect(seen.some((x) => x.a === '192.0.2.10')).toBe(true);
    expect(ended - expiresAt).toBeLessThan(1000);
    // Expired once, by the primary.
    await eventually('the expiry audited', () => audit().some((l) => l.event === 'expired' && l.id === made.id));
    expect(
      audit()
        .filter((l) => l.id === made.id)
        .map((l) => l.event),
    ).toEqual(['created', 'expired']);
    expect((await call('GET', '/api/v1/overrides')).body.overrides).toEqual([]);
  }, 20_000);

  it('a worker killed with SIGKILL comes back with the overrides applied', async () => {
    const [victim, survivor] = workerPids(node) as [number, number];
    const made = await drain('a');
    await eventually('both workers answer without a', async () => servedByAll(await round(), '192.0.2.11', [victim, survivor]), {
      timeoutMs: 1000,
    });

    // A client asking one query after another the whole time.
    let asked = 0;
    let lost = 0;
    const wrong: string[] = [];
    let done = false;
    const client = (async () => {
      while (!done) {
        asked++;
        try {
          const a = await www();
          if (a !== '192.0.2.11') wrong.push(a);
        } catch {
          lost++;
        }
      }
    })();
    await eventually('the client to get going', () => asked > 20);
    process.kill(victim, 'SIGKILL');
    const replacement = await eventually(
      'a replacement worker listening',
      () => workerPids(node).find((p) => p !== victim && p !== survivor) ?? 0,
      { timeoutMs: 20_000 },
    );
    const askedAtReplacement = asked;
    await eventually('more answers after the replacement', () => asked > askedAtReplacement + 40, { timeoutMs: 10_000 });
    done = true;
    await client;
    // The replacement served the drain from its first answer on.
    expect(wrong).toEqual([]);
    expect(lost).toBeLessThanOrEqual(1);
    await eventually('both workers, the replacement too, answer without a', async () =>
      servedByAll(await round(), '192.0.2.11', [survivor, replacement]),
    );
    expect((await call('DELETE', `/api/v1/overrides/${made.id}`)).status).toBe(200);
    await eventually('both workers answer with a again', async () => servedByAll(await round(), BOTH, [survivor, replacement]), {
      timeoutMs: 1000,
    });
  }, 60_000);

  it('keeps the overrides across a restart with --state-dir, and every worker serves them from the start', async () => {
    const made = await drain('b');
    await eventually('both workers answer without b', async () => servedByAll(await round(), '192.0.2.10', liveWorkers(node)), {
      timeoutMs: 1000,
    });
    expect(await stopCli(node.child)).toBe(0);
    node = await start();
    await eventually('both new workers listening', () => workerPids(node).length === 2);
    const pids = workerPids(node);
    expect((await call('GET', '/api/v1/overrides')).body.overrides).toEqual([expect.objectContaining({ id: made.id, target: 'b' })]);
    // Every answer, from the first query on, without b; until both workers have answered.
    const rounds: Round[] = [];
    await eventually(
      'both workers to answer',
      async () => {
        const r = await round();
        rounds.push(r);
        return pids.every((p) => rounds.some((x) => x.workers.includes(p)));
      },
      { timeoutMs: 5000, intervalMs: 0 },
    );
    expect(rounds.flatMap((r) => r.answers.map((x) => x.a)).filter((a) => a !== '192.0.2.10')).toEqual([]);
    const file = JSON.parse(fs.readFileSync(path.join(stateDir, 'overrides.json'), 'utf8')) as { overrides: { id: string }[] };
    expect(file.overrides.map((o) => o.id)).toEqual([made.id]);
    // No "ignored" warning any more: the primary uses the state directory.
    expect(node.lines.some((l) => String(l.msg ?? '').includes('--state-dir'))).toBe(false);
  }, 60_000);
});
