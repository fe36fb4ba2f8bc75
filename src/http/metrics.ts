// Prometheus metrics of one server, on a registry of its own (never prom-client's global one).
//
// Per-query counters are plain number cells looked up by small integer keys (see
// cell-counter.ts); everything that describes state (health, zones, generations) is read from
// the running server when /metrics is scraped, so it is always current and costs nothing in
// between. Probe durations are seen by wrapping HealthTable.report, the one place every probe
// result passes through.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LoadOutcome } from '../config/config-loader.js';
import type { QueryObserver } from '../query/observer.js';
import type { Transport } from '../query/pipeline.js';
import type { RunningServer } from '../server/server.js';
import type { RrlStats } from '../transport/rrl.js';
import type { ServingState } from '../config/state.js';
import { evaluatePool } from '../lb/prepare.js';
import { rcodeToString, typeToString } from '../wire/format.js';
import type { Query, RR, Reply } from '../wire/types.js';
import { isTruncated, type AnswerTap } from './answer-tap.js';
import { recordsOf, type RecordSource } from './attribution.js';
import { CellCounter, type Cell } from './cell-counter.js';
import { CellHistogram, type HistogramCell } from './cell-histogram.js';
import { TrafficRing, type TrafficOptions } from './traffic.js';

export interface MetricsOptions {
  /** Process and Node.js runtime metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Tells the latency histogram's help text how queries are sampled (see tapPipeline). */
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

export class SteerMetrics implements QueryObserver, AnswerTap {
  readonly registry = new Registry();
  readonly traffic: TrafficRing;
  #server: RunningServer | null = null;
  #lastReload: ReloadRecord | null = null;

  // Hot-path counters and their per-label-combination caches.
  readonly #queries: CellCounter<'zone' | 'qtype' | 'rcode' | 'transport'>;
  readonly #queryCells = new Map<string, Map<number, Cell>>();
  readonly #dropped: CellCounter<'reason' | 'transport'>;
  readonly #droppedCells: Cell[];
  readonly #truncatedCells: { udp: Cell; tcp: Cell };
  readonly #ecsCells: { v4: Cell; v6: Cell };
  readonly #lbAnswers: CellCounter<'zone' | 'lb' | 'pool'>;
  readonly #originAnswers: CellCounter<'zone' | 'lb' | 'pool' | 'origin'>;
  /** Prebuilt load-balancer record → where it came from; records of replaced states go with GC. */
  #attribution = new WeakMap<RR, Attribution>();
  #hasAttribution = false;
  /** Attribution by source key, so a record prepared again finds the same cells. */
  #attributionBySource = new Map<string, Attribution>();
  #attributedLb: ServingState['lb'] | null = null;
  #attributedConfig = -1;

  readonly #latency: CellHistogram<'transport'>;
  readonly #latencyCells: { udp: HistogramCell; tcp: HistogramCell };
  readonly #probeDuration: Histogram<'target'> | null = null;
  readonly #reloads: Counter<'result'> | null = null;

  constructor(options: MetricsOptions = {}) {
    const r = this.registry;
    this.traffic = new TrafficRing(options.traffic);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: r });

