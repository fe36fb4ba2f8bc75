// The shape of `zones/<origin>.lb.yaml`, in Cloudflare Load Balancing vocabulary. Every object
// is strict, so a misspelt key is an error rather than a silently ignored setting. This file
// checks shapes, ranges and formats and applies defaults; references between sections (pool
// names, monitor names) and rules that span load balancers and pools live in check.ts.
//
// Defaults (chosen to match Cloudflare's where Cloudflare has the field):
//
//   monitor   type http · port http 80, https 443, dns 53, smtp 25, tcp none (set it on the
//             monitor or on every origin it probes) · path "/" · method GET · header {} ·
//             expected_codes "2xx" · expected_body "" (no body check) · allow_insecure false ·
//             follow_redirects false · query_type A · expected_rcode NOERROR ·
//             interval 60 · timeout 5 · retries 2 · consecutive_up 1 · consecutive_down 1 ·
//             quorum majority (fleet mode only)
//             (timeout × (retries + 1) must fit in interval, so probes of one target never overlap)
//   pool      enabled true · minimum_origins 1 · origin_steering.policy random
//   origin    weight 1 · enabled true
//   lb        ttl 30 · steering_policy off · record_type address · max_records 8 ·
//             random_steering.default_weight 1 · location_strategy.prefer_ecs always ·
//             fallback_pool: the last of default_pools unless `fallback: none`
import { z } from 'zod';
import { RRType } from '../wire/types.js';
import { looksLikeIp, parseAddress, parseNetwork } from '../net/parse.js';
import { canonicalHostname } from './names.js';
import { ruleListSchema } from './rules/schema.js';
import { notificationsSchema } from './schema-notify.js';
import { poolWeightSchema, rampSchema } from './schema-ramp.js';
import {
  CALCULATED_ONLY_KEYS,
  EXTERNAL_ONLY_KEYS,
  healthMonitorShape,
  PUSHED_MONITOR_TYPES,
  probeOverrideSchema,
} from './schema-health.js';

export const MONITOR_TYPES = ['http', 'https', 'tcp', 'dns', 'smtp', ...PUSHED_MONITOR_TYPES] as const;
export const DEFAULT_PORTS: Readonly<Record<(typeof MONITOR_TYPES)[number], number | null>> = {
  http: 80,
  https: 443,
  tcp: null,
  dns: 53,
  smtp: 25,
  external: null,
  calculated: null,
};
export const HTTP_ONLY_KEYS = [
  'path',
  'method',
  'header',
  'expected_codes',
  'expected_body',
  'allow_insecure',
  'follow_redirects',
] as const;
export const DNS_ONLY_KEYS = ['query_name', 'query_type', 'expected_rcode'] as const;
export const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
export const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

const QUERY_TYPES = Object.keys(RRType).filter((t) => !['OPT', 'IXFR', 'AXFR', 'MAILA', 'MAILB'].includes(t)) as [string, ...string[]];

/** Names of monitors and pools: they end up in health keys and metrics labels. */
const itemName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, {
  error: 'names may hold letters, digits, "_", "-" and "." (up to 63 characters)',
});

const port = z.number().int().min(1).max(65535);
const seconds = (min: number, max: number) => z.number().min(min).max(max);

// Cloudflare-style codes: "200", "2xx" or "200,301".
const expectedCodes = z.string().regex(/^\s*[1-5](?:\d\d|xx)\s*(?:,\s*[1-5](?:\d\d|xx)\s*)*$/, {
  error: 'expected_codes must be status codes or classes separated by commas, e.g. "200", "2xx", "200,301"',
});

/** DNS type and rcode names and HTTP methods are case-insensitive, as in zone files. */
const upper = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), schema);

const monitorShape = {
  type: z.enum(MONITOR_TYPES).default('http'),
  description: z.string().default(''),
  port: port.optional(),
  path: z.string().startsWith('/', { error: 'path must start with "/"' }).optional(),
  method: upper(z.enum(['GET', 'HEAD', 'POST'])).optional(),
  header: z.record(z.string().min(1), z.array(z.string())).optional(),
  // `expected_codes: 200` (a YAML number) means "200".
  expected_codes: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), expectedCodes).optional(),
  expected_body: z.string().optional(),
  allow_insecure: z.boolean().optional(),
  follow_redirects: z.boolean().optional(),
  query_name: z.string().min(1).optional(),
  query_type: upper(z.enum(QUERY_TYPES)).optional(),
  expected_rcode: upper(z.enum(RCODES)).optional(),
  interval: seconds(1, 86400).default(60),
  timeout: seconds(0.1, 300).default(5),
  retries: z.number().int().min(0).max(10).default(2),
  consecutive_up: z.number().int().min(1).max(1000).default(1),
  consecutive_down: z.number().int().min(1).max(1000).default(1),
  ...healthMonitorShape,
  // Fleet mode: sites that must see a target down to take it out (docs/fleet.md).
  quorum: z.union([z.enum(['majority', 'any', 'all']), z.number().int().min(1).max(64)]).default('majority'),
};

