// A compiled rule condition (see condition.ts). The rule set itself is LbRuleSet in ../types.ts.
import type { SteerCall } from '../steer-context.js';

/**
 * Evaluates a condition for the call's client and query type. Widens the call's ECS scope to
 * the networks it looked at, and no further.
 */
export type ConditionTest = (call: SteerCall) => boolean;
