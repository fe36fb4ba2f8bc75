// Cross-checks for health sources: calculated monitors name existing monitors and form no
// cycle, probe.host goes with http/https monitors, and a pool's monitor type fits its keys.
import type { SteerErrorCode } from '../errors.js';
import type { LbFileInput } from './schema.js';

type Report = (code: SteerErrorCode, path: readonly PropertyKey[], message: string) => void;

export function checkHealthSources(input: LbFileInput, report: Report): void {
  const names = Object.keys(input.monitors);
  for (const [name, m] of Object.entries(input.monitors)) {
    (m.children ?? []).forEach((child, i) => {
      if (!input.monitors[child]) {
        report('STEER_LB_REFERENCE', ['monitors', name, 'children', i], `no monitor named "${child}" (defined: ${names.join(', ')})`);
      }
    });
  }
  for (const cycle of calculatedCycles(input)) {
    const [first, second] = cycle;
    const at = input.monitors[first!]?.children?.indexOf(second!) ?? 0;
    report('STEER_LB_REFERENCE', ['monitors', first!, 'children', at], `calculated monitors form a cycle: ${cycle.join(' → ')}`);
  }
  for (const [poolName, pool] of Object.entries(input.pools)) {
    const type = pool.monitor === undefined ? undefined : input.monitors[pool.monitor]?.type;
    const httpLike = type === 'http' || type === 'https' || type === 'calculated';
    const hostAt: (readonly PropertyKey[])[] = [];
    if (pool.probe?.host !== undefined) hostAt.push(['pools', poolName, 'probe', 'host']);
    pool.origins.forEach((o, i) => {
      if (o.probe?.host !== undefined) hostAt.push(['pools', poolName, 'origins', i, 'probe', 'host']);
    });
    for (const path of hostAt) {
      if (!httpLike)
        report('STEER_LB_SCHEMA', path, `probe.host applies to http and https monitors, but this pool's monitor is ${type ?? 'not set'}`);
    }
  }
}

/** Each cycle among calculated monitors once, as the names along it (first repeated at the end). */
function calculatedCycles(input: LbFileInput): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (name: string): void => {
    const at = onPath.indexOf(name);
    if (at >= 0) {
      cycles.push([...onPath.slice(at), name]);
      return;
    }
    if (done.has(name)) return;
    onPath.push(name);
    for (const child of input.monitors[name]?.children ?? []) visit(child);
    onPath.pop();
    done.add(name);
  };
  for (const name of Object.keys(input.monitors)) visit(name);
  return cycles;
}