export const monitorSchema = z.strictObject(monitorShape).superRefine((m, ctx) => {
  const http = m.type === 'http' || m.type === 'https';
  for (const key of HTTP_ONLY_KEYS) {
    if (!http && m[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `applies only to http and https monitors, not ${m.type}` });
    }
  }
  for (const key of DNS_ONLY_KEYS) {
    if (m.type !== 'dns' && m[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `applies only to dns monitors, not ${m.type}` });
    }
  }
  for (const key of EXTERNAL_ONLY_KEYS) {
    if (m.type !== 'external' && m[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `applies only to external monitors, not ${m.type}` });
    }
  }
  for (const key of CALCULATED_ONLY_KEYS) {
    if (m.type !== 'calculated' && m[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `applies only to calculated monitors, not ${m.type}` });
    }
  }
  if (m.type === 'calculated' && m.children === undefined) {
    ctx.addIssue({ code: 'custom', path: ['children'], message: 'a calculated monitor needs children (the monitors it counts)' });
  }
  if (m.type === 'calculated' && m.children && m.healthy_threshold !== undefined && m.healthy_threshold > m.children.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['healthy_threshold'],
      message: `${m.healthy_threshold} exceeds the ${m.children.length} children: the monitor could never pass`,
    });
  }
  if (m.type === 'dns' && m.query_name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['query_name'], message: 'a dns monitor needs query_name (the name it asks for)' });
  }
  if (m.timeout * (m.retries + 1) > m.interval) {
    ctx.addIssue({
      code: 'custom',
      path: ['timeout'],
      message: `timeout × (retries + 1) = ${m.timeout * (m.retries + 1)}s exceeds interval ${m.interval}s`,
    });
  }
});

export type MonitorInput = z.output<typeof monitorSchema>;

const originShape = {
  name: z.string().min(1).max(100),
  address: z.string().superRefine((a, ctx) => {
    const ip = parseAddress(a);
    if (!('problem' in ip)) return;
    if (looksLikeIp(a)) {
      ctx.addIssue({ code: 'custom', message: ip.problem });
      return;
    }
    const host = canonicalHostname(a);
    if ('problem' in host) {
      ctx.addIssue({ code: 'custom', message: `"${a}" is neither an IP address nor a hostname: ${host.problem}` });
    }
  }),
  weight: z.number().min(0).max(1_000_000).default(1),
  enabled: z.boolean().default(true),
  priority: z.number().int().min(0).max(65535).optional(),
  port: port.optional(),
  probe: probeOverrideSchema.optional(),
  ramp: rampSchema.optional(),
};

export const originSchema = z.strictObject(originShape);

const originSteeringShape = { policy: z.enum(['random', 'hash', 'all']).default('random') };

const poolShape = {
  description: z.string().default(''),
  enabled: z.boolean().default(true),
  monitor: z.string().optional(),
  minimum_origins: z.number().int().min(1).default(1),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
  origin_steering: z.strictObject(originSteeringShape).prefault({}),
  origins: z.array(originSchema).min(1, { error: 'a pool needs at least one origin' }),
  probe: probeOverrideSchema.optional(),
  // What-if scenarios (steerdns scenarios): answers per second this pool can take, counted as
  // the query log counts them. Steering ignores it; a scenario that exceeds it is flagged.
  capacity: z.number().positive().optional(),
};

export const poolSchema = z.strictObject(poolShape).superRefine((p, ctx) => {
  if ((p.latitude === undefined) !== (p.longitude === undefined)) {
    const missing = p.latitude === undefined ? 'latitude' : 'longitude';
    ctx.addIssue({ code: 'custom', path: [], message: `latitude and longitude go together; ${missing} is missing` });
  }
  const seen = new Map<string, number>();
  p.origins.forEach((o, i) => {
    const first = seen.get(o.name);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['origins', i, 'name'], message: `origin name "${o.name}" already used by origins[${first}]` });
    } else {
      seen.set(o.name, i);
    }
  });
  const targets = new Map<string, number>();
  p.origins.forEach((o, i) => {
    const id = `${o.address.toLowerCase().replace(/\.$/, '')}|${o.port ?? ''}|${o.priority ?? ''}`;
    const first = targets.get(id);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['origins', i, 'address'], message: `same address as origins[${first}]` });
    } else {
      targets.set(id, i);
    }
  });
  if (p.origins.length > 0 && p.minimum_origins > p.origins.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['minimum_origins'],
      message: `${p.minimum_origins} exceeds the pool's ${p.origins.length} origin(s): the pool could never be healthy`,
    });
  }
});

