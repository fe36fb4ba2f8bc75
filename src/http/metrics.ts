// Prometheus metrics of one server, on a registry of its own (never prom-client's global one).
//
// Every metric is a row of a table (metrics/*-metrics.ts) read when /metrics is scraped.
// Per-query counters are plain number cells looked up by small integer keys (see
// cell-counter.ts); everything that describes state (health, zones, generations) is read from
// the running server, so it is always current and costs nothing in between. Probe durations
// are seen by wrapping HealthTable.report, the one place every probe result passes through.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { LoadOutcome } from '../config/config-loader.js';
import type { ClientIp } from '../net/client-ip.js';
import type { QueryObserver } from '../query/observer.js';
import type { QueryAnswer } from '../query/answer.js';
import type { RunningServer } from '../server/server.js';
import type { ServingState } from '../config/state.js';
import { rcodeToString, typeToString } from '../wire/format.js';
import type { RR, RRset } from '../wire/types.js';
import { recordsOf, type RecordSource } from '../query/attribution.js';
import type { Cell } from './cell-counter.js';
import type { HistogramCell } from './cell-histogram.js';
import { CACHE_ROWS } from './metrics/cache-metrics.js';
import { DNSSEC_ROWS } from './metrics/dnssec-metrics.js';
import { HEALTH_ROWS } from './metrics/health-metrics.js';
import { NOTIFY_ROWS } from './metrics/notify-metrics.js';
import { OBSERVED_ROWS, observedCounts, type ObservedCounts } from './metrics/observed-metrics.js';
import { queryCounters, queryRows, type QueryCounters } from './metrics/query-metrics.js';
import { registerTable, type MetricDescription } from './metrics/registry-table.js';
import { FLEET_ROWS } from './metrics/fleet-metrics.js';
import type { Fleet } from '../fleet/fleet.js';
import { STATE_ROWS } from './metrics/state-metrics.js';
import { TRANSFER_ROWS } from './metrics/transfer-metrics.js';
import { TRANSPORT_ROWS } from './metrics/transport-metrics.js';
import { TrafficRing, type TrafficOptions } from './traffic.js';

export interface MetricsOptions {
  /** Process and Node.js runtime metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Tells the latency histogram's help text how queries are sampled (see ObservedAnswerer in src/query/answerer.ts). */
  readonly latencySampleEvery?: number;
  readonly traffic?: TrafficOptions;
  /**
   * "all" (default), or "queries": only what answering queries measures (query counters,
   * latency, TCP connections, traffic) — a cluster worker, whose primary owns configuration,
   * health and reloads and reports those once for the host.
   */
  readonly scope?: 'all' | 'queries';
}

/** The last reload attempt, for the status API. */
export interface ReloadRecord {
  readonly at: number;
  readonly ok: boolean;
  readonly loaded: readonly string[];
  readonly kept: readonly string[];
  readonly removed: readonly string[];
  readonly errors: readonly string[];
}

/** Zone label for queries that matched no zone (REFUSED, FORMERR before the question...). */
export const NO_ZONE = '-';

/** qtype label values: known mnemonics, everything else "other" (clients choose qtypes freely). */
const QTYPE_KNOWN = new Uint8Array(65536);
for (let t = 1; t < 65536; t++) if (!typeToString(t).startsWith('TYPE')) QTYPE_KNOWN[t] = 1;
const qtypeLabel = (t: number): string => (QTYPE_KNOWN[t] ? typeToString(t) : 'other');

interface Attribution {
  readonly source: RecordSource;
  readonly pool: Cell;
  readonly origin: Cell;
  readonly traffic: Uint32Array;
}

export function trafficKey(zone: string, lb: string, pool: string): string {
  return `${zone}\u0000${lb}\u0000${pool}`;
}

export class SteerMetrics implements QueryObserver {
  readonly registry = new Registry();
  /** Every steerdns_ metric this instance registered, in registration order. */
  table: readonly MetricDescription[];
  readonly traffic: TrafficRing;
  #server: RunningServer | null = null;
  #lastReload: ReloadRecord | null = null;

