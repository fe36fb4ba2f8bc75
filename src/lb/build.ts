// Turns a checked LB file into the frozen LbZoneConfig: defaults that depend on other fields,
// canonical names and addresses, the probe targets (deduplicated) and the zone bindings.
import type { MonitorSpec, ProbeTarget } from '../health/types.js';
import { RRType, type RData } from '../wire/types.js';
import type { DynamicBinding } from '../zone/types.js';
import { parseAddress, parseNetwork } from '../net/parse.js';
import { deepFreeze, frozenMap } from './freeze.js';
import { canonicalHostname, ownerName } from './names.js';
import { DEFAULT_PORTS, type LbFileInput, type LoadBalancerInput, type MonitorInput, type PoolInput } from './schema.js';
import type { LbOrigin, LbPool, LbSubnetRule, LbZoneConfig, LoadBalancer, RampSpec } from './types.js';
import { stringHash } from './weighted.js';
import { httpsTemplate, type HttpsTemplateInput } from './https-hints.js';
import { fileWeight, rampSpec } from './schema-ramp.js';
import { compileCondition, describeCondition } from './rules/condition.js';
import type { LbRuleSet } from './types.js';
import { mergeRules, reachableMasks } from './rules/variants.js';
import { addProbeTarget, healthSourceSpec, mergeProbe } from './build-health.js';

const ADDRESS_TYPES: readonly number[] = Object.freeze([RRType.A, RRType.AAAA]);
// Only a load balancer that can answer with a hostname origin owns CNAME at its name; one with
// IP origins only leaves room for static TXT and friends beside it.
const ADDRESS_OR_CNAME_TYPES: readonly number[] = Object.freeze([RRType.A, RRType.AAAA, RRType.CNAME]);
const MX_TYPES: readonly number[] = Object.freeze([RRType.MX]);
const SRV_TYPES: readonly number[] = Object.freeze([RRType.SRV]);

/** Monitor ids carry the zone, so equal monitor names in two zones are different targets. */
export function monitorId(origin: string, monitorName: string): string {
  return `${origin}/${monitorName}`;
}

export function buildLbZoneConfig(input: LbFileInput, origin: string, file: string): LbZoneConfig {
  const monitors = new Map<string, MonitorSpec>();
  for (const [name, m] of Object.entries(input.monitors)) monitors.set(name, monitorSpec(m, origin, file));

  const targets = new Map<string, ProbeTarget>();
  const pools = new Map<string, LbPool>();
  for (const [name, p] of Object.entries(input.pools)) {
    pools.set(name, buildPool(name, p, origin, monitors, targets));
  }

  const loadBalancers = new Map<string, LoadBalancer>();
  const bindings = new Map<string, DynamicBinding>();
  for (const [name, lb] of Object.entries(input.load_balancers)) {
    const owner = ownerName(name, origin);
    if ('problem' in owner) throw new Error(`unchecked load balancer name ${name}`); // check.ts rejects these first
    const built = buildLoadBalancer(name, owner.name, lb, origin);
    loadBalancers.set(owner.name, built);
    const types =
      built.recordType === 'MX'
        ? MX_TYPES
        : built.recordType === 'SRV'
          ? SRV_TYPES
          : poolsOf(built).some((p) => pools.get(p)?.origins.some((o) => o.kind === 'hostname'))
            ? ADDRESS_OR_CNAME_TYPES
            : ADDRESS_TYPES;
    bindings.set(owner.name, { lb: name, types: built.https === null ? types : [...types, RRType.HTTPS] });
  }

  // Origins of pools a `dynamic` load balancer (or one of its rule variants) chooses among keep a
  // smoothed probe RTT in the health table.
  for (const lb of loadBalancers.values()) {
    for (const variant of [lb, ...(lb.rules?.variants.values() ?? [])]) {
      if (variant.steeringPolicy !== 'dynamic') continue;
      for (const name of variant.defaultPools) {
        for (const o of pools.get(name)?.origins ?? []) {
          const t = o.healthKey === null ? undefined : targets.get(o.healthKey);
          if (t !== undefined && t.trackRtt !== true) targets.set(t.key, { ...t, trackRtt: true });
        }
      }
    }
  }

  const poolsByHealthKey = new Map<string, string[]>();
  for (const pool of pools.values()) {
    for (const o of pool.origins) {
      if (o.healthKey === null) continue;
      const list = poolsByHealthKey.get(o.healthKey);
      if (list === undefined) poolsByHealthKey.set(o.healthKey, [pool.name]);
      else if (!list.includes(pool.name)) list.push(pool.name);
    }
  }
  const loadBalancersByPool = new Map<string, string[]>();
  for (const lb of loadBalancers.values()) {
    for (const pool of poolsOf(lb)) {
      const list = loadBalancersByPool.get(pool);
      if (list === undefined) loadBalancersByPool.set(pool, [lb.owner]);
      else list.push(lb.owner);
    }
  }

  return deepFreeze({
    origin,
    file,
    monitors: frozenMap(monitors),
    pools: frozenMap(pools),
    loadBalancers: frozenMap(loadBalancers),
    probeTargets: [...targets.values()],
    bindings: frozenMap(bindings),
    poolsByHealthKey: frozenMap(poolsByHealthKey),
    loadBalancersByPool: frozenMap(loadBalancersByPool),
  });
}

