import path from 'node:path';
import { GeoIpService } from '../geo/service.js';
import { openAsnDatabase } from '../geo/asn-database.js';
import { loadConfigDir } from '../config/config-loader.js';
import { silentLogger } from '../server/logger.js';
import { describeKeys } from '../dnssec/describe.js';
import type { CliOptions } from './options.js';
import { resolveGeoIpOption } from './resolve-geoip.js';

/** Validates every zone and load-balancer file (and the GeoIP database); prints file:line errors. */
export async function runCheck(options: CliOptions): Promise<number> {
  const dir = path.resolve(options.zones);
  const outcome = loadConfigDir(dir, new Map(), true, options.keys === undefined ? null : path.resolve(options.keys));
  let failed = outcome.errors.length;
  for (const err of outcome.errors) process.stderr.write(`${err.describe()}\n`);
  for (const w of outcome.warnings) process.stderr.write(`warning: ${w.describe()}\n`);
  const geoFile = resolveGeoIpOption(options.geoip);
  if (geoFile) {
    try {
      const geo = await GeoIpService.open(geoFile, silentLogger());
      process.stdout.write(`geoip: ${geoFile} (${geo.current().databaseType}, ${geo.current().kind})\n`);
      geo.close();
    } catch (err) {
      failed++;
      process.stderr.write(`${geoFile}: ${(err as Error).message}\n`);
    }
  }
  if (options.asnDb !== undefined) {
    try {
      const asn = await openAsnDatabase(options.asnDb);
      process.stdout.write(`asn-db: ${options.asnDb} (${asn.databaseType})\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`${options.asnDb}: ${(err as Error).message}\n`);
    }
  }
  for (const o of outcome.origins.values()) {
    const lbs = o.lb ? o.lb.loadBalancers.size : 0;
    const targets = o.lb ? o.lb.probeTargets.length : 0;
    process.stdout.write(
      `zone ${o.origin}: serial ${o.zone.serial}, ${o.zone.recordCount} records, ${lbs} load balancer(s), ${targets} monitored target(s)\n`,
    );
    if (o.signing) process.stdout.write(`zone ${o.origin}: signed, ${describeKeys(o.signing)}\n`);
  }
  if (failed > 0) {
    process.stderr.write(`check failed: ${failed} error(s)\n`);
    return 1;
  }
  process.stdout.write(`ok: ${outcome.origins.size} zone(s)\n`);
  return 0;
}
