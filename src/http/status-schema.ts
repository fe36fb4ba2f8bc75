// The shape of GET /api/v1/status, defined once with zod: the server's output is typed by it,
// tests validate against it, and its JSON Schema is served at /api/v1/status/schema and kept
// in docs/status.schema.json.
import { z } from 'zod';
import { OverrideStatusSchema } from './status-schema-overrides.js';
import { ExternalReportStatusSchema, HealthFileStatusSchema, NotificationStatusSchema, RampStatusSchema } from './status-schema-health.js';

const epochMs = z.number().int().nonnegative().describe('Unix time in milliseconds');
const count = z.number().int().nonnegative();

export const ProbeResultSchema = z
  .object({
    ok: z.boolean(),
    reason: z.string().describe('"HTTP 200", "HTTP 503", "timeout", "ECONNREFUSED", ...'),
    durationMs: z.number().nonnegative(),
    at: epochMs,
  })
  .describe('One health probe result');

export const OriginHealthSchema = z
  .enum(['up', 'down', 'unknown', 'unmonitored', 'drained'])
  .describe(
    'up/down: as the health table decided (thresholds applied); unknown: not probed yet (counts as up); ' +
      'unmonitored: its pool has no monitor (always up); drained: enabled: false (never answered)',
  );

export const OriginStatusSchema = z.object({
  name: z.string(),
  address: z.string().describe('IP address or hostname, as configured'),
  weight: z.number().nonnegative(),
  enabled: z.boolean(),
  health: OriginHealthSchema,
  /** Epoch ms of the last transition; null when the origin has no probe target. */
  since: epochMs.nullable().describe('When the origin entered its current health state; null if it has no monitor'),
  reason: z.string().describe('Why the origin is in its current state, e.g. "HTTP 503" or "not probed yet"'),
  target: z.string().nullable().describe('Health-table key (monitor@address:port) the health is read from'),
  lastProbe: ProbeResultSchema.nullable().describe('The newest probe result, whatever it changed'),
  probesPassed: count,
  probesFailed: count,
  votes: z
    .object({
      rule: z.string().describe('majority, any, all or a number of sites'),
      needed: count.describe('Sites voting down needed to take the origin out'),
      downSites: count,
      sites: z.array(
        z.object({
          site: z.string(),
          up: z.boolean(),
          observations: z.array(
            z.object({
              node: z.string(),
              up: z.boolean(),
              reason: z.string(),
              rttMs: z.number(),
              smoothed: z
                .object({ rttMs: z.number(), samples: count })
                .nullable()
                .optional()
                .describe('Dynamic steering: the smoothed RTT this prober last published (written when it moves, not per probe)'),
              revision: z.number().describe('etcd revision of the write'),
            }),
          ),
        }),
      ),
    })
    .nullable()
    .optional()
    .describe('Fleet mode only: how each site voted on this origin (null until a verdict exists)'),
});

export const PoolStatusSchema = z.object({
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  healthy: z.boolean().describe('Enabled and at least minimumOrigins origins up'),
  roles: z.array(z.enum(['default', 'fallback', 'rule'])).describe('How the load balancer uses this pool'),
  monitor: z.string().nullable(),
  minimumOrigins: count,
  upOrigins: count,
  enabledOrigins: count,
  answers: z.array(count).describe("This pool's answers per traffic bucket, aligned with the load balancer's traffic.bucketStarts"),
  origins: z.array(OriginStatusSchema),
});

export const LoadBalancerStatusSchema = z.object({
  zone: z.string(),
  name: z.string().describe('As written in the load-balancer file'),
  owner: z.string().describe('Owner name the load balancer answers for'),
  description: z.string(),
  policy: z.enum(['off', 'random', 'geo', 'proximity', 'hash', 'dynamic']),
  recordType: z.enum(['address', 'MX', 'SRV']),
  ttl: count,
  defaultPools: z.array(z.string()),
  fallbackPool: z.string().nullable(),
  primaryPool: z.string().nullable().describe('First healthy default pool (what failover answers with); null when none is healthy'),
  state: z
    .enum(['ok', 'degraded', 'fallback', 'down'])
    .describe(
      'ok: every default pool healthy; degraded: some default pool down; fallback: none healthy, fallback pool answers; down: nothing answers (fail closed)',
    ),
  traffic: z.object({
    bucketSeconds: z.number().positive(),
    buckets: count.describe('How many buckets the window holds once full'),
    bucketStarts: z.array(epochMs).describe('Start of each bucket, oldest first; the last one is still filling'),
  }),
  pools: z.array(PoolStatusSchema),
  dynamic: z
    .object({
      comparison: z.string().describe('What an unlocatable client gets, in words: the RTTs compared and the pools within the tolerance'),
      home: z
        .string()
        .nullable()
        .describe("Fleet mode: the site an unlocatable client's answer comes from; null alone or when no site has RTT data"),
      byLocation: z.boolean().describe("Fleet mode: sites choose differently, so the answer depends on the client's GeoIP location"),
      sites: z
        .array(
          z.object({
            site: z.string(),
            own: z.boolean().describe("This node's site"),
            latitude: z.number().nullable(),
            longitude: z.number().nullable(),
            chosen: z.array(z.string()).describe('Pools within rtt_tolerance_ms of the fastest from this site; empty: no data'),
            rtts: z
              .array(z.object({ pool: z.string(), rttMs: z.number().nullable() }))
              .describe('Healthy default pools, null: too few samples'),
          }),
        )
        .describe('Fleet mode: each site that published RTTs for these pools'),
    })
    .nullable()
    .optional()
    .describe('steering_policy dynamic only (null otherwise)'),
  rules: z
    .array(
      z.object({
        name: z.string(),
        condition: z.string().describe('The condition in one line, e.g. "country [GB] and not (asn [13335])"'),
        continue: z.boolean().describe('true: overrides merge and the next rules are tried; false: the first match wins'),
        policy: z.enum(['off', 'random', 'geo', 'proximity', 'hash', 'dynamic']).describe('Steering policy when this rule (alone) matches'),
        primaryPool: z.string().nullable().describe('First healthy default pool when this rule (alone) matches; null when none is healthy'),
      }),
    )
    .describe('`rules:` in order; explain and query logs name the rule that matched'),
});

