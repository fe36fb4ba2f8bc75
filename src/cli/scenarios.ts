// steerdns scenarios --zones DIR --log FILE... [--pairs] [--fail-on-overload]: the failure
// matrix for the logged traffic. Exit 0, or 3 with --fail-on-overload when a scenario is flagged;
// 1 when the configuration does not validate; 2 for a usage error.
import { SteerError } from '../errors.js';
import { formatScenarios } from '../replay/format-scenarios.js';
import { scenariosFromFiles, type ScenariosResult } from '../replay/scenarios.js';
import type { CliOptions } from './options.js';
import { EXIT_GATE, loadZonesChecked, openReplayGeo, replayHealthOrReport } from './replay-inputs.js';

export async function runScenarios(options: CliOptions): Promise<number> {
  const r = options.replay;
  if (r.logs.length === 0) {
    process.stderr.write('usage: steerdns scenarios --zones DIR --log FILE... [--pairs] [--fail-on-overload]\n');
    return 2;
  }
  const origins = loadZonesChecked(options.zones);
  if (origins === null) return 1;
  const health = await replayHealthOrReport(options);
  if (health === null) return 2;
  const geo = await openReplayGeo(options);
  let result: ScenariosResult;
  try {
    result = await scenariosFromFiles({ origins, health: health.snapshot, geo, pairs: r.pairs }, r.logs, r.strict);
  } catch (err) {
    if (!(err instanceof SteerError)) throw err;
    process.stderr.write(`steerdns scenarios: ${err.describe()}\n`);
    return 1;
  }
  if (r.format === 'json') {
    process.stdout.write(`${JSON.stringify({ zones: options.zones, health: health.description, ...result }, null, 2)}\n`);
  } else {
    process.stdout.write(formatScenarios(r.format, options.zones, health.description, r.logs, result, r.top));
  }
  return r.failOnOverload && result.flagged > 0 ? EXIT_GATE : 0;
}
