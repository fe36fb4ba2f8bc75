// The cluster primary's view of its workers' metrics and traffic, without processes: a fake
// primary hands out what real SteerMetrics registries report.
import { clientIpOf } from '../net/client-ip.js';
import { describe, expect, it } from 'vitest';
import type { ClusterPrimary, Collected, WorkerInfo } from '../server/cluster/primary.js';
import type { Reply } from '../wire/types.js';
import { parsePrometheus, metricValue } from '../../test/http/harness.js';
import { clusterView, workerReport } from './cluster-view.js';
import { SteerMetrics } from './metrics.js';
import { sumTraffic, TrafficRing } from './traffic.js';
import { answered } from '../../test/support/query-answer.js';

const reply = { rcode: 0, answer: [] } as unknown as Reply;

function fakePrimary(size: number, workers: Map<number, SteerMetrics>): ClusterPrimary & { restartsCount: number } {
  const p = {
    size,
    restartsCount: 0,
    workers: (): WorkerInfo[] => [...workers.keys()].map((id) => ({ id, pid: 1000 + id, running: true, listening: true })),
    restarts: () => p.restartsCount,
    collect: async (): Promise<Collected[]> =>
      Promise.all([...workers].map(async ([id, m]) => ({ id, pid: 1000 + id, data: await workerReport(m) }))),
  };
  return p as unknown as ClusterPrimary & { restartsCount: number };
}

describe('clusterView', () => {
  it("sums query counters over workers, keeps a dead worker's counts, and says how many each answered", async () => {
    const primaryMetrics = new SteerMetrics({ defaultMetrics: false });
    const w1 = new SteerMetrics({ defaultMetrics: false, scope: 'queries' });
    const w2 = new SteerMetrics({ defaultMetrics: false, scope: 'queries' });
    for (let i = 0; i < 3; i++) w1.observe(answered('a.test', reply, 'udp', 1), clientIpOf('192.0.2.1'), -1);
    for (let i = 0; i < 5; i++) w2.observe(answered('a.test', reply, 'udp', 1), clientIpOf('192.0.2.1'), -1);
    w2.observe(answered('a.test', reply, 'tcp', 1), clientIpOf('192.0.2.1'), -1);
    const workers = new Map([
      [1, w1],
      [2, w2],
    ]);
    const primary = fakePrimary(2, workers);
    const view = clusterView(primary, primaryMetrics);

    let m = parsePrometheus(await view.metrics());
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'a.test', transport: 'udp' })).toBe(8);
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'a.test', transport: 'tcp' })).toBe(1);
    expect(metricValue(m, 'steerdns_cluster_worker_queries_total', { worker: '1', pid: '1001' })).toBe(3);
    expect(metricValue(m, 'steerdns_cluster_worker_queries_total', { worker: '2', pid: '1002' })).toBe(6);
    expect(metricValue(m, 'steerdns_cluster_workers', { state: 'listening' })).toBe(2);
    // The primary's own metrics (configuration, reloads) are there once.
    expect(m.filter((s) => s.name === 'steerdns_reloads_total' && s.labels.result === 'ok')).toHaveLength(1);
    expect(view.answering()).toEqual({ ready: true, reason: '2 of 2 workers listening' });

    // Worker 2 dies and a replacement (3) starts from zero: the sum does not go back.
    workers.delete(2);
    const w3 = new SteerMetrics({ defaultMetrics: false, scope: 'queries' });
    expect(view.answering().ready).toBe(false);
    workers.set(3, w3);
    primary.restartsCount = 1;
    w3.observe(answered('a.test', reply, 'udp', 1), clientIpOf('192.0.2.1'), -1);
    m = parsePrometheus(await view.metrics());
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'a.test', transport: 'udp' })).toBe(9);
    expect(metricValue(m, 'steerdns_queries_total', { zone: 'a.test', transport: 'tcp' })).toBe(1);
    expect(metricValue(m, 'steerdns_cluster_worker_restarts_total')).toBe(1);
    expect(metricValue(m, 'steerdns_cluster_worker_queries_total', { worker: '2' })).toBe(0);
    expect(metricValue(m, 'steerdns_cluster_worker_queries_total', { worker: '3' })).toBe(1);
  });
});

describe('sumTraffic', () => {
  it('adds other rings bucket by bucket, matched by start time', () => {
    let now = 1_000_000;
    const base = new TrafficRing({ bucketMs: 10_000, buckets: 3, now: () => now });
    base.series('p');
    now += 10_000;
    // A worker that started one bucket later.
    const worker = new TrafficRing({ bucketMs: 10_000, buckets: 3, now: () => now });
    worker.hit(worker.series('p'));
    worker.hit(worker.series('q'));
    now += 10_000;
    worker.hit(worker.series('p'));
    worker.hit(worker.series('p'));
    const exported = worker.export();
    const sum = sumTraffic(base.snapshot(), [exported, exported]);
    expect(sum.bucketStarts).toEqual([1_000_000, 1_010_000, 1_020_000]);
    expect(sum.counts('p')).toEqual([0, 2, 4]);
    expect(sum.counts('q')).toEqual([0, 2, 0]);
    expect(sum.counts('none')).toEqual([0, 0, 0]);
  });
});
