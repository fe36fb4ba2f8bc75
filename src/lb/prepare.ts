// Everything a load balancer's answer depends on except the client, computed once per
// (config, health generation): pool health, the healthy origins of each kind with cumulative
// weights and hash seeds, every geo rule resolved to its first healthy pool, the candidates for
// random / hash / proximity. A query then does a map lookup, a match and an index pick.
// After a health change only the load balancers that can answer from a pool whose origins went
// up or down are prepared again (prepareLbChanges); everything else is reused.
import type { HealthSnapshot, SiteRtt } from '../health/types.js';
import { buildAnswerSet, type AnswerSet } from './answer-sets.js';
import { parseIpWords } from '../net/ip.js';
import type { LbOrigin, LbPool, LbRecordType, LbZoneConfig, LoadBalancer, OriginSteeringPolicy, SteeringPolicy } from './types.js';
import { cumulativeOf, stringHash } from './weighted.js';
import { haversine } from './haversine.js';
import type { DynamicSite } from './dynamic-site.js';

export type { DynamicSite } from './dynamic-site.js';
import type { LbRule } from './types.js';

export interface PoolHealth {
  readonly enabled: boolean;
  readonly healthy: boolean;
  /** Enabled origins whose target is up (or unmonitored). */
  readonly upOrigins: readonly LbOrigin[];
  readonly enabledOrigins: readonly LbOrigin[];
  readonly minimumOrigins: number;
  /** Smoothed probe RTT (ms, null: none yet) and sample count of each of upOrigins, same order. */
  readonly originRtts: readonly { readonly rttMs: number | null; readonly samples: number }[];
  /** Fleet mode: each of upOrigins' RTTs as the sites measure them (undefined: none), same order. */
  readonly originSites: readonly (readonly SiteRtt[] | undefined)[];
}

export interface PreparedPool {
  readonly name: string;
  readonly health: PoolHealth;
  readonly healthy: boolean;
  readonly originSteering: OriginSteeringPolicy;
  /** Healthy enabled origins. */
  readonly live: AnswerSet;
  /** Enabled origins, health ignored: what this pool answers as the fail-open fallback. */
  readonly failOpen: AnswerSet;
  readonly seed: number;
  readonly hasCoordinates: boolean;
  readonly latitudeRad: number;
  readonly longitudeRad: number;
  readonly cosLatitude: number;
}

export interface PreparedSubnetRule {
  readonly cidr: string;
  readonly prefix: number;
  readonly network: Uint32Array;
  readonly poolNames: readonly string[];
  /** First healthy pool of the rule's list (index into PreparedLb.pools), or -1. */
  readonly resolved: number;
}

export interface PreparedRule {
  readonly poolNames: readonly string[];
  readonly resolved: number;
}