export const DnssecKeyStatusSchema = z.object({
  tag: count.describe('Key tag'),
  algorithm: count.describe('13 ECDSAP256SHA256, 15 ED25519'),
  role: z.enum(['KSK', 'ZSK']).describe('KSK: the SEP flag (a CSK when there is no active ZSK)'),
  published: z.boolean().describe('In the DNSKEY RRset now'),
  active: z.boolean().describe('Signing now'),
  file: z.string(),
});

export const DnssecStatusSchema = z.object({
  keys: z.array(DnssecKeyStatusSchema),
  ds: z.array(z.string()).describe('The DS records (SHA-256) of the published KSKs, for the parent'),
  nextSignatureExpiry: epochMs
    .nullable()
    .describe(
      "Earliest expiration among the signatures in this process's cache; null before the first is made (always with --workers, whose primary answers no queries)",
    ),
});

export const ZoneStatusSchema = z.object({
  name: z.string().describe('Zone origin, lowercase, no trailing dot ("" is the root)'),
  serial: count,
  records: count,
  loadedAt: epochMs,
  file: z.string(),
  lbFile: z.string().nullable(),
  loadBalancers: count,
  dnssec: DnssecStatusSchema.nullable().describe('Online signing state; null when the zone has no keys'),
});

export const TransitionStatusSchema = z.object({
  at: epochMs,
  target: z.string(),
  up: z.boolean(),
  previousUp: z.boolean(),
  reason: z.string(),
  origins: z.array(z.object({ zone: z.string(), pool: z.string(), origin: z.string() })).describe('Origins whose health this target is'),
});

export const ReloadStatusSchema = z.object({
  at: epochMs,
  ok: z.boolean(),
  loaded: z.array(z.string()),
  kept: z.array(z.string()).describe('Zones whose new files were rejected; the previous version keeps serving'),
  removed: z.array(z.string()),
  errors: z.array(z.string()).describe('"file:line: message [CODE]"'),
});

export const TransferStatusSchema = z.object({
  zones: z
    .array(
      z.object({
        zone: z.string(),
        serial: count.describe('Serial offered to secondaries (lags the served one after a reload that did not raise it)'),
        journalVersions: count,
        journalBytes: count,
        notify: z.array(z.string()).describe('NOTIFY targets, ADDRESS:PORT'),
      }),
    )
    .describe('Zones with transfer settings'),
  counts: z
    .array(z.object({ zone: z.string(), kind: z.string(), outcome: z.string(), count }))
    .describe('Transfers and NOTIFYs by zone, kind and outcome (as steerdns_transfers_total); zone "" when not ours'),
});

export const StatusSchema = z
  .object({
    version: z.literal(1),
    generatedAt: epochMs,
    ready: z.boolean(),
    readiness: z.string().describe('Why the server is or is not ready'),
    configGeneration: count,
    healthGeneration: count,
    lastReload: ReloadStatusSchema.nullable(),
    zones: z.array(ZoneStatusSchema),
    loadBalancers: z.array(LoadBalancerStatusSchema),
    transitions: z.array(TransitionStatusSchema).describe('Recent health transitions, newest first'),
    transfers: TransferStatusSchema.nullable().describe('Zone transfers to secondaries; null without transfer settings'),
    ramps: z.array(RampStatusSchema).describe('Origin weight ramps: running, done or aborted'),
    notifications: z.array(NotificationStatusSchema).describe('Webhook receivers and their delivery counts'),
    externalHealth: z
      .object({ reports: z.array(ExternalReportStatusSchema), files: z.array(HealthFileStatusSchema) })
      .describe('Health pushed through the API or health files (type: external monitors)'),
    overrides: z.array(OverrideStatusSchema).describe('Operator overrides in force (drain, force-up, force-down), oldest first'),
  })
  .meta({ title: 'steerdns status', description: 'GET /api/v1/status of the steerdns HTTP listener' });

export type Status = z.infer<typeof StatusSchema>;
export type LoadBalancerStatus = z.infer<typeof LoadBalancerStatusSchema>;
export type PoolStatus = z.infer<typeof PoolStatusSchema>;
export type OriginStatus = z.infer<typeof OriginStatusSchema>;
export type DnssecStatus = z.infer<typeof DnssecStatusSchema>;

/** The published JSON Schema (draft 2020-12) of the status document. */
export function statusJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(StatusSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
