// The failure matrix: the logged queries replayed through the configuration once as it is (the
// baseline) and once per failure scenario — every single pool failure, every single origin
// failure that changes some pool's health, and with `pairs` every pair of pool failures of one
// zone — to see where each client population's traffic goes. A failed pool is made unhealthy
// (it can still answer as the fail-open fallback, as a real outage would have it); a failed
// origin is its health target marked down, so every pool probing the same target feels it.
// Pool load is counted in answers per second over the log's span (each line counts `sample`
// queries) and compared with the pools' `capacity:`.
import type { OriginConfig } from '../config/state.js';
import type { GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot, TargetHealth } from '../health/types.js';
import { evaluatePool } from '../lb/prepare.js';
import type { LbPool, LbZoneConfig } from '../lb/types.js';
import { memoGeo } from './client-view.js';
import { LogStats, readRecords, type BadLine } from './log-reader.js';
import type { QueryRecord } from './record.js';
import { type Decision, QueryBuilder, Replayer, resolverIp, servingStateOf } from './replayer.js';
import { SteerError } from '../errors.js';

export interface ScenarioSpec {
  readonly name: string;
  readonly kind: 'pool' | 'origin' | 'pair';
  /** Pools ("zone/pool") made unhealthy, or for an origin failure the pools whose health it changes. */
  readonly pools: readonly string[];
  /** Origin failures: the health target marked down. */
  readonly target: string | null;
}

export interface PoolLoad {
  readonly pool: string;
  readonly capacity: number | null;
  readonly answers: number;
  /** Answers per second over the log's span. */
  readonly rate: number;
  /** rate / capacity; null without a capacity. */
  readonly utilisation: number | null;
}

export interface ScenarioOutcome extends ScenarioSpec {
  /** Queries whose pool differs from the baseline. */
  readonly displaced: number;
  /** Where displaced queries go: from pool → to pool ("(nodata)" etc. for no pool), most first. */
  readonly moves: readonly { readonly from: string; readonly to: string; readonly queries: number }[];
  /** Queries answered in the baseline that get no answer here. */
  readonly lostAnswers: number;
  readonly fallback: number;
  readonly load: readonly PoolLoad[];
  readonly overCapacity: readonly string[];
  readonly flagged: boolean;
}

export interface ScenariosResult {
  readonly log: {
    readonly lines: number;
    readonly replayed: number;
    readonly bad: number;
    readonly badLines: readonly BadLine[];
    readonly spanSeconds: number;
  };
  readonly queries: number;
  readonly baseline: readonly PoolLoad[];
  readonly scenarios: readonly ScenarioOutcome[];
  readonly flagged: number;
}

export interface ScenariosInput {
  readonly origins: ReadonlyMap<string, OriginConfig>;
  readonly health: HealthSnapshot;
  readonly geo: GeoDatabase | null;
  readonly pairs: boolean;
}

const key = (zone: string, pool: string): string => `${zone}/${pool}`;

/** Every scenario of the configuration, in a stable order. */
export function enumerateScenarios(origins: ReadonlyMap<string, OriginConfig>, health: HealthSnapshot, pairs: boolean): ScenarioSpec[] {
  const out: ScenarioSpec[] = [];
  const zones = [...origins.values()].filter((o) => o.lb !== null).sort((a, b) => (a.origin < b.origin ? -1 : 1));
  for (const o of zones) {
    const pools = usedPools(o.lb!);
    for (const p of pools)
      out.push({ name: `pool ${key(o.origin, p.name)} down`, kind: 'pool', pools: [key(o.origin, p.name)], target: null });
  }
  for (const o of zones) {
    const config = o.lb!;
    for (const [target, poolNames] of [...config.poolsByHealthKey].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (!health.isUp(target)) continue; // already down: the baseline has it
      const down = downOne(health, target);
      const changed = poolNames.filter((name) => {
        const pool = config.pools.get(name);
        return pool !== undefined && evaluatePool(pool, health).healthy !== evaluatePool(pool, down).healthy;
      });
      if (changed.length === 0) continue;
      const names = [...config.pools.values()].flatMap((p) => p.origins.filter((x) => x.healthKey === target).map((x) => x.name));
      out.push({
        name: `origin ${[...new Set(names)].join('+')} down (${target})`,
        kind: 'origin',
        pools: changed.map((p) => key(o.origin, p)),
        target,
      });
    }
  }
  if (pairs) {
    for (const o of zones) {
      const pools = usedPools(o.lb!);
      for (let i = 0; i < pools.length; i++) {
        for (let j = i + 1; j < pools.length; j++) {
          const both = [key(o.origin, pools[i]!.name), key(o.origin, pools[j]!.name)];
          out.push({ name: `pools ${both.join(' + ')} down`, kind: 'pair', pools: both, target: null });
        }
      }
    }
  }
  return out;
}

/** Enabled pools some load balancer of the file names. */
function usedPools(config: LbZoneConfig): LbPool[] {
  return [...config.pools.values()].filter((p) => p.enabled && (config.loadBalancersByPool.get(p.name)?.length ?? 0) > 0);
}

const DOWN: TargetHealth = Object.freeze({ up: false, known: true, since: 0, reason: 'scenario', lastResult: null });

/** `health` with one more target down. */
function downOne(health: HealthSnapshot, target: string): HealthSnapshot {
  return {
    generation: health.generation + 1,
    get: (k) => (k === target ? DOWN : health.get(k)),
    isUp: (k) => k !== target && health.isUp(k),
  };
}