export interface PreparedLb {
  readonly lb: LoadBalancer;
  readonly owner: string;
  readonly ttl: number;
  readonly policy: SteeringPolicy;
  readonly recordType: LbRecordType;
  readonly maxRecords: number;
  /** Every pool the load balancer names; indices below point here. */
  readonly pools: readonly PreparedPool[];
  readonly defaultOrder: readonly number[];
  /** First healthy pool of default_pools, or -1. */
  readonly firstHealthyDefault: number;
  /** Fallback pool index; -1 with `fallback: none` or when the fallback pool is disabled. */
  readonly fallback: number;
  /** Healthy default pools with weight > 0, in default order, for random and hash steering. */
  readonly weighted: readonly number[];
  readonly weightedWeights: Float64Array;
  readonly weightedCumulative: Float64Array;
  readonly weightedSeeds: Uint32Array;
  /** Longest prefix first. */
  readonly subnets4: readonly PreparedSubnetRule[];
  readonly subnets6: readonly PreparedSubnetRule[];
  readonly subdivisions: ReadonlyMap<string, PreparedRule>;
  readonly countries: ReadonlyMap<string, PreparedRule>;
  readonly continents: ReadonlyMap<string, PreparedRule>;
  readonly hasGeoRules: boolean;
  /** asn_pools by AS number. */
  readonly asns: ReadonlyMap<number, PreparedRule>;
  /**
   * geo: false when every rule leads to the same pool as default_pools right now, so the
   * answer does not depend on where the client is (no lookup, ECS scope 0).
   */
  readonly locationMatters: boolean;
  /** Healthy default pools in default order, for proximity. */
  readonly proximity: readonly number[];
  /**
   * steering_policy dynamic: the healthy default pools whose RTT is within rtt_tolerance_ms of
   * the fastest (empty when no pool has enough samples: then failover order), with cumulative
   * pool weights to share among them, and the comparison in words for the trace.
   */
  readonly dynamic: readonly number[];
  readonly dynamicCumulative: Float64Array;
  readonly dynamicNote: string;
  /**
   * Fleet mode, dynamic: every site holding an RTT for some origin of the healthy default pools,
   * by name; empty outside a fleet or before any site published one (then `dynamic` is this
   * server's own comparison, as on a single server).
   */
  readonly dynamicSites: readonly DynamicSite[];
  /** The sites a located client can be mapped to: with a location and a non-empty comparison. */
  readonly dynamicLocated: readonly DynamicSite[];
  /**
   * The site whose comparison `dynamic` holds, for clients that cannot be located: this node's
   * site when it has data, else the site nearest to it (or the first by name) that has; null
   * when no site has data.
   */
  readonly dynamicHome: DynamicSite | null;
  /** Some located site chooses otherwise than dynamicHome: the answer depends on the client's location. */
  readonly dynamicByLocation: boolean;
  /** `rules:` with every reachable combination prepared; null without rules. */
  readonly rules: PreparedRuleSet | null;
}

export interface PreparedRuleSet {
  readonly rules: readonly LbRule[];
  /** By bit mask of matched rules (see LbRuleSet); mask 0 is the PreparedLb holding this set. */
  readonly variants: ReadonlyMap<number, PreparedLb>;
}

export interface PreparedLbZone {
  readonly origin: string;
  readonly config: LbZoneConfig;
  /**
   * Generation of the health snapshot these answers were last recomputed for: a later snapshot
   * that changes nothing here keeps this very object (prepareLbChanges).
   */
  readonly healthGeneration: number;
  readonly loadBalancers: ReadonlyMap<string, PreparedLb>;
}

const DEG = Math.PI / 180;

/** Every load balancer of `config` prepared from scratch for `health`. */
export function prepareLb(config: LbZoneConfig, health: HealthSnapshot): PreparedLbZone {
  const poolHealth = poolHealthOf(config, health);
  const loadBalancers = new Map<string, PreparedLb>();
  for (const lb of config.loadBalancers.values()) loadBalancers.set(lb.owner, prepareOne(lb, config, poolHealth, null));
  return { origin: config.origin, config, healthGeneration: health.generation, loadBalancers };
}

/**
 * `prev`, prepared for the snapshot `before`, brought up to `health`: only the load balancers
 * that can answer from a pool holding an origin whose up/down state differs between the two are
 * prepared again (and within them, only the pools that changed); every other PreparedLb, pool,
 * answer set and record is reused as it is. Returns `prev` itself when nothing it answers
 * changed. `candidates` are the health keys that may have changed (a superset is fine); null
 * means every monitored key of the config is compared. The result equals prepareLb(config,
 * health) (the property test in prepare.test.ts holds it to that).
 */
