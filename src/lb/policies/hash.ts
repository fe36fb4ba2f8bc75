// steering_policy hash: weighted rendezvous hashing of the client subnet over the healthy
// default pools. A subnet keeps its pool while that pool is healthy; when a pool dies only
// the subnets that were on it move (to their next-best pool).
import type { SteerCall } from '../steer-context.js';
import type { PreparedLb } from '../prepare.js';
import { rendezvousPick } from '../weighted.js';
import { listState } from './describe.js';

export function chooseHash(p: PreparedLb, call: SteerCall): number {
  const n = p.weighted.length;
  if (n === 0) {
    if (call.trace !== null) call.note('pools', `no healthy pool with weight > 0; default_pools in order: ${listState(p, p.defaultOrder)}`);
    return p.firstHealthyDefault;
  }
  if (n === 1) {
    if (call.trace !== null)
      call.note('pools', `only one healthy weighted pool: ${p.pools[p.weighted[0]!]!.name} (answer does not depend on the client)`);
    return p.weighted[0]!;
  }
  const i = rendezvousPick(call.clientHash(), p.weightedSeeds, p.weightedWeights, n);
  call.widenScope(call.ctx.client.sourcePrefix);
  if (call.trace !== null) {
    const names = p.weighted.map((k, j) => `${p.pools[k]!.name} ${p.weightedWeights[j]}`).join(', ');
    call.note(
      'pools',
      `hash of ${call.ctx.client.ip}/${call.ctx.client.sourcePrefix} over healthy weighted pools (${names}): ${p.pools[p.weighted[i]!]!.name}`,
    );
  }
  return p.weighted[i]!;
}
