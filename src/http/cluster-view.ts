// The HTTP listener of a cluster's primary sees the whole host: the primary owns configuration,
// health and reloads; its workers count the queries. On each /metrics scrape and status request
// the primary asks every worker for its registry (as JSON) and its traffic ring over IPC, and
// sums them with its own (prom-client's AggregatorRegistry.aggregate: counters and histograms
// add up, each metric by its own aggregator).
//
// A worker that dies takes its counters with it; the primary keeps the last ones it saw from
// that worker and goes on adding them, so steerdns_* counters never go backwards (what the
// worker answered after the last scrape is lost).
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { ClusterPrimary, Collected } from '../server/cluster/primary.js';
import type { SteerMetrics } from './metrics.js';
import type { Readiness } from './status.js';
import { sumTraffic, type TrafficExport, type TrafficSnapshot } from './traffic.js';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What a worker sends back on 'collect'. */
export interface WorkerReport {
  readonly metrics: MetricsJson;
  readonly traffic: TrafficExport;
}

/** The worker side: its metrics and traffic, as JSON. */
export async function workerReport(metrics: SteerMetrics): Promise<WorkerReport> {
  return { metrics: await metrics.registry.getMetricsAsJSON(), traffic: metrics.traffic.export() };
}

export interface ClusterView {
  /** Every worker listening (readiness beyond the primary's own). */
  answering(): Readiness;
  /** The /metrics exposition for the whole host. */
  metrics(): Promise<string>;
  /** Traffic per pool summed over the workers (and the primary's own, which is empty). */
  traffic(): Promise<TrafficSnapshot | null>;
}

const isReport = (d: unknown): d is WorkerReport =>
  typeof d === 'object' && d !== null && Array.isArray((d as WorkerReport).metrics) && typeof (d as WorkerReport).traffic === 'object';

export function clusterView(primary: ClusterPrimary, metrics: SteerMetrics | null): ClusterView {
  /** The newest report of each worker, by cluster worker id. */
  const last = new Map<number, { pid: number; report: WorkerReport }>();
  /** Counters and histograms of workers gone, summed. */
  let retired: MetricsJson = [];

  const collect = async (): Promise<Map<number, { pid: number; report: WorkerReport }>> => {
    const fresh: Collected[] = await primary.collect();
    for (const c of fresh) if (isReport(c.data)) last.set(c.id, { pid: c.pid, report: c.data });
    // A worker that stayed silent this time but lives keeps its last report; the dead are retired.
    const alive = new Set(primary.workers().map((w) => w.id));
    const gone: MetricsJson[] = [];
    for (const [id, entry] of last) {
      if (alive.has(id)) continue;
      last.delete(id);
      gone.push(
        entry.report.metrics.filter(
          (m) => m.name.startsWith('steerdns_') && (String(m.type) === 'counter' || String(m.type) === 'histogram'),
        ),
      );
    }
    if (gone.length > 0) retired = await AggregatorRegistry.aggregate([retired, ...gone]).getMetricsAsJSON();
    return last;
  };

  // Cluster-level metrics, read when scraped.
  const own = new Registry();
  let perWorker: { id: number; pid: number; queries: number }[] = [];
  new Gauge({
    name: 'steerdns_cluster_workers',
    help: 'Worker processes answering queries, by state ("listening", or "starting" before their sockets are open).',
    labelNames: ['state'],
    registers: [own],
    collect() {
      const ws = primary.workers();
      this.set({ state: 'listening' }, ws.filter((w) => w.listening).length);
      this.set({ state: 'starting' }, ws.filter((w) => !w.listening).length);
    },
  });
  new Counter({
    name: 'steerdns_cluster_worker_restarts_total',
    help: 'Workers started to replace dead ones since the primary started.',
    registers: [own],
    collect() {
      this.reset();
      this.inc(primary.restarts());
    },
  });
  new Counter({
    name: 'steerdns_cluster_worker_queries_total',
    help: 'Queries answered by each live worker (the sum of its steerdns_queries_total), by cluster worker id and pid.',
    labelNames: ['worker', 'pid'],
    registers: [own],
    collect() {
      this.reset();
      for (const w of perWorker) this.inc({ worker: String(w.id), pid: String(w.pid) }, w.queries);
    },
  });

  return {
    answering() {
      const ws = primary.workers();
      const n = ws.filter((w) => w.listening).length;
      return n >= primary.size
        ? { ready: true, reason: `${n} of ${primary.size} workers listening` }
        : { ready: false, reason: `waiting for workers: ${n} of ${primary.size} listening` };
    },
    async metrics() {
      const reports = await collect();
      perWorker = [...reports].map(([id, { pid, report }]) => ({ id, pid, queries: queriesOf(report.metrics) }));
      const parts: MetricsJson[] = [...[...reports.values()].map((r) => r.report.metrics), retired];
      if (metrics !== null) parts.unshift(await metrics.registry.getMetricsAsJSON());
      const summed = AggregatorRegistry.aggregate(parts);
      return `${await summed.metrics()}${await own.metrics()}`;
    },
    async traffic() {
      const reports = await collect();
      // Taken after the workers': the primary's window ends at the newest bucket any of them saw.
      const base = metrics?.traffic.snapshot();
      if (base === undefined) return null;
      return sumTraffic(
        base,
        [...reports.values()].map((r) => r.report.traffic),
      );
    },
  };
}

function queriesOf(json: MetricsJson): number {
  const m = json.find((x) => x.name === 'steerdns_queries_total');
  return m ? m.values.reduce((n, v) => n + v.value, 0) : 0;
}