export function prepareLbChanges(
  prev: PreparedLbZone,
  before: HealthSnapshot,
  health: HealthSnapshot,
  candidates: Iterable<string> | null,
): PreparedLbZone {
  const config = prev.config;
  const changedPools = new Set<string>();
  for (const key of candidates ?? config.poolsByHealthKey.keys()) {
    const pools = config.poolsByHealthKey.get(key);
    if (pools === undefined) continue;
    const was = before.get(key);
    const now = health.get(key);
    if (before.isUp(key) === health.isUp(key) && was?.rttMs === now?.rttMs && was?.sites === now?.sites) continue;
    for (const pool of pools) changedPools.add(pool);
  }
  const owners = new Set<string>();
  for (const pool of changedPools) for (const owner of config.loadBalancersByPool.get(pool) ?? []) owners.add(owner);
  if (owners.size === 0) return prev;

  const poolHealth = poolHealthOf(config, health);
  const loadBalancers = new Map(prev.loadBalancers);
  for (const owner of owners) {
    const lb = config.loadBalancers.get(owner);
    if (lb === undefined) continue; // the index is built from loadBalancers: cannot happen
    const old = prev.loadBalancers.get(owner);
    loadBalancers.set(owner, prepareOne(lb, config, poolHealth, old === undefined ? null : { old, changedPools }));
  }
  return { origin: config.origin, config, healthGeneration: health.generation, loadBalancers };
}

export function evaluatePool(pool: LbPool, health: HealthSnapshot): PoolHealth {
  const enabledOrigins = pool.origins.filter((o) => o.enabled);
  const upOrigins = enabledOrigins.filter((o) =>
    o.forced !== undefined ? o.forced === 'up' : o.healthKey === null || health.isUp(o.healthKey),
  );
  const originRtts = upOrigins.map((o) => {
    const h = o.healthKey === null ? undefined : health.get(o.healthKey);
    return { rttMs: h?.rttMs ?? null, samples: h?.rttSamples ?? 0 };
  });
  const originSites = upOrigins.map((o) => (o.healthKey === null ? undefined : health.get(o.healthKey)?.sites));
  return {
    originRtts,
    originSites,
    enabled: pool.enabled,
    healthy: pool.enabled && upOrigins.length >= pool.minimumOrigins,
    upOrigins,
    enabledOrigins,
    minimumOrigins: pool.minimumOrigins,
  };
}

type PoolHealthOf = (name: string) => PoolHealth | undefined;
type ReusePool = (name: string) => PreparedPool | undefined;
/** The previous preparation of the same load balancer, and the pools whose health changed since. */
type Previous = { readonly old: PreparedLb; readonly changedPools: ReadonlySet<string> } | null;

const NO_REUSE: ReusePool = () => undefined;

/** Pool health for `health`, each pool evaluated once, when first asked for. */
function poolHealthOf(config: LbZoneConfig, health: HealthSnapshot): PoolHealthOf {
  const memo = new Map<string, PoolHealth>();
  return (name) => {
    let h = memo.get(name);
    if (h === undefined) {
      const pool = config.pools.get(name);
      if (pool === undefined) return undefined;
      h = evaluatePool(pool, health);
      memo.set(name, h);
    }
    return h;
  };
}

/** The prepared pools of `old` whose health did not change: reused as they are. */
function unchangedPoolsOf(old: PreparedLb, changedPools: ReadonlySet<string>): ReusePool {
  return (name) => {
    if (changedPools.has(name)) return undefined;
    for (const p of old.pools) if (p.name === name) return p;
    return undefined;
  };
}

