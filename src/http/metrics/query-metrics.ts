// What answering queries counts: plain-number cells bumped on the query path (SteerMetrics
// keeps the cells it needs per query), read into the exposition when scraped. In a cluster
// these are the workers' metrics, summed by the primary.
import { CellCounter } from '../cell-counter.js';
import { CellHistogram } from '../cell-histogram.js';
import type { MetricRow } from './registry-table.js';

const QUERY_LABELS = ['zone', 'qtype', 'rcode', 'transport'] as const;
const DROPPED_LABELS = ['reason', 'transport'] as const;
const LB_LABELS = ['zone', 'lb', 'pool'] as const;
const ORIGIN_LABELS = ['zone', 'lb', 'pool', 'origin'] as const;

/** Decode to encoded reply takes microseconds; the upper buckets catch a stalled event loop. */
const LATENCY_BUCKETS = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1];

export interface QueryCounters {
  readonly queries: CellCounter<(typeof QUERY_LABELS)[number]>;
  readonly dropped: CellCounter<(typeof DROPPED_LABELS)[number]>;
  readonly truncated: CellCounter<'transport'>;
  readonly ecs: CellCounter<'family'>;
  readonly lbAnswers: CellCounter<(typeof LB_LABELS)[number]>;
  readonly originAnswers: CellCounter<(typeof ORIGIN_LABELS)[number]>;
  readonly latency: CellHistogram<'transport'>;
}

export function queryCounters(): QueryCounters {
  return {
    queries: new CellCounter(QUERY_LABELS),
    dropped: new CellCounter(DROPPED_LABELS),
    truncated: new CellCounter(['transport']),
    ecs: new CellCounter(['family']),
    lbAnswers: new CellCounter(LB_LABELS),
    originAnswers: new CellCounter(ORIGIN_LABELS),
    latency: new CellHistogram(['transport'], LATENCY_BUCKETS),
  };
}

/** The rows of the query counters; the latency help says how queries are sampled (1 in `sampleEvery`). */
export function queryRows(sampleEvery: number): MetricRow<QueryCounters>[] {
  const sampled = sampleEvery > 1 ? `; sampled, 1 query in ${sampleEvery}` : '';
  return [
    {
      name: 'steerdns_queries_total',
      help: 'DNS queries answered, by zone ("-": none), query type, rcode and transport.',
      type: 'counter',
      labels: QUERY_LABELS,
      read: (c, emit) => c.queries.read(emit),
    },
    {
      name: 'steerdns_queries_dropped_total',
      help: 'Messages dropped unanswered (too short, or a response).',
      type: 'counter',
      labels: DROPPED_LABELS,
      read: (c, emit) => c.dropped.read(emit),
    },
    {
      name: 'steerdns_truncated_total',
      help: "Replies sent with TC=1 (did not fit the client's UDP size).",
      type: 'counter',
      labels: ['transport'],
      read: (c, emit) => c.truncated.read(emit),
    },
    {
      name: 'steerdns_ecs_queries_total',
      help: 'Queries that carried an EDNS Client Subnet option, by address family.',
      type: 'counter',
      labels: ['family'],
      read: (c, emit) => c.ecs.read(emit),
    },
    {
      name: 'steerdns_lb_answers_total',
      help: 'Replies whose answer came from a load balancer, by zone, load balancer and pool.',
      type: 'counter',
      labels: LB_LABELS,
      read: (c, emit) => c.lbAnswers.read(emit),
    },
    {
      name: 'steerdns_lb_origin_answers_total',
      help: 'Records answered per origin, by zone, load balancer, pool and origin.',
      type: 'counter',
      labels: ORIGIN_LABELS,
      read: (c, emit) => c.originAnswers.read(emit),
    },
    {
      name: 'steerdns_query_duration_seconds',
      help: `Time to answer one query (decode to encoded reply), by transport${sampled}.`,
      type: 'histogram',
      labels: ['transport'],
      read: (c, emit) => c.latency.read(emit),
    },
  ];
}
