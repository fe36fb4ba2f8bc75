// The shape of a load balancer's `rules:` list. Built by a factory from the load balancer's own
// key schemas (passed in by ../schema.ts), so the overrides accept exactly the load-balancer
// keys with the same validation, and no import cycle arises.
//
//   rules:
//     - name: eu-resolvers          # unique within the load balancer
//       condition: { continent: [EU], not: { client_subnet: ["10.0.0.0/8"] } }
//       overrides: { default_pools: [eu-west, us-east] }
//       continue: false             # default: the first matching rule wins
//
// A condition's keys are combined with "and"; `any:` is "or" over a list of conditions and
// `not:` negates one. An empty condition matches every query (a catch-all rule).
import { z } from 'zod';

/** Load-balancer keys a rule cannot override: they shape the zone (binding types) or are text. */
export const NOT_OVERRIDABLE = ['description', 'record_type', 'rules'] as const;

/** Upper bound on rules per load balancer: matched rules are kept as a bit mask. */
export const MAX_RULES = 30;

export interface ConditionInput {
  client_subnet?: string[];
  resolver_subnet?: string[];
  country?: string[];
  continent?: string[];
  subdivision?: string[];
  asn?: number[];
  qtype?: string[];
  ecs?: 'present' | 'absent';
  not?: ConditionInput;
  any?: ConditionInput[];
}

export interface RuleKeySchemas {
  readonly cidr: z.ZodType<string>;
  readonly country: z.ZodType<string>;
  readonly continent: z.ZodType<string>;
  readonly subdivision: z.ZodType<string>;
  readonly qtype: z.ZodType<string>;
  /** The load balancer's shape, whose keys (minus NOT_OVERRIDABLE) a rule may override. */
  readonly lbShape: Readonly<Record<string, z.ZodType>>;
}

/** A single value is accepted where a list is expected: `country: GB` means `[GB]`. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (Array.isArray(v) ? v : v === undefined ? v : [v]), z.array(item).min(1, { error: 'list at least one value' }));

export const asnNumber = z.number().int({ error: 'an ASN is a whole number, e.g. 13335' }).min(0).max(4294967295);

export function ruleListSchema(keys: RuleKeySchemas) {
  const condition: z.ZodType<ConditionInput> = z.lazy(() =>
    z.strictObject({
      client_subnet: listOf(keys.cidr).optional(),
      resolver_subnet: listOf(keys.cidr).optional(),
      country: listOf(keys.country).optional(),
      continent: listOf(keys.continent).optional(),
      subdivision: listOf(keys.subdivision).optional(),
      asn: listOf(asnNumber).optional(),
      qtype: listOf(keys.qtype).optional(),
      ecs: z.enum(['present', 'absent']).optional(),
      not: condition.optional(),
      any: z.array(condition).min(1, { error: 'any: needs at least one condition' }).optional(),
    }),
  ) as z.ZodType<ConditionInput>;

  const overrideShape: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(keys.lbShape)) {
    if ((NOT_OVERRIDABLE as readonly string[]).includes(key)) continue;
    overrideShape[key] = withoutDefault(schema).optional();
  }
  const weight = z.number().min(0).max(1_000_000);
  overrideShape.origin_weights = z.record(z.string(), z.record(z.string(), weight)).optional();

  const rule = z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, {
      error: 'rule names may hold letters, digits, "_", "-" and "." (up to 63 characters)',
    }),
    condition: condition.default({}),
    overrides: z.strictObject(overrideShape).default({}),
    continue: z.boolean().default(false),
  });

  return z
    .array(rule)
    .max(MAX_RULES, { error: `at most ${MAX_RULES} rules per load balancer` })
    .default([])
    .superRefine((rules, ctx) => {
      const seen = new Map<string, number>();
      rules.forEach((r, i) => {
        const first = seen.get(r.name);
        if (first !== undefined)
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `rule name "${r.name}" already used by rules[${first}]` });
        else seen.set(r.name, i);
      });
    });
}

export type RuleInput = z.output<ReturnType<typeof ruleListSchema>>[number];
/** What a rule's overrides hold after parsing: load-balancer keys plus origin_weights. */
export type OverridesInput = Record<string, unknown> & { origin_weights?: Record<string, Record<string, number>> };

function withoutDefault(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) return schema.unwrap() as z.ZodType;
  return schema;
}