    this.#queries = new CellCounter(
      r,
      'steerdns_queries_total',
      'DNS queries answered, by zone ("-": none), query type, rcode and transport.',
      ['zone', 'qtype', 'rcode', 'transport'],
    );
    this.#dropped = new CellCounter(r, 'steerdns_queries_dropped_total', 'Messages dropped unanswered (too short, or a response).', [
      'reason',
      'transport',
    ]);
    this.#droppedCells = ['short', 'response', 'other'].flatMap((reason) =>
      (['udp', 'tcp'] as const).map((transport) => this.#dropped.cell({ reason, transport })),
    );
    const truncated = new CellCounter(r, 'steerdns_truncated_total', "Replies sent with TC=1 (did not fit the client's UDP size).", [
      'transport',
    ]);
    this.#truncatedCells = { udp: truncated.cell({ transport: 'udp' }), tcp: truncated.cell({ transport: 'tcp' }) };
    const ecs = new CellCounter(r, 'steerdns_ecs_queries_total', 'Queries that carried an EDNS Client Subnet option, by address family.', [
      'family',
    ]);
    this.#ecsCells = { v4: ecs.cell({ family: 'ipv4' }), v6: ecs.cell({ family: 'ipv6' }) };
    this.#lbAnswers = new CellCounter(
      r,
      'steerdns_lb_answers_total',
      'Replies whose answer came from a load balancer, by zone, load balancer and pool.',
      ['zone', 'lb', 'pool'],
    );
    this.#originAnswers = new CellCounter(
      r,
      'steerdns_lb_origin_answers_total',
      'Records answered per origin, by zone, load balancer, pool and origin.',
      ['zone', 'lb', 'pool', 'origin'],
    );

    const every = Math.max(1, Math.floor(options.latencySampleEvery ?? 1));
    this.#latency = new CellHistogram(
      r,
      'steerdns_query_duration_seconds',
      `Time to answer one query (decode to encoded reply), by transport${every > 1 ? `; sampled, 1 query in ${every}` : ''}.`,
      ['transport'],
      [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1],
    );
    this.#latencyCells = { udp: this.#latency.cell({ transport: 'udp' }), tcp: this.#latency.cell({ transport: 'tcp' }) };

    this.#registerTransportMetrics();
    // A cluster worker stops here: its primary reports configuration, health and reloads.
    if (options.scope === 'queries') return;

    this.#probeDuration = new Histogram({
      name: 'steerdns_probe_duration_seconds',
      help: 'Health probe durations per target (monitor@address:port), retries included.',
      labelNames: ['target'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    this.#reloads = new Counter({
      name: 'steerdns_reloads_total',
      help: 'Configuration reloads after the first load; "failed" when any file was rejected (its previous version keeps serving).',
      labelNames: ['result'],
      registers: [r],
    });
    this.#reloads.inc({ result: 'ok' }, 0);
    this.#reloads.inc({ result: 'failed' }, 0);
    // Below: read from the server's state when scraped.
    this.#registerStateMetrics();
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
    const duration = this.#probeDuration;
    const wrapped: typeof report = function (this: typeof health, key, result) {
      duration?.observe({ target: key }, result.durationMs / 1000);
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

  get lastReload(): ReloadRecord | null {
    return this.#lastReload;
  }

  // --- QueryObserver (called by the pipeline for every query) ---

  dropped(reason: string, transport: Transport): void {
    const kind = reason.startsWith('message of') ? 0 : reason.startsWith('QR=1') ? 1 : 2;
    this.#droppedCells[kind * 2 + (transport === 'tcp' ? 1 : 0)]!.value++;
  }

  answered(zone: string | null, reply: Reply, transport: Transport, qtype: number, query?: Query): void {
    const z = zone ?? NO_ZONE;
    let cells = this.#queryCells.get(z);
    if (cells === undefined) {
      cells = new Map();
      this.#queryCells.set(z, cells);
    }
    const t = qtype >= 0 && qtype < 65536 && QTYPE_KNOWN[qtype] ? qtype : 0;
    const key = ((t * 4096 + (reply.rcode & 0xfff)) << 1) | (transport === 'tcp' ? 1 : 0);
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = this.#queries.cell({ zone: z, qtype: t === 0 ? 'other' : qtypeLabel(t), rcode: rcodeToString(reply.rcode), transport });
      cells.set(key, cell);
    }
    cell.value++;

    const ecs = query?.edns?.ecs;
    if (ecs) (ecs.family === 1 ? this.#ecsCells.v4 : this.#ecsCells.v6).value++;

    if (zone !== null && this.#hasAttribution) this.#attribute(reply);
  }

  // --- AnswerTap (around pipeline.answer) ---

  end(out: Uint8Array | null, transport: Transport, seconds: number): void {
    if (out !== null && isTruncated(out)) this.#truncatedCells[transport].value++;
    if (seconds >= 0) this.#latency.observe(this.#latencyCells[transport], seconds);
  }

  #attribute(reply: Reply): void {
    const answer = reply.answer;
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
    this.#reloads?.inc({ result: ok ? 'ok' : 'failed' });
    this.#lastReload = {
      at: Date.now(),
      ok,
      loaded: outcome.loaded,
      kept: outcome.kept,
      removed: outcome.removed,
      errors: outcome.errors.map((e) => e.describe()),
    };
  }

  /**
   * What the sockets count (TCP limits, RRL), read from the server when scraped: in a cluster,
   * from each worker (scope "queries"), summed by the primary.
   */
  #registerTransportMetrics(): void {
    const r = this.registry;
    const server = (): RunningServer | null => this.#server;
    new Gauge({
      name: 'steerdns_tcp_connections',
      help: 'Open DNS-over-TCP connections.',
      registers: [r],
      collect() {
        const s = server();
        if (s) this.set(s.tcpConnections());
      },
    });
    new Counter({
      name: 'steerdns_tcp_accepted_total',
      help: 'DNS-over-TCP connections accepted.',
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (s) this.inc(s.tcpStats().accepted);
      },
    });
    new Counter({
      name: 'steerdns_tcp_refused_total',
      help: 'DNS-over-TCP connections refused: "per_client" (the address held --tcp-max-per-client), "full" (every slot busy writing replies).',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (!s) return;
        const t = s.tcpStats();
        this.inc({ reason: 'per_client' }, t.refusedPerClient);
        this.inc({ reason: 'full' }, t.refusedFull);
      },
    });
    new Counter({
      name: 'steerdns_tcp_closed_total',
      help: 'DNS-over-TCP connections closed by a limit: "evicted" (room for a new one), "idle_timeout", "message_timeout" (a message too slow to arrive), "query_limit" (--tcp-max-queries answered).',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (!s) return;
        const t = s.tcpStats();
        this.inc({ reason: 'evicted' }, t.evicted);
        this.inc({ reason: 'idle_timeout' }, t.idleTimeouts);
        this.inc({ reason: 'message_timeout' }, t.messageTimeouts);
        this.inc({ reason: 'query_limit' }, t.queryLimit);
      },
    });

    // Response rate limiting: the counters stay at 0 while RRL is off (steerdns_rrl_enabled 0).
    const rrlStats = (): RrlStats | null => server()?.rrl?.stats() ?? null;
    new Gauge({
      name: 'steerdns_rrl_enabled',
      help: '1 when UDP response rate limiting is on (--rrl-rate above 0).',
      registers: [r],
      // A cluster's primary sums its workers' metrics: on in any worker is on.
      aggregator: 'max',
      collect() {
        this.set(server()?.rrl ? 1 : 0);
      },
    });
    new Counter({
      name: 'steerdns_rrl_responses_total',
      help: 'UDP responses checked by response rate limiting.',
      registers: [r],
      collect() {
        this.reset();
        const st = rrlStats();
        if (st) this.inc(st.responses);
      },
    });
    new Counter({
      name: 'steerdns_rrl_limited_total',
      help: 'UDP responses over the rate limit, by action ("slip": sent as a TC=1 stub, "drop": not sent) and response class (positive, nodata, nxdomain, referral, error).',
      labelNames: ['action', 'class'],
      registers: [r],
      collect() {
        this.reset();
        const st = rrlStats();
        if (!st) return;
        for (const [cls, n] of Object.entries(st.byClass)) {
          this.inc({ action: 'slip', class: cls }, n.slipped);
          this.inc({ action: 'drop', class: cls }, n.dropped);
        }
      },
    });
    new Counter({
      name: 'steerdns_rrl_exempt_total',
      help: 'UDP responses to --rrl-exempt networks (never limited).',
      registers: [r],
      collect() {
        this.reset();
        const st = rrlStats();
        if (st) this.inc(st.exempt);
      },
    });
    new Counter({
      name: 'steerdns_rrl_evictions_total',
      help: 'Rate-limit buckets still counting that were taken over for another client network (the table is too small for the traffic).',
      registers: [r],
      collect() {
        this.reset();
        const st = rrlStats();
        if (st) this.inc(st.evicted);
      },
    });
    new Gauge({
      name: 'steerdns_rrl_buckets',
      help: 'Rate-limit buckets in use, by state ("used", and the table\'s "capacity").',
      labelNames: ['state'],
      registers: [r],
      collect() {
        this.reset();
        const st = rrlStats();
        if (!st) return;
        this.set({ state: 'used' }, st.buckets);
        this.set({ state: 'capacity' }, st.capacity);
      },
    });
  }

  /** Gauges and counters computed from the server's state when scraped. */
  #registerStateMetrics(): void {
    const r = this.registry;
    const server = (): RunningServer | null => this.#server;
    new Gauge({
      name: 'steerdns_config_generation',
      help: 'Bumps each time zone or load-balancer files are (re)loaded into the serving state.',
      registers: [r],
      collect() {
        const s = server();
        if (s) this.set(s.state.current.configGeneration);
      },
    });
    new Gauge({
      name: 'steerdns_health_generation',
      help: 'Bumps on every health change the serving state has taken in.',
      registers: [r],
      collect() {
        const s = server();
        if (s) this.set(s.state.current.health.generation);
      },
    });
    new Gauge({
      name: 'steerdns_ready',
      help: '1 once zones are loaded and the first probe round is done.',
      registers: [r],
      collect() {
        const s = server();
        this.set(s && s.isReady() && s.state.current.origins.size > 0 ? 1 : 0);
      },
    });

    const zoneGauge = (
      name: string,
      help: string,
      value: (z: ServingState['origins'] extends ReadonlyMap<string, infer O> ? O : never) => number,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['zone'],
        registers: [r],
        collect() {
          this.reset();
          const s = server();
          if (s) for (const o of s.state.current.origins.values()) this.set({ zone: o.origin }, value(o));
        },
      });
    };
    zoneGauge('steerdns_zone_serial', 'SOA serial of each served zone.', (o) => o.zone.serial);
    zoneGauge('steerdns_zone_records', 'Records in each served zone file.', (o) => o.zone.recordCount);
    zoneGauge('steerdns_zone_loaded_timestamp_seconds', 'When each zone was last loaded (Unix time).', (o) => o.loadedAt / 1000);

    new Counter({
      name: 'steerdns_probes_total',
      help: 'Health probes per target (monitor@address:port) and result.',
      labelNames: ['target', 'result'],
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (!s) return;
        for (const t of s.health.stats()) {
          this.inc({ target: t.key, result: 'pass' }, t.probesPassed);
          this.inc({ target: t.key, result: 'fail' }, t.probesFailed);
        }
      },
    });
    new Gauge({
      name: 'steerdns_target_up',
      help: 'Health of each probed target: 1 up, 0 down (a target not probed yet counts as up).',
      labelNames: ['target'],
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (s) for (const t of s.health.stats()) this.set({ target: t.key }, t.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'steerdns_origin_up',
      help: 'Health of each enabled origin as steering sees it: 1 up, 0 down.',
      labelNames: ['zone', 'pool', 'origin'],
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (!s) return;
        const state = s.state.current;
        for (const o of state.origins.values()) {
          for (const pool of o.lb?.pools.values() ?? []) {
            for (const origin of pool.origins) {
              if (!origin.enabled) continue;
              const up = origin.healthKey === null || state.health.isUp(origin.healthKey);
              this.set({ zone: o.origin, pool: pool.name, origin: origin.name }, up ? 1 : 0);
            }
          }
        }
      },
    });
    new Gauge({
      name: 'steerdns_pool_healthy',
      help: 'Health of each pool: 1 when enabled and at least minimum_origins origins are up.',
      labelNames: ['zone', 'pool'],
      registers: [r],
      collect() {
        this.reset();
        const s = server();
        if (!s) return;
        const state = s.state.current;
        for (const o of state.origins.values()) {
          for (const pool of o.lb?.pools.values() ?? []) {
            this.set({ zone: o.origin, pool: pool.name }, evaluatePool(pool, state.health).healthy ? 1 : 0);
          }
        }
      },
    });
  }
}
