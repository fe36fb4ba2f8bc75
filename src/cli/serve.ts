import path from 'node:path';
import { createLogger } from '../server/logger.js';
import { StartupError, startServer } from '../server/server.js';
import type { CliOptions } from './main.js';
import { resolveGeoIpOption } from './resolve-geoip.js';

/** Runs until SIGTERM/SIGINT. Returns the exit code for a failed start. */
export async function runServe(options: CliOptions): Promise<number> {
  const logger = createLogger(options.logLevel);
  let server;
  try {
    server = await startServer({
      zonesDir: path.resolve(options.zones),
      listen: options.listen,
      geoip: resolveGeoIpOption(options.geoip),
      logger,
    });
  } catch (err) {
    if (err instanceof StartupError) {
      for (const e of err.errors) process.stderr.write(`${e.describe()}\n`);
      process.stderr.write(`steerdns: refusing to start: ${err.errors.length} configuration error(s)\n`);
      return 1;
    }
    throw err;
  }
  const running = server;
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading every zone');
    void running.reload(true);
  });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    // Stop accepting, let in-flight TCP replies flush, then exit.
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled rejection');
  });
  return 0;
}