function prepareOne(lb: LoadBalancer, config: LbZoneConfig, poolHealth: PoolHealthOf, previous: Previous): PreparedLb {
  const reuse = previous === null ? NO_REUSE : unchangedPoolsOf(previous.old, previous.changedPools);
  const pools: PreparedPool[] = [];
  const indexOf = new Map<string, number>();
  const poolIndex = (name: string): number => {
    const known = indexOf.get(name);
    if (known !== undefined) return known;
    const reused = reuse(name);
    if (reused !== undefined) {
      pools.push(reused);
      indexOf.set(name, pools.length - 1);
      return pools.length - 1;
    }
    const pool = config.pools.get(name);
    const h = poolHealth(name);
    if (!pool || !h) throw new Error(`load balancer ${lb.name} names unknown pool ${name}`); // load.ts prevents this
    const hasCoordinates = pool.latitude !== null && pool.longitude !== null;
    const weights = lb.originWeights.get(name);
    pools.push({
      name,
      health: h,
      healthy: h.healthy,
      originSteering: pool.originSteering,
      live: buildAnswerSet(lb, weights === undefined ? h.upOrigins : reweighted(h.upOrigins, weights)),
      failOpen: buildAnswerSet(lb, weights === undefined ? h.enabledOrigins : reweighted(h.enabledOrigins, weights)),
      seed: stringHash(`pool:${name}`),
      hasCoordinates,
      latitudeRad: (pool.latitude ?? 0) * DEG,
      longitudeRad: (pool.longitude ?? 0) * DEG,
      cosLatitude: Math.cos((pool.latitude ?? 0) * DEG),
    });
    indexOf.set(name, pools.length - 1);
    return pools.length - 1;
  };
  const firstHealthy = (names: readonly string[]): number => {
    for (const name of names) {
      const i = poolIndex(name);
      if (pools[i]!.healthy) return i;
    }
    return -1;
  };

  const defaultOrder = lb.defaultPools.map(poolIndex);
  const firstHealthyDefault = firstHealthy(lb.defaultPools);
  let fallback = -1;
  if (lb.fallbackPool !== null) {
    const i = poolIndex(lb.fallbackPool);
    if (pools[i]!.health.enabled) fallback = i;
  }

  const weighted = defaultOrder.filter((i) => pools[i]!.healthy && (lb.poolWeights.get(pools[i]!.name) ?? 0) > 0);
  const weights = weighted.map((i) => lb.poolWeights.get(pools[i]!.name) ?? 0);

  const subnets = lb.subnetPools
    .map((rule) => {
      const network = new Uint32Array(4);
      parseIpWords(rule.address, network);
      return {
        family: rule.family,
        rule: { cidr: rule.cidr, prefix: rule.prefix, network, poolNames: rule.pools, resolved: firstHealthy(rule.pools) },
      };
    })
    .sort((a, b) => b.rule.prefix - a.rule.prefix);
  const codeRules = (m: ReadonlyMap<string, readonly string[]>): ReadonlyMap<string, PreparedRule> =>
    new Map([...m].map(([code, names]) => [code, { poolNames: names, resolved: firstHealthy(names) }]));
  const subdivisions = codeRules(lb.subdivisionPools);
  const countries = codeRules(lb.countryPools);
  const continents = codeRules(lb.continentPools);
  const asns = new Map([...lb.asnPools].map(([asn, names]) => [asn, { poolNames: names, resolved: firstHealthy(names) }]));

  const outcomes = [
    ...subnets.map((s) => s.rule.resolved),
    ...[subdivisions, countries, continents, asns].flatMap((m) => [...m.values()].map((r) => r.resolved)),
  ];
  // A rule whose pools are all down falls through to less specific rules, so only rules that
  // resolve to some other healthy pool make the answer depend on location.
  const locationMatters = outcomes.some((r) => r >= 0 && r !== firstHealthyDefault);

  return {
    lb,
    owner: lb.owner,
    ttl: lb.ttl,
    policy: lb.steeringPolicy,
    recordType: lb.recordType,
    maxRecords: lb.maxRecords,
    pools,
    defaultOrder,
    firstHealthyDefault,
    fallback,
    weighted,
    weightedWeights: Float64Array.from(weights),
    weightedCumulative: cumulativeOf(weights),
    weightedSeeds: Uint32Array.from(weighted, (i) => pools[i]!.seed),
    subnets4: subnets.filter((s) => s.family === 4).map((s) => s.rule),
    subnets6: subnets.filter((s) => s.family === 6).map((s) => s.rule),
    subdivisions,
    countries,
    continents,
    hasGeoRules: subdivisions.size + countries.size + continents.size > 0,
    locationMatters,
    proximity: defaultOrder.filter((i) => pools[i]!.healthy && pools[i]!.hasCoordinates),
    asns,
    ...prepareDynamic(lb, pools, defaultOrder),
    rules: prepareRules(lb, config, poolHealth, previous),
  };
}

