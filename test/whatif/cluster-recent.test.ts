// `steerdns serve --workers 2` as an operator runs it: the queries are answered in the workers,
// yet GET /api/v1/queries/recent lists those answered by each of them and GET /api/v1/scenarios
// replays them (the workers send their sampled records to the primary, which keeps them).
//
// Which worker answered a query: steerdns_cluster_worker_queries_total{pid} on /metrics, read
// before and after it. Each worker keeps the first query it answers (then one in 16), so the
// first name a worker answers is the one its records must show.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecord, type QueryRecord } from '../../src/replay/record.js';
import { repoRoot } from '../support/build.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { eventually } from '../support/eventually.js';
import { serveCli, stopCli, type ServedCli } from '../support/serve-cli.js';
import { parsePrometheus, request } from '../http/harness.js';

const TOKEN = 'a-test-token-of-some-length';
const auth = { authorization: `Bearer ${TOKEN}` };

let cli: ServedCli | null = null;
afterEach(async () => {
  if (cli) await stopCli(cli.child);
  cli = null;
});

async function perWorker(http: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of parsePrometheus((await request(`${http}/metrics`, { headers: auth })).text)) {
    if (s.name === 'steerdns_cluster_worker_queries_total') out.set(s.labels.pid!, s.value);
  }
  return out;
}

async function recent(http: string): Promise<QueryRecord[]> {
  const r = await request(`${http}/api/v1/queries/recent?minutes=5`, { headers: auth });
  expect(r.status).toBe(200);
  return r.text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const p = parseRecord(l);
      if ('problem' in p) throw new Error(p.problem);
      return p.record;
    });
}

describe('serve --workers 2: recent queries reach the primary', () => {
  it('lists queries answered by both workers and replays them as scenarios', async () => {
    const served = await serveCli(path.join(repoRoot, 'zones'), ['--workers', '2', '--http', '127.0.0.1:0'], {
      expectHttp: true,
      env: { STEERDNS_HTTP_TOKEN: TOKEN },
    });
    cli = served;
    const http = served.httpUrl!;
    const ask = async (name: string) => decode(await udpExchange('127.0.0.1', served.dnsPort, buildQuery({ name, type: 'A' })));

    // One query at a time (each from a new socket, so the kernel spreads them) until both
    // workers have answered; the first name each one answered.
    const firstOf = new Map<string, string>();
    let i = 0;
    await eventually(
      'both workers to answer a query',
      async () => {
        const before = await perWorker(http);
        const name = `q${i++}.example.com`;
        await ask(name);
        for (const [pid, n] of await perWorker(http)) if (n > (before.get(pid) ?? 0) && !firstOf.has(pid)) firstOf.set(pid, name);
        return firstOf.size === 2;
      },
      { timeoutMs: 30_000, intervalMs: 1 },
    );
    // Steered traffic for the failure matrix: at least one kept record per worker.
    for (let k = 0; k < 64; k++) expect((await ask('www.example.com')).rcode).toBe('NOERROR');

    const names = [...firstOf.values()];
    let records: QueryRecord[] = [];
    await eventually(
      'the primary to list the first query of each worker and steered ones',
      async () => {
        records = await recent(http);
        const qnames = new Set(records.map((x) => x.qname));
        return names.every((n) => qnames.has(n)) && qnames.has('www.example.com');
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(records.every((r) => r.sample === 16)).toBe(true);
    expect(records.find((r) => r.qname === 'www.example.com')).toMatchObject({ lb: 'www.example.com', zone: 'example.com' });
    // Oldest first, whichever worker each came from.
    expect(records.map((r) => r.ts)).toEqual([...records.map((r) => r.ts)].sort((a, b) => a - b));

    const sc = await request(`${http}/api/v1/scenarios?minutes=5`, { headers: auth });
    expect(sc.status).toBe(200);
    const doc = JSON.parse(sc.text) as { available?: boolean; sampleEvery: number; queries: number; scenarios: { kind: string }[] };
    expect(doc.available).toBeUndefined();
    expect(doc.sampleEvery).toBe(16);
    expect(doc.queries).toBeGreaterThan(0);
    expect(doc.scenarios.filter((s) => s.kind === 'pool').length).toBeGreaterThan(0);

    expect(await stopCli(served.child)).toBe(0);
    cli = null;
  }, 60_000);
});