function monitorSpec(m: MonitorInput, origin: string, file: string): MonitorSpec {
  return {
    ...healthSourceSpec(m, origin, file),
    type: m.type,
    // tcp without a port: 0 means "each origin's own port" (check.ts made sure every origin has one).
    port: m.port ?? DEFAULT_PORTS[m.type] ?? 0,
    path: m.path ?? '/',
    method: m.method ?? 'GET',
    header: m.header ?? {},
    expected_codes: m.expected_codes ?? '2xx',
    expected_body: m.expected_body ?? '',
    allow_insecure: m.allow_insecure ?? false,
    follow_redirects: m.follow_redirects ?? false,
    query_name: m.query_name ?? '',
    query_type: m.query_type ?? 'A',
    expected_rcode: m.expected_rcode ?? 'NOERROR',
    interval: m.interval,
    timeout: m.timeout,
    retries: m.retries,
    consecutive_up: m.consecutive_up,
    consecutive_down: m.consecutive_down,
    quorum: m.quorum,
  };
}

function buildPool(
  name: string,
  p: PoolInput,
  origin: string,
  monitors: ReadonlyMap<string, MonitorSpec>,
  targets: Map<string, ProbeTarget>,
): LbPool {
  const monitor = p.monitor === undefined ? undefined : monitors.get(p.monitor);
  const origins: LbOrigin[] = p.origins.map((o) => {
    const ip = parseAddress(o.address);
    const kind = 'problem' in ip ? 'hostname' : ip.family === 4 ? 'ipv4' : 'ipv6';
    const address = 'problem' in ip ? (canonicalHostname(o.address) as { name: string }).name : ip.text;
    // The RDATA every answer naming this origin shares: made here, once per config build.
    const data: RData = 'problem' in ip ? { kind: 'name', name: address } : { kind: 'raw', bytes: ip.bytes };
    let healthKey: string | null = null;
    // Drained origins and disabled pools are never answered, so they are not probed either.
    if (monitor && p.monitor !== undefined && p.enabled && o.enabled) {
      healthKey = addProbeTarget(
        p.monitor,
        { address, port: o.port ?? null, probe: mergeProbe(p.probe, o.probe) },
        origin,
        monitors,
        targets,
      );
    }
    return {
      name: o.name,
      address,
      kind,
      weight: o.weight,
      enabled: o.enabled,
      priority: o.priority ?? null,
      port: o.port ?? null,
      healthKey,
      data,
      seed: stringHash(`origin:${o.name}`),
      ...(o.ramp ? { ramp: rampSpec(o.ramp) } : {}),
    };
  });
  return {
    name,
    description: p.description,
    enabled: p.enabled,
    monitor: p.monitor ?? null,
    minimumOrigins: p.minimum_origins,
    latitude: p.latitude ?? null,
    longitude: p.longitude ?? null,
    originSteering: p.origin_steering.policy,
    origins,
    capacity: p.capacity ?? null,
  };
}

