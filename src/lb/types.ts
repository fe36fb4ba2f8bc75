// The validated, deep-frozen form of one zone's `<origin>.lb.yaml`. Produced by load.ts, read
// by prepare.ts (per health generation) and by the server (bindings, probe targets).
import type { DynamicBinding } from '../zone/types.js';
import type { MonitorSpec, ProbeTarget } from '../health/types.js';
import type { RData } from '../wire/types.js';
import type { ConditionTest } from './rules/types.js';
import type { NotificationReceiver } from '../notify/types.js';

export type SteeringPolicy = 'off' | 'random' | 'geo' | 'proximity' | 'hash' | 'dynamic';
export type OriginSteeringPolicy = 'random' | 'hash' | 'all';
/** 'address': A/AAAA from IP origins, CNAME from hostname origins. */
export type LbRecordType = 'address' | 'MX' | 'SRV';
export type OriginKind = 'ipv4' | 'ipv6' | 'hostname';
export type Continent = 'AF' | 'AN' | 'AS' | 'EU' | 'NA' | 'OC' | 'SA';

export interface LbOrigin {
  readonly name: string;
  /** IP literal as written, or a hostname in canonical form (lowercase, no trailing dot). */
  readonly address: string;
  readonly kind: OriginKind;
  readonly weight: number;
  /** false → drained: never answered, not probed. */
  readonly enabled: boolean;
  /** MX preference / SRV priority; null for address load balancers. */
  readonly priority: number | null;
  /** SRV port, and the port probed instead of the monitor's; null when not set. */
  readonly port: number | null;
  /** Health-table key this origin's health is read from; null → always healthy (no monitor, or drained). */
  readonly healthKey: string | null;
  /**
   * Its answer's RDATA, made once per config build and shared by every record built from it:
   * the address bytes of an IP origin, the target of a hostname origin (CNAME).
   */
  readonly data: RData;
  /** Rendezvous seed from the origin's name (stable across reloads). */
  readonly seed: number;
  /** `ramp:` of the origin's weight (ramps.ts); absent without one. */
  readonly ramp?: RampSpec;
  /** An operator override (src/overrides) in force: its health, whatever the monitor says. */
  readonly forced?: 'up' | 'down';
}

export interface RampSpec {
  readonly to: number;
  readonly overMs: number;
  readonly stepMs: number;
  readonly abortIf: RampAbort;
}

/** Back to the start weight when the origin (or pool) is unhealthy, or fails too many probes. */
export type RampAbort = 'unhealthy' | { readonly errorRateAbove: number; readonly windowMs: number };

export interface LbPool {
  readonly name: string;
  readonly description: string;
  /** false → the pool never answers, not even as fallback. */
  readonly enabled: boolean;
  /** Monitor name in this file, or null (origins always healthy). */
  readonly monitor: string | null;
  readonly minimumOrigins: number;
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly originSteering: OriginSteeringPolicy;
  readonly origins: readonly LbOrigin[];
  /** Answers per second the pool can take, for what-if scenarios only; null when not set. */
  readonly capacity: number | null;
}

/** One `subnet_pools` entry; `address` is the network address (host bits zero). */
export interface LbSubnetRule {
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefix: number;
  readonly pools: readonly string[];
}

export interface LoadBalancer {
  /** Name as written in the file ("www", "@", "api.example.com."). */
  readonly name: string;
  /** Canonical absolute owner name (lowercase, no trailing dot). */
  readonly owner: string;
  readonly description: string;
  readonly ttl: number;
  readonly steeringPolicy: SteeringPolicy;
  readonly recordType: LbRecordType;
  readonly defaultPools: readonly string[];
  /** Pool used, health ignored, when no pool is healthy; null with `fallback: none` (fail closed). */
  readonly fallbackPool: string | null;
  readonly subnetPools: readonly LbSubnetRule[];
  readonly subdivisionPools: ReadonlyMap<string, readonly string[]>;
  readonly countryPools: ReadonlyMap<string, readonly string[]>;
  readonly continentPools: ReadonlyMap<string, readonly string[]>;
  /** random / hash pool weights for every default pool (listed weight or default_weight). */
  readonly poolWeights: ReadonlyMap<string, number>;
  /** `pool_weights` entries with a ramp, by pool (load-balancer level only; empty in rule variants). */
  readonly poolRamps: ReadonlyMap<string, RampSpec>;
  readonly preferEcs: 'always' | 'never';
  readonly maxRecords: number;
  /** The HTTPS record's RDATA without hints (the `https:` key); null: no HTTPS at this name. */
  readonly https: Uint8Array | null;
  /** steering_policy dynamic: pools within this many ms of the fastest share; pools need this many RTT samples. */
  readonly dynamicSteering: { readonly rttToleranceMs: number; readonly minSamples: number };
  /** asn_pools: AS number → pool list. */
  readonly asnPools: ReadonlyMap<number, readonly string[]>;
  /** Origin weights a rule overrides: pool → origin name → weight. Empty outside rule variants. */
  readonly originWeights: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** `rules:`; null when the load balancer has none (and in the variants themselves). */
  readonly rules: LbRuleSet | null;
}

export interface LbZoneConfig {
  /** Zone origin, canonical. */
  readonly origin: string;
  readonly file: string;
  /** Monitors by name as written in the file. */
  readonly monitors: ReadonlyMap<string, MonitorSpec>;
  readonly pools: ReadonlyMap<string, LbPool>;
  /** By canonical owner name. */
  readonly loadBalancers: ReadonlyMap<string, LoadBalancer>;
  /** One per distinct (monitor, address, port); monitor ids are `${origin}/${monitorName}`. */
  readonly probeTargets: readonly ProbeTarget[];
  /** What the zone needs to know: owner name → dynamic types. */
  readonly bindings: ReadonlyMap<string, DynamicBinding>;
  /**
   * Which prepared answers a health change touches: health key → names of the pools holding an
   * origin probed under it, and pool name → owner names of the load balancers that can answer
   * from that pool (prepare.ts re-prepares only those).
   */
  readonly poolsByHealthKey: ReadonlyMap<string, readonly string[]>;
  readonly loadBalancersByPool: ReadonlyMap<string, readonly string[]>;
  /** Webhook receivers of `notifications:` (absent when there are none). */
  readonly notifications?: readonly NotificationReceiver[];
}

// A load balancer's rules as steering sees them: compiled conditions and, for every combination
// of rules that can match together, the load balancer with their overrides applied (built at
// load, so a query only evaluates conditions and picks a variant).
export interface LbRule {
  readonly name: string;
  readonly index: number;
  readonly continue: boolean;
  /** The condition as written (one line), for traces and the status API. */
  readonly text: string;
  readonly test: ConditionTest;
}

export interface LbRuleSet {
  readonly rules: readonly LbRule[];
  /**
   * Key: bit mask of the matched rules (bit i = rules[i]); the variant is the load balancer with
   * those rules' overrides merged in order. Mask 0 (no rule matched) is the load balancer itself.
   */
  readonly variants: ReadonlyMap<number, LoadBalancer>;
}
