// Cross-checks of a load balancer's rules: every combination of rules that can match together
// must give a load balancer that passes the same checks as one written out by hand, and
// origin_weights must name pools and origins that exist. A problem that only arises with a
// rule's overrides is reported at that rule (the override key when the rule sets it), with the
// rules involved named in the message.
import type { SteerErrorCode } from '../../errors.js';
import { ipFamily } from '../../net/parse.js';
import type { LbFileInput, LoadBalancerInput } from '../schema.js';
import type { OverridesInput } from './schema.js';
import { MAX_VARIANTS, mergeRules, reachableMasks } from './variants.js';

type Report = (code: SteerErrorCode, path: readonly PropertyKey[], message: string) => void;

export function checkRules(
  input: LbFileInput,
  lbName: string,
  lb: LoadBalancerInput,
  report: Report,
  checkVariant: (variant: LoadBalancerInput, report: Report) => void,
): void {
  if (lb.rules.length === 0) return;
  const rulesPath = ['load_balancers', lbName, 'rules'];
  const masks = reachableMasks(lb.rules);
  if (masks.length > MAX_VARIANTS) {
    report(
      'STEER_LB_SCHEMA',
      rulesPath,
      `${masks.length} combinations of rules can match together (each continue: true rule doubles them); at most ${MAX_VARIANTS}`,
    );
    return;
  }

  lb.rules.forEach((rule, i) => {
    // A ramp runs on the load balancer's own pool_weights only; a rule sets a plain weight.
    const steering = (rule.overrides as OverridesInput).random_steering as { pool_weights?: Record<string, unknown> } | undefined;
    const poolWeights = steering?.pool_weights ?? {};
    for (const [poolName, w] of Object.entries(poolWeights)) {
      if (typeof w !== 'number') {
        report(
          'STEER_LB_SCHEMA',
          [...rulesPath, i, 'overrides', 'random_steering', 'pool_weights', poolName, 'ramp'],
          "a rule sets plain pool weights; put the ramp on the load balancer's random_steering.pool_weights",
        );
      }
    }
    const weights = (rule.overrides as OverridesInput).origin_weights ?? {};
    for (const [poolName, byOrigin] of Object.entries(weights)) {
      const path = [...rulesPath, i, 'overrides', 'origin_weights', poolName];
      const pool = input.pools[poolName];
      if (!pool) {
        report('STEER_LB_REFERENCE', path, `no pool named "${poolName}"`);
        continue;
      }
      for (const [originName, weight] of Object.entries(byOrigin)) {
        const origin = pool.origins.find((o) => o.name === originName);
        if (!origin) {
          report('STEER_LB_REFERENCE', [...path, originName], `pool "${poolName}" has no origin named "${originName}"`);
        } else if (weight === 0 && lb.record_type === 'address' && ipFamily(origin.address) !== 0) {
          report(
            'STEER_LB_SCHEMA',
            [...path, originName],
            'weight 0 would never be answered; leave the origin out of the pool the rule picks',
          );
        }
      }
    }
  });

  // What the load balancer alone reports is reported once, at its own keys.
  const own = new Set<string>();
  checkVariant(lb, (_code, path, message) => own.add(issueId(path, message)));

  for (const mask of masks) {
    const involved = lb.rules.map((r, i) => ({ r, i })).filter(({ i }) => (mask & (2 ** i)) !== 0);
    const { input: variant } = mergeRules(lb, lb.rules, mask);
    const names = involved.map(({ r }) => `"${r.name}"`).join(' + ');
    checkVariant(variant, (code, path, message) => {
      if (own.has(issueId(path, message))) return;
      const lbKey = path[0] === 'load_balancers' ? path[2] : undefined;
      if (lbKey === undefined) {
        report(code, path, `with rule ${names}: ${message}`);
        return;
      }
      // Blame the last matched rule that sets the key, else the last rule of the combination.
      const setter = [...involved].reverse().find(({ r }) => (r.overrides as OverridesInput)[String(lbKey)] !== undefined);
      if (setter !== undefined) {
        report(code, [...rulesPath, setter.i, 'overrides', ...path.slice(2)], `${message} (rule ${names})`);
      } else {
        const last = involved[involved.length - 1]!;
        report(code, [...rulesPath, last.i], `with rule ${names}: ${path.slice(2).map(String).join('.')}: ${message}`);
      }
    });
  }
}

function issueId(path: readonly PropertyKey[], message: string): string {
  return `${path.map(String).join('\u0000')}\u0001${message}`;
}