function checkedTemplate(input: HttpsTemplateInput, origin: string): Uint8Array {
  const template = httpsTemplate(input, origin);
  if ('problem' in template) throw new Error(`unchecked https template: ${template.problem}`); // check.ts rejects these first
  return template;
}

function buildLoadBalancer(
  name: string,
  owner: string,
  lb: LoadBalancerInput,
  origin: string,
  originWeights: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
): LoadBalancer {
  const subnetPools: LbSubnetRule[] = Object.entries(lb.subnet_pools).map(([cidr, pools]) => {
    const c = parseNetwork(cidr);
    if ('problem' in c) throw new Error(`unchecked CIDR ${cidr}`); // the schema rejects these first
    return { cidr: c.cidr, family: c.family, address: c.text, prefix: c.prefix, pools };
  });
  const poolWeights = new Map<string, number>();
  const poolRamps = new Map<string, RampSpec>();
  for (const pool of lb.default_pools) {
    const entry = lb.random_steering.pool_weights[pool];
    poolWeights.set(pool, entry === undefined ? lb.random_steering.default_weight : fileWeight(entry));
    if (entry !== undefined && typeof entry !== 'number') poolRamps.set(pool, rampSpec(entry.ramp));
  }
  return {
    name,
    owner,
    description: lb.description,
    ttl: lb.ttl,
    steeringPolicy: lb.steering_policy,
    recordType: lb.record_type,
    defaultPools: lb.default_pools,
    // Without an explicit choice, fail open to the last (lowest-priority) default pool.
    fallbackPool: lb.fallback === 'none' ? null : (lb.fallback_pool ?? lb.default_pools[lb.default_pools.length - 1]!),
    subnetPools,
    subdivisionPools: frozenMap(Object.entries(lb.subdivision_pools)),
    countryPools: frozenMap(Object.entries(lb.country_pools)),
    continentPools: frozenMap(Object.entries(lb.continent_pools)),
    poolWeights: frozenMap(poolWeights),
    poolRamps: frozenMap(poolRamps),
    preferEcs: lb.location_strategy.prefer_ecs,
    maxRecords: lb.max_records,
    https: lb.https === undefined ? null : checkedTemplate(lb.https, origin),
    dynamicSteering: { rttToleranceMs: lb.dynamic_steering.rtt_tolerance_ms, minSamples: lb.dynamic_steering.min_samples },
    asnPools: frozenMap(Object.entries(lb.asn_pools).map(([asn, pools]) => [Number(asn), pools])),
    originWeights: frozenMap(originWeights),
    rules: buildRuleSet(name, owner, lb, origin),
  };
}

/** The compiled rules and, for every combination that can match, the merged load balancer. */
function buildRuleSet(name: string, owner: string, lb: LoadBalancerInput, origin: string): LbRuleSet | null {
  if (lb.rules.length === 0) return null;
  const variants = new Map<number, LoadBalancer>();
  for (const mask of reachableMasks(lb.rules)) {
    const merged = mergeRules(lb, lb.rules, mask);
    variants.set(mask, buildLoadBalancer(name, owner, merged.input, origin, merged.originWeights));
  }
  return {
    rules: lb.rules.map((r, index) => ({
      name: r.name,
      index,
      continue: r.continue,
      text: describeCondition(r.condition),
      test: compileCondition(r.condition),
    })),
    variants: frozenMap(variants),
  };
}

/** Every pool a load balancer can ever answer from. */
function poolsOf(lb: LoadBalancer): string[] {
  const names = new Set<string>([...lb.defaultPools, ...lb.poolWeights.keys()]);
  if (lb.fallbackPool !== null) names.add(lb.fallbackPool);
  for (const rule of lb.subnetPools) for (const p of rule.pools) names.add(p);
  for (const rules of [lb.subdivisionPools, lb.countryPools, lb.continentPools, lb.asnPools]) {
    for (const list of rules.values()) for (const p of list) names.add(p);
  }
  for (const variant of lb.rules?.variants.values() ?? []) for (const p of poolsOf(variant)) names.add(p);
  return [...names];
}