/**
 * A pool's RTT for dynamic steering: the weighted mean of its up origins' smoothed RTTs, over
 * origins with at least min_samples successful probes; null when none has that many.
 */
export function poolRtt(pool: PreparedPool, minSamples: number): number | null {
  let sum = 0;
  let weight = 0;
  pool.health.upOrigins.forEach((o, i) => {
    const r = pool.health.originRtts[i]!;
    if (r.rttMs === null || r.samples < minSamples) return;
    sum += r.rttMs * o.weight;
    weight += o.weight;
  });
  return weight > 0 ? sum / weight : null;
}

type DynamicFields = Pick<
  PreparedLb,
  'dynamic' | 'dynamicCumulative' | 'dynamicNote' | 'dynamicSites' | 'dynamicLocated' | 'dynamicHome' | 'dynamicByLocation'
>;

const NOT_DYNAMIC: DynamicFields = {
  dynamic: [],
  dynamicCumulative: new Float64Array(0),
  dynamicNote: '',
  dynamicSites: [],
  dynamicLocated: [],
  dynamicHome: null,
  dynamicByLocation: false,
};

/** One site's RTT of a pool: as poolRtt, over the origins' RTTs as `site` measures them. */
export function poolRttAt(pool: PreparedPool, site: string, minSamples: number): number | null {
  let sum = 0;
  let weight = 0;
  pool.health.upOrigins.forEach((o, i) => {
    const r = pool.health.originSites[i]?.find((s) => s.site === site);
    if (r === undefined || r.samples < minSamples) return;
    sum += r.rttMs * o.weight;
    weight += o.weight;
  });
  return weight > 0 ? sum / weight : null;
}

/** The healthy default pools compared by `rttOf`: the fastest and those within the tolerance. */
function compareRtts(
  lb: LoadBalancer,
  pools: readonly PreparedPool[],
  defaultOrder: readonly number[],
  rttOf: (p: PreparedPool) => number | null,
) {
  const { rttToleranceMs, minSamples } = lb.dynamicSteering;
  const measured = defaultOrder.filter((i) => pools[i]!.healthy).map((i) => ({ i, rtt: rttOf(pools[i]!) }));
  const known = measured.filter((m): m is { i: number; rtt: number } => m.rtt !== null);
  const best = known.length === 0 ? 0 : Math.min(...known.map((m) => m.rtt));
  const chosen = known.filter((m) => m.rtt <= best + rttToleranceMs).map((m) => m.i);
  const words = measured.map(({ i, rtt }) =>
    rtt === null ? `${pools[i]!.name} too few samples (< ${minSamples})` : `${pools[i]!.name} ${rtt.toFixed(1)} ms`,
  );
  const note =
    chosen.length === 0
      ? `no healthy pool has ${minSamples} RTT sample(s) yet (${words.join(', ') || 'none healthy'}): default_pools in order`
      : `RTT ${words.join(', ')}; within ${rttToleranceMs} ms of the fastest: ${chosen.map((i) => pools[i]!.name).join(', ')}`;
  const weights = chosen.map((i) => lb.poolWeights.get(pools[i]!.name) ?? 0);
  // Pools weighted 0 still share when all are 0: RTT alone decided, so split evenly.
  const shares = weights.every((w) => w === 0) ? chosen.map(() => 1) : weights;
  return {
    dynamic: chosen,
    dynamicCumulative: cumulativeOf(shares),
    note,
    rtts: measured.map(({ i, rtt }) => ({ pool: pools[i]!.name, rttMs: rtt })),
  };
}

