// steering_policy random: a healthy default pool drawn by random_steering weights. A pool of
// weight 0 is a standby: used (in default order) only when no weighted pool is healthy.
import type { SteerCall } from '../steer-context.js';
import type { PreparedLb } from '../prepare.js';
import { listState } from './describe.js';

export function chooseRandom(p: PreparedLb, call: SteerCall): number {
  const i = call.pick(p.weightedCumulative, p.weighted.length);
  if (i >= 0) {
    if (call.trace !== null) {
      const total = p.weightedCumulative[p.weighted.length - 1]!;
      const names = p.weighted.map((k, j) => `${p.pools[k]!.name} ${p.weightedWeights[j]}`).join(', ');
      call.note(
        'pools',
        `random among healthy weighted pools (${names}): ${p.pools[p.weighted[i]!]!.name}, chance ${(p.weightedWeights[i]! / total).toFixed(3)}`,
      );
    }
    return p.weighted[i]!;
  }
  if (call.trace !== null) call.note('pools', `no healthy pool with weight > 0; default_pools in order: ${listState(p, p.defaultOrder)}`);
  return p.firstHealthyDefault;
}
