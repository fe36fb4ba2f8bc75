// Which rule combinations can match together, and the load balancer each combination yields.
//
// Matching walks the rules in order. A rule without `continue` that matches ends the walk; one
// with `continue: true` merges its overrides and the walk goes on. So the matched set is some
// of the `continue` rules before the first matching terminal rule, plus that rule (if any).
// Every reachable set is built once at load; a query only evaluates conditions.
//
// Merge: the overrides of the matched rules are applied in rule order on top of the load
// balancer's own keys; a later rule's key replaces an earlier one's whole (a map such as
// country_pools is replaced, not merged), except origin_weights, which merge per origin.
// Setting fallback_pool clears an inherited `fallback: none`, and setting `fallback` clears an
// inherited fallback_pool, so the two never conflict after a merge.
import type { LoadBalancerInput } from '../schema.js';
import type { OverridesInput, RuleInput } from './schema.js';

/** Upper bound on reachable rule combinations per load balancer (each is prepared on health changes). */
export const MAX_VARIANTS = 64;

/** Every non-empty bit mask of rules that can match together, in a stable order. */
export function reachableMasks(rules: readonly Pick<RuleInput, 'continue'>[]): number[] {
  let open = [0]; // sets of continue-rules matched so far, walk still going
  const ended: number[] = [];
  rules.forEach((rule, i) => {
    const bit = 2 ** i;
    if (rule.continue) open = [...open, ...open.map((m) => m + bit)];
    else for (const m of open) ended.push(m + bit);
  });
  return [...open.filter((m) => m !== 0), ...ended];
}

export interface MergedLb {
  readonly input: LoadBalancerInput;
  readonly originWeights: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** The load balancer with the overrides of the rules in `mask` applied in order. */
export function mergeRules(base: LoadBalancerInput, rules: readonly RuleInput[], mask: number): MergedLb {
  const merged: Record<string, unknown> = { ...base, rules: [] };
  const originWeights = new Map<string, Map<string, number>>();
  rules.forEach((rule, i) => {
    if ((mask & (2 ** i)) === 0) return;
    const { origin_weights, ...keys } = rule.overrides as OverridesInput;
    for (const [key, value] of Object.entries(keys)) {
      if (value === undefined) continue;
      merged[key] = value;
      if (key === 'fallback_pool') delete merged.fallback;
      if (key === 'fallback') delete merged.fallback_pool;
    }
    for (const [pool, weights] of Object.entries(origin_weights ?? {})) {
      const forPool = originWeights.get(pool) ?? new Map<string, number>();
      for (const [origin, weight] of Object.entries(weights)) forPool.set(origin, weight);
      originWeights.set(pool, forPool);
    }
  });
  return { input: merged as LoadBalancerInput, originWeights };
}