  // Hot-path counters and their per-label-combination caches.
  readonly #queries: QueryCounters['queries'];
  readonly #queryCells = new Map<string, Map<number, Cell>>();
  readonly #droppedCells: Cell[];
  readonly #truncatedCells: { udp: Cell; tcp: Cell };
  readonly #ecsCells: { v4: Cell; v6: Cell };
  readonly #lbAnswers: QueryCounters['lbAnswers'];
  readonly #originAnswers: QueryCounters['originAnswers'];
  /** Prebuilt load-balancer record → where it came from; records of replaced states go with GC. */
  #attribution = new WeakMap<RR, Attribution>();
  #hasAttribution = false;
  /** Attribution by source key, so a record prepared again finds the same cells. */
  #attributionBySource = new Map<string, Attribution>();
  #attributedLb: ServingState['lb'] | null = null;
  #attributedConfig = -1;

  readonly #latency: QueryCounters['latency'];
  readonly #latencyCells: { udp: HistogramCell; tcp: HistogramCell };
  /** Probe durations and reloads; null in a cluster worker (scope "queries"). */
  readonly #observed: ObservedCounts | null = null;

  constructor(options: MetricsOptions = {}) {
    const r = this.registry;
    this.traffic = new TrafficRing(options.traffic);
    // prom-client reads these when scraped too (event-loop delay and GC from Node's own monitors).
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: r });

    const q = queryCounters();
    this.#queries = q.queries;
    this.#droppedCells = ['short', 'response', 'other'].flatMap((reason) =>
      (['udp', 'tcp'] as const).map((transport) => q.dropped.cell({ reason, transport })),
    );
    this.#truncatedCells = { udp: q.truncated.cell({ transport: 'udp' }), tcp: q.truncated.cell({ transport: 'tcp' }) };
    this.#ecsCells = { v4: q.ecs.cell({ family: 'ipv4' }), v6: q.ecs.cell({ family: 'ipv6' }) };
    this.#lbAnswers = q.lbAnswers;
    this.#originAnswers = q.originAnswers;
    this.#latency = q.latency;
    this.#latencyCells = { udp: q.latency.cell({ transport: 'udp' }), tcp: q.latency.cell({ transport: 'tcp' }) };

    const server = (): RunningServer | null => this.#server;
    const table = [
      ...registerTable(r, queryRows(Math.max(1, Math.floor(options.latencySampleEvery ?? 1))), () => q),
      ...registerTable(r, TRANSPORT_ROWS, server),
      ...registerTable(r, TRANSFER_ROWS, server),
      ...registerTable(r, DNSSEC_ROWS, server),
      ...registerTable(r, CACHE_ROWS, server),
    ];
    // A cluster worker stops here: its primary reports configuration, health and reloads.
    if (options.scope !== 'queries') {
      const observed = observedCounts();
      this.#observed = observed;
      table.push(
        ...registerTable(r, OBSERVED_ROWS, () => observed),
        ...registerTable(r, STATE_ROWS, server),
        ...registerTable(r, HEALTH_ROWS, server),
        ...registerTable(r, NOTIFY_ROWS, server),
      );
    }
    this.table = table;
  }

  /** Starts reading from a running server: state swaps, probe results, reloads. Returns detach. */
  attach(server: RunningServer): () => void {
    this.#server = server;
    const onSwap = (state: ServingState): void => this.#reattribute(state);
    server.state.on('swap', onSwap);
    this.#reattribute(server.state.current);

    const onReload = (outcome: LoadOutcome): void => this.#recordReload(outcome);
    server.events.on('reload', onReload);

    const health = server.health;
    const report = health.report;
    const duration = this.#observed?.probeDuration ?? null;
    const wrapped: typeof report = function (this: typeof health, key, result) {
      duration?.observe(duration.cell({ target: key }), result.durationMs / 1000);
      return report.call(this, key, result);
    };
    if (duration !== null) health.report = wrapped;

    return () => {
      server.state.off('swap', onSwap);
      server.events.off('reload', onReload);
      if (health.report === wrapped) health.report = report;
      if (this.#server === server) this.#server = null;
    };
  }

  /** Fleet mode: the fleet's rows join the table. */
  attachFleet(fleet: Fleet): void {
    this.table = [...this.table, ...registerTable(this.registry, FLEET_ROWS, () => fleet)];
  }

  get lastReload(): ReloadRecord | null {
    return this.#lastReload;
  }

  // --- QueryObserver (called by the transports for every message, with sampled timing) ---

  observe(answer: QueryAnswer, _client: ClientIp, seconds: number): void {
    const transport = answer.transport;
    if (seconds >= 0) this.#latency.observe(this.#latencyCells[transport], seconds);
    const reply = answer.reply;
    if (reply === null) {
      const reason = answer.dropReason ?? '';
      const kind = reason.startsWith('message of') ? 0 : reason.startsWith('QR=1') ? 1 : 2;
      this.#droppedCells[kind * 2 + (transport === 'tcp' ? 1 : 0)]!.value++;
      return;
    }
    if (answer.truncated) this.#truncatedCells[transport].value++;
    const z = answer.zone ?? NO_ZONE;
    let cells = this.#queryCells.get(z);
    if (cells === undefined) {
      cells = new Map();
      this.#queryCells.set(z, cells);
    }
    const qtype = answer.qtype;
    const t = qtype >= 0 && qtype < 65536 && QTYPE_KNOWN[qtype] ? qtype : 0;
    const key = ((t * 4096 + (answer.rcode & 0xfff)) << 1) | (transport === 'tcp' ? 1 : 0);
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = this.#queries.cell({ zone: z, qtype: t === 0 ? 'other' : qtypeLabel(t), rcode: rcodeToString(answer.rcode), transport });
      cells.set(key, cell);
    }
    cell.value++;

    const ecs = answer.ecsFamily;
    if (ecs !== 0) (ecs === 1 ? this.#ecsCells.v4 : this.#ecsCells.v6).value++;

    // Only steered answers hold load-balancer records.
    if (answer.steerings > 0 && this.#hasAttribution) this.#attribute(answer.answerSets);
  }

  #attribute(answer: readonly RRset[]): void {
    for (let i = 0; i < answer.length; i++) {
      const rrset = answer[i]!;
      const first = rrset[0];
      const a = first === undefined ? undefined : this.#attribution.get(first);
      if (a === undefined) continue;
      // One steering decision → one pool; every record in it is one origin's.
      a.pool.value++;
      this.traffic.hit(a.traffic);
      a.origin.value++;
      for (let j = 1; j < rrset.length; j++) {
        const b = this.#attribution.get(rrset[j]!);
        if (b !== undefined) b.origin.value++;
      }
    }
  }

  /**
   * After a config change every record is attributed again and traffic series of pools that went
   * away are dropped. After a health change only the load balancers prepared again (new
   * PreparedLb objects; prepareLbChanges keeps the others) are looked at, so a health swap costs
   * what it changed, not every load balancer.
   */
  #reattribute(state: ServingState): void {
    const previous = this.#attributedLb;
    if (state.lb === previous) return;
    const full = previous === null || state.configGeneration !== this.#attributedConfig;
    this.#attributedLb = state.lb;
    this.#attributedConfig = state.configGeneration;
    if (full) {
      this.#attribution = new WeakMap();
      this.#attributionBySource = new Map();
    }
    // Every pool of every load balancer has a series, so a pool with no answers shows 0 %.
    const keys = full ? new Set<string>() : null;
    let any = false;
    for (const zone of state.lb.values()) {
      if (zone.loadBalancers.size > 0) any = true;
      const before = full ? undefined : previous.get(zone.origin);
      if (before === zone) continue;
      for (const lb of zone.loadBalancers.values()) {
        if (before !== undefined && before.loadBalancers.get(lb.owner) === lb) continue;
        recordsOf(zone.origin, lb, (rr, source) => this.#attribution.set(rr, this.#attributionFor(source)));
        for (const pool of lb.pools) {
          const key = trafficKey(zone.origin, lb.owner, pool.name);
          this.traffic.series(key);
          keys?.add(key);
        }
      }
    }
    this.#hasAttribution = any;
    if (keys !== null) this.traffic.retain(keys);
  }

  #attributionFor(source: RecordSource): Attribution {
    const key = `${source.zone}\u0000${source.lb}\u0000${source.pool}\u0000${source.origin}`;
    let a = this.#attributionBySource.get(key);
    if (a === undefined) {
      a = {
        source,
        pool: this.#lbAnswers.cell({ zone: source.zone, lb: source.lb, pool: source.pool }),
        origin: this.#originAnswers.cell(source),
        traffic: this.traffic.series(trafficKey(source.zone, source.lb, source.pool)),
      };
      this.#attributionBySource.set(key, a);
    }
    return a;
  }

  #recordReload(outcome: LoadOutcome): void {
    const ok = outcome.errors.length === 0;
    if (this.#observed !== null) this.#observed.reloads[ok ? 'ok' : 'failed']++;
    this.#lastReload = {
      at: Date.now(),
      ok,
      loaded: outcome.loaded,
      kept: outcome.kept,
      removed: outcome.removed,
      errors: outcome.errors.map((e) => e.describe()),
    };
  }
}
