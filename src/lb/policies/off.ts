// steering_policy off: default_pools in order, the first healthy one (failover).
import type { SteerCall } from '../steer-context.js';
import type { PreparedLb } from '../prepare.js';
import { listState } from './describe.js';

export function chooseOff(p: PreparedLb, call: SteerCall): number {
  if (call.trace !== null) call.note('pools', `default_pools in order: ${listState(p, p.defaultOrder)}`);
  return p.firstHealthyDefault;
}