function prepareDynamic(lb: LoadBalancer, pools: readonly PreparedPool[], defaultOrder: readonly number[]): DynamicFields {
  if (lb.steeringPolicy !== 'dynamic') return NOT_DYNAMIC;
  const { minSamples } = lb.dynamicSteering;
  const healthy = defaultOrder.filter((i) => pools[i]!.healthy).map((i) => pools[i]!);
  // Fleet mode: the sites that measured some origin of these pools, each with where it is.
  const known = new Map<string, SiteRtt>();
  for (const pool of healthy)
    for (const sites of pool.health.originSites) for (const s of sites ?? []) if (!known.has(s.site)) known.set(s.site, s);
  if (known.size === 0) {
    const own = compareRtts(lb, pools, defaultOrder, (p) => poolRtt(p, minSamples));
    return { ...NOT_DYNAMIC, dynamic: own.dynamic, dynamicCumulative: own.dynamicCumulative, dynamicNote: own.note };
  }
  const sites: DynamicSite[] = [...known.values()]
    .sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0))
    .map((s) => ({
      site: s.site,
      own: s.own,
      latitude: s.latitude,
      longitude: s.longitude,
      latitudeRad: (s.latitude ?? 0) * DEG,
      longitudeRad: (s.longitude ?? 0) * DEG,
      cosLatitude: Math.cos((s.latitude ?? 0) * DEG),
      ...compareRtts(lb, pools, defaultOrder, (p) => poolRttAt(p, s.site, minSamples)),
    }));
  const withData = sites.filter((s) => s.dynamic.length > 0);
  const located = withData.filter((s) => s.latitude !== null && s.longitude !== null);
  const own = sites.find((s) => s.own);
  let home = withData.find((s) => s.own);
  let why = "this node's site";
  if (home === undefined && own !== undefined && own.latitude !== null && own.longitude !== null && located.length > 0) {
    home = nearestSite(located, own.latitude, own.longitude);
    why = "nearest with RTT data to this node's site";
  }
  if (home === undefined && withData.length > 0) {
    home = withData[0]!;
    why = 'first site by name with RTT data';
  }
  if (home === undefined) {
    return {
      ...NOT_DYNAMIC,
      dynamicNote: `no site has ${minSamples} RTT sample(s) for a healthy pool yet (sites ${sites.map((s) => s.site).join(', ')}): default_pools in order`,
      dynamicSites: sites,
    };
  }
  const chosenBy = home;
  return {
    dynamic: home.dynamic,
    dynamicCumulative: home.dynamicCumulative,
    dynamicNote: `site ${home.site} (${why}): ${home.note}`,
    dynamicSites: sites,
    dynamicLocated: located,
    dynamicHome: home,
    dynamicByLocation: located.some((s) => !sameIndices(s.dynamic, chosenBy.dynamic)),
  };
}

/** The site of `sites` nearest to (latitude, longitude) in degrees (ties: the earlier one); `sites` is not empty. */
export function nearestSite(sites: readonly DynamicSite[], latitude: number, longitude: number): DynamicSite {
  const lat = latitude * DEG;
  const lon = longitude * DEG;
  const cosLat = Math.cos(lat);
  let best = sites[0]!;
  let bestHav = Infinity;
  for (const s of sites) {
    const hav = haversine(lat, lon, cosLat, s.latitudeRad, s.longitudeRad, s.cosLatitude);
    if (hav < bestHav) {
      bestHav = hav;
      best = s;
    }
  }
  return best;
}

function sameIndices(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Every rule variant prepared like a load balancer of its own, reusing unchanged pools of its previous preparation. */
function prepareRules(lb: LoadBalancer, config: LbZoneConfig, poolHealth: PoolHealthOf, previous: Previous): PreparedRuleSet | null {
  if (lb.rules === null) return null;
  const variants = new Map<number, PreparedLb>();
  for (const [mask, variant] of lb.rules.variants) {
    const old = previous?.old.rules?.variants.get(mask);
    variants.set(
      mask,
      prepareOne(variant, config, poolHealth, old === undefined || previous === null ? null : { old, changedPools: previous.changedPools }),
    );
  }
  return { rules: lb.rules.rules, variants };
}

/** `origins` with a rule's origin_weights applied. */
function reweighted(origins: readonly LbOrigin[], weights: ReadonlyMap<string, number>): LbOrigin[] {
  return origins.map((o) => {
    const w = weights.get(o.name);
    return w === undefined ? o : { ...o, weight: w };
  });
}
