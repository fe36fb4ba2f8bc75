// Ramps with `abort_if: { error_rate_above, window }` need probes to count: the window must hold
// at least one probe interval of the monitor that checks the ramped origin (or the pool).
import type { SteerErrorCode } from '../errors.js';
import type { LbFileInput } from './schema.js';
import type { RampInput } from './schema-ramp.js';

type Report = (code: SteerErrorCode, path: readonly PropertyKey[], message: string) => void;

export function checkRamps(input: LbFileInput, report: Report): void {
  for (const [poolName, pool] of Object.entries(input.pools)) {
    pool.origins.forEach((origin, i) => {
      if (origin.ramp) checkWindow(input, pool.monitor, origin.ramp, ['pools', poolName, 'origins', i, 'ramp'], report);
    });
  }
  for (const [lbName, lb] of Object.entries(input.load_balancers)) {
    for (const [poolName, entry] of Object.entries(lb.random_steering.pool_weights)) {
      if (typeof entry === 'number') continue;
      const path = ['load_balancers', lbName, 'random_steering', 'pool_weights', poolName, 'ramp'];
      checkWindow(input, input.pools[poolName]?.monitor, entry.ramp, path, report);
    }
  }
}

function checkWindow(
  input: LbFileInput,
  monitorName: string | undefined,
  ramp: RampInput,
  path: readonly PropertyKey[],
  report: Report,
): void {
  if (ramp.abort_if === 'unhealthy') return;
  const monitor = monitorName === undefined ? undefined : input.monitors[monitorName];
  if (monitor === undefined) {
    report('STEER_LB_SCHEMA', [...path, 'abort_if'], 'error_rate_above counts probe failures: the pool needs a monitor');
    return;
  }
  if (ramp.abort_if.window < monitor.interval) {
    report(
      'STEER_LB_SCHEMA',
      [...path, 'abort_if', 'window'],
      `window (${ramp.abort_if.window}s) is shorter than the interval of monitor "${monitorName}" (${monitor.interval}s): it would hold no probe`,
    );
  }
}