/** `origins` with `failed` pools ("zone/pool") unable to be healthy (still enabled: fail-open fallback works). */
function withFailedPools(origins: ReadonlyMap<string, OriginConfig>, failed: readonly string[]): Map<string, OriginConfig> {
  const out = new Map(origins);
  for (const [origin, o] of origins) {
    if (o.lb === null) continue;
    const mine = failed.filter((f) => f.startsWith(`${origin}/`)).map((f) => f.slice(origin.length + 1));
    if (mine.length === 0) continue;
    const pools = new Map(o.lb.pools);
    for (const name of mine) {
      const p = pools.get(name);
      if (p !== undefined) pools.set(name, Object.freeze({ ...p, minimumOrigins: Number.MAX_SAFE_INTEGER }));
    }
    out.set(origin, Object.freeze({ ...o, lb: Object.freeze({ ...o.lb, pools }) }));
  }
  return out;
}

function poolOf(d: Decision): string | null {
  return d.pool !== null && d.zone !== null ? key(d.zone, d.pool) : null;
}

function labelOf(d: Decision): string {
  const p = poolOf(d);
  if (p === null) return `(${d.outcome})`;
  return d.outcome === 'fallback' ? `${p} (fallback)` : p;
}

class ScenarioTally {
  displaced = 0;
  lost = 0;
  fallback = 0;
  readonly moves = new Map<string, number>();
  readonly answers = new Map<string, number>();
}

/** Replays records through the baseline and every scenario, one record at a time. */
export class ScenariosRun {
  readonly stats = new LogStats();
  readonly #specs: readonly ScenarioSpec[];
  readonly #baseline: Replayer;
  readonly #replayers: readonly Replayer[];
  readonly #tallies: readonly ScenarioTally[];
  readonly #base = new ScenarioTally();
  readonly #capacity = new Map<string, number | null>();
  readonly #queries = new QueryBuilder();
  readonly #strict: boolean;
  #total = 0;
  #seed = 0;

  constructor(input: ScenariosInput, strict = false) {
    this.#strict = strict;
    this.#specs = enumerateScenarios(input.origins, input.health, input.pairs);
    const geo = memoGeo(input.geo);
    this.#baseline = new Replayer(servingStateOf(input.origins, input.health, geo));
    this.#replayers = this.#specs.map((s) => {
      const origins = s.kind === 'origin' ? input.origins : withFailedPools(input.origins, s.pools);
      const health = s.kind === 'origin' && s.target !== null ? downOne(input.health, s.target) : input.health;
      return new Replayer(servingStateOf(origins, health, geo));
    });
    this.#tallies = this.#specs.map(() => new ScenarioTally());
    for (const o of input.origins.values()) {
      for (const p of o.lb ? usedPools(o.lb) : []) this.#capacity.set(key(o.origin, p.name), p.capacity);
    }
  }

  get scenarioCount(): number {
    return this.#specs.length;
  }

  readonly add = (record: QueryRecord, file: string, line: number): void => {
    const query = this.#queries.build(record);
    if (typeof query === 'string') {
      if (this.#strict) throw new SteerError('STEER_REPLAY_BAD_LINE', [query], { file, line });
      this.stats.records--;
      this.stats.noteBad(file, line, query);
      return;
    }
    const seed = ++this.#seed;
    const ip = resolverIp(record);
    const n = record.sample;
    this.#total += n;
    const base = this.#baseline.replay(query, ip, record.transport, seed);
    const basePool = poolOf(base);
    if (basePool !== null) this.#base.answers.set(basePool, (this.#base.answers.get(basePool) ?? 0) + n);
    for (let i = 0; i < this.#replayers.length; i++) {
      const d = this.#replayers[i]!.replay(query, ip, record.transport, seed);
      const t = this.#tallies[i]!;
      const pool = poolOf(d);
      if (pool !== null) t.answers.set(pool, (t.answers.get(pool) ?? 0) + n);
      if (pool !== basePool || d.outcome !== base.outcome) {
        t.displaced += n;
        const move = `${labelOf(base)}\u0000${labelOf(d)}`;
        t.moves.set(move, (t.moves.get(move) ?? 0) + n);
      }
      if (base.answered && !d.answered) t.lost += n;
      if (d.outcome === 'fallback' && base.outcome !== 'fallback') t.fallback += n;
    }
  };

  result(): ScenariosResult {
    const span = this.stats.spanSeconds();
    const loads = (answers: Map<string, number>): PoolLoad[] =>
      [...this.#capacity].map(([pool, capacity]) => {
        const count = answers.get(pool) ?? 0;
        const rate = count / span;
        return { pool, capacity, answers: count, rate, utilisation: capacity === null ? null : rate / capacity };
      });
    const scenarios = this.#specs.map((spec, i): ScenarioOutcome => {
      const t = this.#tallies[i]!;
      const load = loads(t.answers);
      const overCapacity = load.filter((l) => l.utilisation !== null && l.utilisation > 1).map((l) => l.pool);
      return {
        ...spec,
        displaced: t.displaced,
        moves: [...t.moves]
          .map(([k, q]) => {
            const [from, to] = k.split('\u0000');
            return { from: from!, to: to!, queries: q };
          })
          .sort((a, b) => b.queries - a.queries),
        lostAnswers: t.lost,
        fallback: t.fallback,
        load,
        overCapacity,
        flagged: overCapacity.length > 0 || t.lost > 0,
      };
    });
    const s = this.stats;
    return {
      log: { lines: s.lines, replayed: s.records, bad: s.bad, badLines: s.badLines, spanSeconds: span },
      queries: this.#total,
      baseline: loads(this.#base.answers),
      scenarios,
      flagged: scenarios.filter((x) => x.flagged).length,
    };
  }
}

export async function scenariosFromFiles(input: ScenariosInput, files: readonly string[], strict: boolean): Promise<ScenariosResult> {
  const run = new ScenariosRun(input, strict);
  await readRecords(files, run.stats, strict, run.add);
  return run.result();
}
