// steering_policy dynamic (Cloudflare "dynamic", Route 53 "latency" as seen from this server):
// the healthy default pool with the lowest smoothed probe RTT answers; pools within
// rtt_tolerance_ms of the fastest share by pool weight, so near-equal pools do not flip-flop on
// noise. A pool whose origins have fewer than min_samples successful probes is left out; with
// no pool measured yet the answer is failover order. The comparison is done when health or an
// RTT changes (prepare.ts); a query only draws among the prepared candidates. The answer does
// not depend on the client: ECS scope 0.
import type { SteerCall } from '../steer-context.js';
import type { PreparedLb } from '../prepare.js';
import { listState } from './describe.js';

export function chooseDynamic(p: PreparedLb, call: SteerCall): number {
  const n = p.dynamic.length;
  if (n === 0) {
    if (call.trace !== null) {
      call.note('rule', p.dynamicNote);
      call.note('pools', `default_pools in order: ${listState(p, p.defaultOrder)}`);
    }
    return p.firstHealthyDefault;
  }
  const k = n === 1 ? 0 : call.pick(p.dynamicCumulative, n);
  const chosen = p.dynamic[Math.max(k, 0)]!;
  if (call.trace !== null) {
    call.note('rule', p.dynamicNote);
    call.note('pools', n === 1 ? `${p.pools[chosen]!.name}: the fastest` : `${p.pools[chosen]!.name} drawn by pool weight among them`);
  }
  return chosen;
}
