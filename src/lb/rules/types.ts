// A load balancer's rules as the steering code sees them: compiled conditions and, for every
// combination of rules that can match together, the load balancer with their overrides applied
// (built at load time, so a query only evaluates conditions and picks a variant).
import type { SteerCall } from '../steer-context.js';
import type { LoadBalancer } from '../types.js';

/**
 * Evaluates a condition for the call's client and query type. Widens the call's ECS scope to
 * the networks it looked at, and no further.
 */
export type ConditionTest = (call: SteerCall) => boolean;

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
