// steerdns whatif --zones CURRENT --candidate NEW --log FILE...: what the candidate would change
// for the logged traffic. Exit 0, or 3 when a --fail-if-* gate trips; 1 when a configuration
// does not validate (its errors printed as `check` prints them); 2 for a usage error.
import { SteerError } from '../errors.js';
import { formatWhatif, whatifVerdict } from '../replay/format-whatif.js';
import { whatifFromFiles } from '../replay/whatif.js';
import type { CliOptions } from './options.js';
import { EXIT_GATE, loadZonesChecked, openReplayGeo, replayHealthOrReport } from './replay-inputs.js';

export async function runWhatif(options: CliOptions): Promise<number> {
  const r = options.replay;
  if (r.candidate === undefined || r.logs.length === 0) {
    process.stderr.write('usage: steerdns whatif --zones CURRENT --candidate NEW --log FILE... [--health all-up|file:SNAPSHOT|live:URL]\n');
    return 2;
  }
  const current = loadZonesChecked(options.zones);
  const candidate = loadZonesChecked(r.candidate);
  if (current === null || candidate === null) return 1;
  const health = await replayHealthOrReport(options);
  if (health === null) return 2;
  const geo = await openReplayGeo(options);
  let result: Awaited<ReturnType<typeof whatifFromFiles>>;
  try {
    result = await whatifFromFiles({ current, candidate, health: health.snapshot, geo }, r.logs, r.strict);
  } catch (err) {
    if (!(err instanceof SteerError)) throw err;
    process.stderr.write(`steerdns whatif: ${err.describe()}\n`);
    return 1;
  }
  const verdict = whatifVerdict(result, r.failIfShift, r.failIfNodata);
  if (r.format === 'json') {
    const doc = { current: options.zones, candidate: r.candidate, health: health.description, verdict, ...result };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(
      formatWhatif(
        r.format,
        { current: options.zones, candidate: r.candidate, health: health.description, logs: r.logs },
        result,
        r.top,
        verdict,
      ),
    );
  }
  return verdict.failed ? EXIT_GATE : 0;
}