export type PoolInput = z.output<typeof poolSchema>;

const poolList = z.array(z.string()).min(1, { error: 'list at least one pool' });

const cidrKey = z.string().superRefine((s, ctx) => {
  const c = parseNetwork(s);
  if ('problem' in c) ctx.addIssue({ code: 'custom', message: c.problem });
});
const countryKey = z.string().regex(/^[A-Z]{2}$/, {
  error: 'country codes are two uppercase letters (ISO 3166-1 alpha-2), e.g. GB',
});
const subdivisionKey = z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, {
  error: 'subdivision codes are ISO 3166-2 "<country>-<code>" in uppercase, e.g. US-CA',
});
const continentKey = z.string().regex(new RegExp(`^(?:${CONTINENTS.join('|')})$`), {
  error: `continent codes are ${CONTINENTS.join(' ')}`,
});

const asnKey = z.string().regex(/^\d{1,10}$/, { error: 'asn_pools keys are AS numbers, e.g. 13335 (no "AS" prefix)' });

const randomSteeringShape = {
  pool_weights: z.record(z.string(), poolWeightSchema).default({}),
  default_weight: z.number().min(0).max(1_000_000).default(1),
};
const dynamicSteeringShape = {
  rtt_tolerance_ms: z.number().min(0).max(60_000).default(10),
  min_samples: z.number().int().min(1).max(1000).default(3),
};
const locationStrategyShape = { prefer_ecs: z.enum(['always', 'never']).default('always') };

const loadBalancerShape = {
  description: z.string().default(''),
  ttl: z.number().int().min(0).max(604800).default(30),
  steering_policy: z.enum(['off', 'random', 'geo', 'proximity', 'hash', 'dynamic']).default('off'),
  record_type: z.enum(['address', 'MX', 'SRV']).default('address'),
  default_pools: poolList,
  fallback_pool: z.string().optional(),
  fallback: z.literal('none', { error: 'the only value of fallback is "none" (fail closed); name a pool with fallback_pool' }).optional(),
  subnet_pools: z.record(cidrKey, poolList).default({}),
  subdivision_pools: z.record(subdivisionKey, poolList).default({}),
  country_pools: z.record(countryKey, poolList).default({}),
  continent_pools: z.record(continentKey, poolList).default({}),
  random_steering: z.strictObject(randomSteeringShape).prefault({}),
  location_strategy: z.strictObject(locationStrategyShape).prefault({}),
  max_records: z.number().int().min(1).max(64).default(8),
  /** Also answer HTTPS at this name, its ipv4hint/ipv6hint steered like the A/AAAA answers (https-hints.ts). */
  https: z
    .strictObject({
      priority: z.number().int().min(1).max(65535).default(1),
      target: z.string().min(1).default('.'),
      params: z.string().default(''),
    })
    .optional(),
  // ASN steering: keys are AS numbers (13335, not "AS13335"); see policies/geo.ts for precedence.
  asn_pools: z.record(asnKey, poolList).default({}),
  // steering_policy dynamic: lowest smoothed probe RTT (policies/dynamic.ts).
  dynamic_steering: z.strictObject(dynamicSteeringShape).prefault({}),
};

export const loadBalancerSchema = z.strictObject({
  ...loadBalancerShape,
  rules: ruleListSchema({
    cidr: cidrKey,
    country: countryKey,
    continent: continentKey,
    subdivision: subdivisionKey,
    qtype: upper(z.enum(QUERY_TYPES)) as z.ZodType<string>,
    lbShape: loadBalancerShape,
  }),
});
export type LoadBalancerInput = z.output<typeof loadBalancerSchema>;

export const lbFileSchema = z.strictObject({
  monitors: z.record(itemName, monitorSchema).default({}),
  pools: z.record(itemName, poolSchema).default({}),
  load_balancers: z.record(z.string().min(1), loadBalancerSchema).default({}),
  notifications: notificationsSchema,
});

export type LbFileInput = z.output<typeof lbFileSchema>;

/**
 * The keys an object at `path` accepts (for "did you mean" hints on unknown keys), or null
 * when `path` does not lead to a strict object.
 */
export function knownKeysAt(path: readonly PropertyKey[]): readonly string[] | null {
  let schema: z.ZodType = lbFileSchema;
  for (const step of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const next: z.ZodType | undefined = (schema.shape as Record<string, z.ZodType>)[String(step)];
      if (!next) return null;
      schema = next;
    } else if (schema instanceof z.ZodRecord) {
      schema = schema.valueType as z.ZodType;
    } else if (schema instanceof z.ZodArray) {
      schema = schema.element as z.ZodType;
    } else {
      return null;
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : null;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
}
