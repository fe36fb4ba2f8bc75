import path from 'node:path';
import { GeoIpService } from '../geo/service.js';
import { openAsnDatabase } from '../geo/asn-database.js';
import { formatTrace } from '../lb/steer.js';
import { HealthTable } from '../health/table.js';
import { loadConfigDir } from '../config/config-loader.js';
import { explain, ExplainError } from '../query/explain.js';
import { silentLogger } from '../server/logger.js';
import { StateHolder } from '../config/state.js';
import type { CliOptions } from './options.js';
import { resolveGeoIpOption } from './resolve-geoip.js';

/**
 * steerdns explain NAME TYPE --client IP[/PREFIX]: the answer and the decision trace, from the
 * files on disk. No probes run here, so every origin counts as healthy (as it does in a server
 * before its first probe round); the HTTP API's explain uses live health.
 */
export async function runExplain(options: CliOptions): Promise<number> {
  const [name, type = 'A'] = options.positionals;
  if (!name || !options.client) {
    process.stderr.write('usage: steerdns explain [--zones DIR] [--geoip FILE] [--asn-db FILE] NAME TYPE --client IP[/PREFIX]\n');
    return 2;
  }
  const outcome = loadConfigDir(path.resolve(options.zones), new Map(), true);
  for (const err of outcome.errors) process.stderr.write(`${err.describe()}\n`);
  if (outcome.errors.length > 0) return 1;
  const geoFile = resolveGeoIpOption(options.geoip);
  const geo = geoFile ? await GeoIpService.open(geoFile, silentLogger(), { fsWatch: false }) : null;
  const asn = options.asnDb === undefined ? null : await openAsnDatabase(options.asnDb);
  const state = new StateHolder(new HealthTable().snapshot(), geo?.current() ?? null, asn);
  state.setOrigins(outcome.origins);
  geo?.close();
  try {
    const r = explain(state.current, { name, type, client: options.client });
    const out = [
      `query     ${r.query.name}. ${r.query.type} from ${r.query.ecs ? `ECS ${r.query.ecs}` : `resolver ${r.query.client}`}`,
      `zone      ${r.zone ?? '(none: REFUSED)'}`,
      formatTrace({ steps: [...r.steps] }),
      r.steered?.rule ? `rule      ${r.steered.rule} (load balancer ${r.steered.lb})` : '',
      `result    ${r.outcome} → ${r.rcode}${r.aa ? ', aa' : ''}${r.ecsScope !== null ? `, ECS scope /${r.ecsScope}` : ''}`,
      ...r.answer.map((l) => `answer    ${l}`),
      ...r.authority.map((l) => `authority ${l}`),
      ...r.additional.map((l) => `additional ${l}`),
      'health    no probes run by explain: every origin counts as healthy',
    ].filter((l) => l !== '');
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ExplainError) {
      process.stderr.write(`steerdns explain: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
