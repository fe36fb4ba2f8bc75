import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SteerError } from '../errors.js';
import { parseTokens } from '../http/tokens.js';
import { isLoopbackHost, parseHttpAddress, type HttpAddress } from '../http/auth.js';
import { clusterView, workerReport } from '../http/cluster-view.js';
import { SteerMetrics } from '../http/metrics.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import { startClusterPrimary, type ClusterPrimary } from '../server/cluster/primary.js';
import { startClusterWorker } from '../server/cluster/worker.js';
import { formatHostPort } from '../transport/listen-address.js';
import type { Logger } from '../server/logger.js';
import { Fleet } from '../fleet/fleet.js';
import { type FleetCliOptions, readFleetTls } from './fleet-options.js';
import { createLiveLogger } from './live-logger.js';
import { packageVersion } from './version.js';
import type { QueryObserver } from '../query/observer.js';
import { combineObservers, QueryLog } from '../query/query-log.js';
import { QueryRecorder } from '../query/query-recorder.js';
import { RotatingFile } from '../query/rotating-file.js';
import { RecentBatcher } from '../replay/recent-batcher.js';
import { RecentQueries } from '../replay/recent-queries.js';
import { WhatifApi } from '../http/whatif-api.js';
import { StartupError, startServer, type RunningServer, type ServerOptions } from '../server/server.js';
import type { CliOptions } from './options.js';
import { resolveGeoIpOption } from './resolve-geoip.js';
import { reloadSettings, type SettingsSource } from './settings-reload.js';

/**
 * The latency histogram times one query in 16: timing every one added ~15 % to a ~1 µs static
 * answer (two clock reads and a histogram update); one in 16 costs ~1 % and still gives
 * thousands of samples a second under load.
 */
const LATENCY_SAMPLE_EVERY = 16;

/**
 * What every serving process starts from: the one process, a cluster's primary, and — the
 * primary forwards it whole — each of its workers. Every serve option belongs here.
 */
function serverOptions(options: CliOptions, logger: Logger, observer: QueryObserver | null, fleet: Fleet | null = null): ServerOptions {
  return {
    // Only when set: the cluster primary forwards these options whole to its workers, as JSON.
    ...(options.probeSource !== undefined ? { probeSource: options.probeSource } : {}),
    // A fleet node serves the fleet's verdicts; its own table holds only what it probes.
    // Its overrides are the fleet's, in etcd.
    ...(fleet !== null ? { probeScope: fleet.probeScope, externalHealth: true, sharedOverrides: fleet.sharedOverrides } : {}),
    zonesDir: path.resolve(options.zones),
    keysDir: options.keys === undefined ? null : path.resolve(options.keys),
    signatureCacheSize: options.signatureCache,
    packetCacheSize: options.packetCache,
    listen: options.listen,
    geoip: resolveGeoIpOption(options.geoip),
    asnDb: options.asnDb === undefined ? null : path.resolve(options.asnDb),
    logger,
    observer,
    timeEvery: LATENCY_SAMPLE_EVERY,
    rrl: options.rrl,
    tcp: options.tcp,
    identity: { identity: options.identity, version: options.versionString },
    cookieSecrets: options.cookies ? cookieSecrets(options, logger) : null,
    transfer: options.transfer,
    udpIo: options.udpIo,
    udpSendBuffer: options.udpSendBuffer,
    stateDir: options.stateDir === null ? null : path.resolve(options.stateDir),
    auditLog: options.auditLog === null ? null : path.resolve(options.auditLog),
  };
}

/**
 * The cookie secrets of --cookie-secret-file, or one made for this run (once, in the process
 * that forwards its options to the workers, so that every worker accepts the others' cookies).
 */
function cookieSecrets(options: CliOptions, logger: Logger): readonly string[] {
  if (options.cookieSecrets !== null) return options.cookieSecrets;
  logger.info(
    'DNS cookies: no cookie secret file, a random secret was generated for this run (clients renew their cookie after a restart; set cookie_secret_file to keep it, and share it between the servers of a zone)',
  );
  return [randomBytes(16).toString('hex')];
}

/** SIGHUP: new transfer settings and TSIG keys (a broken key file keeps the running ones). */
function applyTransfer(running: RunningServer | null, next: CliOptions): void {
  if (running?.transfers && next.transfer !== null) running.transfers.update(next.transfer);
}

/**
 * A server that comes up after a SIGHUP changed live settings (it was started with the command
 * line's, and the signal found no server to give them to) gets them now: nothing a SIGHUP
 * applied is lost to startup.
 */
function catchUpLiveSettings(server: RunningServer, started: CliOptions, current: CliOptions, logger: Logger): void {
  if (current !== started) applyLiveSettings(server, current, logger);
}

/** The live settings of `next` that live in the server (cookie secrets, transfer settings). */
function applyLiveSettings(server: RunningServer, next: CliOptions, logger: Logger): void {
  rotateCookieSecrets(server, next, logger);
  applyTransfer(server, next);
}

/** Refused configuration: every error with file:line, then one summary line. */
function reportStartupError(err: StartupError): void {
  for (const e of err.errors) process.stderr.write(`${e.describe()}\n`);
  process.stderr.write(`steerdns: refusing to start: ${err.errors.length} configuration error(s)\n`);
}

/** No config file: SIGHUP reloads the zones only. */
const NO_CONFIG_FILE: SettingsSource = {
  configFile: null,
  reread: () => {
    throw new Error('no config file');
  },
};

/** Runs until SIGTERM/SIGINT. Returns the exit code for a failed start. `settings` re-reads --config on SIGHUP. */
export async function runServe(options: CliOptions, settings: SettingsSource = NO_CONFIG_FILE): Promise<number> {
  if (cluster.isWorker) return runWorker(options, settings);
  const live = createLiveLogger(options.logLevel);
  const logger = live.logger;
  let current = options;
  // Declared before the SIGHUP handling that reads it: a cluster primary (which never sets it) uses that too.
  let running: RunningServer | null = null;
  /** SIGHUP: the config file first (its live settings), then the zones. */
  const reloadConfigFile = (): void => {
    current = reloadSettings(current, settings, logger, (next) => {
      live.setLevel(next.logLevel);
      rotateCookieSecrets(running, next, logger);
      applyTransfer(running ?? primaryControl, next);
    });
  };
  // The server whose transfer settings a SIGHUP updates when this process is a cluster primary.
  let primaryControl: RunningServer | null = null;

  // Everything about the HTTP listener is checked before the DNS server starts.
  let httpAddress: HttpAddress | null;
  const token = options.httpToken ?? process.env.STEERDNS_HTTP_TOKEN ?? null;
  try {
    httpAddress = parseHttpAddress(options.http);
    if (httpAddress !== null && token !== null && token !== '') parseTokens(token);
    if (httpAddress !== null && (token === null || token === '') && !isLoopbackHost(httpAddress.host)) {
      throw new SteerError('STEER_HTTP_TOKEN_REQUIRED', [formatHostPort(httpAddress.host, httpAddress.port)]);
    }
  } catch (err) {
    if (!(err instanceof SteerError)) throw err;
    process.stderr.write(`steerdns: ${err.describe()}\n`);
    return 2;
  }

  let fleet: Fleet | null = null;
  if (options.fleet !== null) {
    try {
      fleet = startFleet(options, options.fleet, logger);
    } catch (err) {
      if (!(err instanceof SteerError)) throw err;
      process.stderr.write(`steerdns: ${err.describe()}\n`);
      return 2;
    }
  }
  if (options.workers > 1) {
    const setControl = (control: RunningServer): void => {
      primaryControl = control;
      catchUpLiveSettings(control, options, current, logger);
    };
    return runPrimary(options, logger, httpAddress, token, reloadConfigFile, setControl, fleet);
  }

  // Observers exist only when asked for: with --http off and no --query-log nothing is installed.
  const metrics = httpAddress !== null ? new SteerMetrics({ latencySampleEvery: LATENCY_SAMPLE_EVERY }) : null;
  const queryLog = options.queryLog
    ? new QueryLog(live.pin(logger.child({ component: 'query' }, { level: 'info' })), { sampleEvery: options.queryLogSample })
    : null;
  // Recent traffic for the what-if endpoints and the status page (one query in 16 is kept).
  const recent = httpAddress !== null ? new RecentQueries() : null;
  let recorder: QueryRecorder | null;
  try {
    recorder = queryRecorder(options, logger, null);
  } catch (err) {
    if (!(err instanceof SteerError)) throw err;
    process.stderr.write(`steerdns: ${err.describe()}\n`);
    return 2;
  }

  // Signals are handled from the very start: the server logs "listening" before the HTTP
  // listener is up, and a SIGHUP or SIGTERM in that window must not meet the default action
  // (which kills the process mid-query).
  let http: RunningHttpServer | null = null;
  let reloadAsked = false;
  let startup: Promise<number> = Promise.resolve(0);
  process.on('SIGHUP', () => {
    reloadConfigFile();
    if (running === null) {
      reloadAsked = true; // once the server is up
      return;
    }
    logger.info('SIGHUP: reloading every zone');
    void running.reload(true);
  });
  // Stop accepting, let in-flight TCP replies flush, then exit.
  const stop = onStopSignals(
    logger,
    () => startup,
    () => [http?.close(), running?.close(), fleet?.close()],
  );
  exitOnUncaught(logger);

  startup = (async (): Promise<number> => {
    let server: RunningServer;
    try {
      server = await startServer(serverOptions(options, logger, combineObservers(metrics, queryLog, recorder, recent), fleet));
    } catch (err) {
      if (err instanceof StartupError) {
        reportStartupError(err);
        return 1;
      }
      throw err;
    }
    observe(server, metrics);
    fleet?.attach(server);
    if (fleet && metrics) metrics.attachFleet(fleet);
    if (httpAddress !== null && !stop.stopping) {
      try {
        http = await startHttpServer({
          server,
          listen: options.http,
          token,
          logger: logger.child({ component: 'http' }),
          metrics,
          fleet,
          whatif: recent ? new WhatifApi(server.state, recent) : null,
        });
      } catch (err) {
        await server.close();
        if (!(err instanceof SteerError)) throw err;
        process.stderr.write(`steerdns: ${err.describe()}\n`);
        return 1;
      }
    }
    running = server;
    catchUpLiveSettings(server, options, current, logger);
    if (reloadAsked && !stop.stopping) {
      logger.info('SIGHUP (during startup): reloading every zone');
      void server.reload(true);
    }
    return 0;
  })();
  return startup;
}

/** SIGHUP with a changed cookie secret file: the new secrets answer from the next query on. */
function rotateCookieSecrets(server: RunningServer | null, next: CliOptions, logger: Logger): void {
  if (server === null || next.cookieSecrets === null) return;
  if (!server.setCookieSecrets(next.cookieSecrets)) logger.warn('cookie secret file changed, but cookies are off');
}

/** Fleet mode: the store client starts talking once the server runs (Fleet.attach). */
function startFleet(options: CliOptions, f: FleetCliOptions, logger: Logger): Fleet {
  return new Fleet({
    hosts: f.hosts,
    prefix: f.prefix,
    node: f.node,
    site: f.site,
    location: f.location,
    probersPerSite: f.probersPerSite,
    leaseTtl: f.leaseTtl,
    graceMs: f.graceMs,
    tls: readFleetTls(f.tls),
    auth: f.auth,
    version: packageVersion(),
    listen: options.listen,
    logger,
  });
}

/** Metrics read the state of `running`; queries reach metrics and the query log as its observer. */
function observe(running: RunningServer, metrics: SteerMetrics | null): void {
  metrics?.attach(running);
}

/**
 * --query-log-file: the replayable record, flushed on exit. A cluster worker writes FILE.wN of
 * its own: processes appending to one file could not rotate it safely.
 */
function queryRecorder(options: CliOptions, logger: Logger, worker: number | null): QueryRecorder | null {
  if (options.queryLogFile === null) return null;
  const file = worker === null ? path.resolve(options.queryLogFile) : `${path.resolve(options.queryLogFile)}.w${worker}`;
  let out: RotatingFile;
  try {
    out = new RotatingFile(file, {
      maxBytes: options.queryLogMaxBytes,
      keep: options.queryLogKeep,
      onError: (err) => logger.error({ err, file }, 'query log file: write failed'),
    });
  } catch (err) {
    throw new SteerError('STEER_QUERY_LOG_FILE', [file, (err as Error).message]);
  }
  process.once('exit', () => out.close());
  logger.info({ file, sample: options.queryLogSample, truncate: options.queryLogTruncate }, 'query record file open');
  return new QueryRecorder(out, { sampleEvery: options.queryLogSample, truncate: options.queryLogTruncate });
}

/**
 * SIGTERM and SIGINT: whatever the startup opened is closed once it has settled (`closers`,
 * called then), and the process exits — 0, or 1 when a close failed. Installed before startup,
 * so a signal in any window meets this and not the default action (which kills mid-query).
 */
function onStopSignals(
  logger: Logger,
  startup: () => Promise<number>,
  closers: () => readonly (Promise<unknown> | undefined)[],
): { readonly stopping: boolean } {
  const state = { stopping: false };
  const stop = (signal: string): void => {
    if (state.stopping) return;
    state.stopping = true;
    logger.info({ signal }, 'shutting down');
    void startup()
      .catch(() => 1)
      .then(() => Promise.all(closers()))
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return state;
}

function exitOnUncaught(logger: Logger): void {
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled rejection');
  });
}

/**
 * --workers 2 or more: this process loads, watches and probes once for the host and holds the
 * HTTP listener; the workers answer (src/server/cluster/). Runs until SIGTERM/SIGINT.
 */
async function runPrimary(
  options: CliOptions,
  logger: Logger,
  httpAddress: HttpAddress | null,
  token: string | null,
  reloadConfigFile: () => void,
  setControl: (control: RunningServer) => void,
  fleet: Fleet | null,
): Promise<number> {
  // The primary answers no query: its metrics hold configuration, health and reloads, and
  // /metrics adds the workers' query counters to them when scraped.
  const metrics = httpAddress !== null ? new SteerMetrics({ latencySampleEvery: LATENCY_SAMPLE_EVERY }) : null;
  // Recent traffic for the what-if endpoints: the workers sample it and send it here in batches.
  const recent = httpAddress !== null ? new RecentQueries() : null;
  const warnedDrops = new Map<number, number>();
  let primary: ClusterPrimary | null = null;
  let http: RunningHttpServer | null = null;
  let up = false;
  let reloadAsked = false;

  // Signals are handled from the very start: the first worker logs "listening" before its
  // siblings are up, and a SIGTERM or SIGHUP must not find the primary without handlers then
  // (their default action kills it, and every worker with it, mid-query).
  let startup: Promise<number> = Promise.resolve(0);
  // Workers stop accepting, answer what is in flight and exit; then the primary goes.
  const stop = onStopSignals(
    logger,
    () => startup,
    () => [http?.close(), primary?.close(), fleet?.close()],
  );
  // Workers a SIGHUP could not reach yet: they may have read the file before it changed, so they
  // get the signal the moment they say hello (a second read of an unchanged file changes nothing).
  const owedSighup = new Set<number>();
  process.on('SIGHUP', () => {
    reloadConfigFile();
    // Each worker re-reads the file for its own live settings (runWorker). One still loading
    // its code has no handler yet (the signal would kill it): it gets one when it says hello.
    for (const w of primary?.workers() ?? []) {
      if (w.running && w.pid > 0) process.kill(w.pid, 'SIGHUP');
      else owedSighup.add(w.id);
    }
    if (!up || primary === null) {
      reloadAsked = true; // once every worker listens
      return;
    }
    logger.info('SIGHUP: reloading every zone in every worker');
    void primary.reload(true);
  });
  exitOnUncaught(logger);

  startup = (async (): Promise<number> => {
    try {
      // A fleet node: the primary is the member (one store session, its probing share, the
      // verdicts, the shared overrides) and its workers serve the verdicts as it serves them.
      // Overrides, fleet or not, are the primary's (its API, --state-dir, --audit-log, expiry);
      // every worker serves each list the primary serves.
      primary = await startClusterPrimary(options.workers, serverOptions(options, logger, null, fleet), {
        ...(fleet === null
          ? {}
          : {
              healthSource: (control: RunningServer) => {
                fleet.attach(control);
                return fleet.served;
              },
            }),
        hello: (w) => {
          if (owedSighup.delete(w.id) && w.pid > 0) process.kill(w.pid, 'SIGHUP');
        },
        recent:
          recent === null
            ? undefined
            : (records, dropped, worker) => {
                recent.add(records);
                // A worker drops its oldest records when this process reads too slowly; said
                // once per thousand lost so the log does not add to the load.
                if (dropped >= (warnedDrops.get(worker) ?? 0) + 1000) {
                  warnedDrops.set(worker, dropped);
                  logger.warn({ worker, dropped }, 'cluster: a worker dropped recent-query records (the primary read them too slowly)');
                }
              },
      });
    } catch (err) {
      if (err instanceof StartupError) {
        reportStartupError(err);
        return 1;
      }
      throw err;
    }
    setControl(primary.control);
    metrics?.attach(primary.control);
    if (fleet && metrics) metrics.attachFleet(fleet);
    try {
      const endpoints = await primary.listening;
      logger.info(
        { workers: options.workers, endpoints },
        `${options.workers} workers answering on ${endpoints.map((e) => formatHostPort(e.address, e.port)).join(', ')}`,
      );
    } catch (err) {
      if (stop.stopping) return 0;
      // A worker could not start (it said why on stderr, e.g. a port in use): stop the others.
      process.stderr.write(`steerdns: ${(err as Error).message}; stopping\n`);
      await primary.close();
      return 1;
    }
    if (stop.stopping) return 0;
    if (httpAddress !== null) {
      try {
        http = await startHttpServer({
          server: primary.control,
          listen: options.http,
          token,
          logger: logger.child({ component: 'http' }),
          metrics,
          fleet,
          cluster: clusterView(primary, metrics),
          whatif: recent ? new WhatifApi(primary.control.state, recent) : null,
        });
      } catch (err) {
        await primary.close();
        if (!(err instanceof SteerError)) throw err;
        process.stderr.write(`steerdns: ${err.describe()}\n`);
        return 1;
      }
    }
    up = true;
    if (reloadAsked && !stop.stopping) {
      logger.info('SIGHUP (during startup): reloading every zone in every worker');
      void primary.reload(true);
    }
    return 0;
  })();
  return startup;
}

/** A cluster worker: answers queries with the options its primary forwarded; stops on SIGTERM. */
async function runWorker(options: CliOptions, settings: SettingsSource): Promise<number> {
  // The same command line as the primary's, which already checked it.
  const id = cluster.worker?.id ?? 0;
  const live = createLiveLogger(options.logLevel);
  const logger = live.logger.child({ worker: id, pid: process.pid });
  let httpOn = false;
  try {
    httpOn = parseHttpAddress(options.http) !== null;
  } catch {
    // the primary reported it
  }
  const metrics = httpOn ? new SteerMetrics({ latencySampleEvery: LATENCY_SAMPLE_EVERY, scope: 'queries' }) : null;
  // The primary's what-if memory (only with its HTTP listener): sampled here, kept there.
  const recent = httpOn ? new RecentBatcher() : null;
  const queryLog = options.queryLog
    ? new QueryLog(live.pin(logger.child({ component: 'query' }, { level: 'info' })), { sampleEvery: options.queryLogSample })
    : null;
  let recorder: QueryRecorder | null = null;
  try {
    recorder = queryRecorder(options, logger, id);
  } catch (err) {
    process.stderr.write(`steerdns: ${err instanceof SteerError ? err.describe() : (err as Error).message}\n`);
    process.exit(1);
  }
  // Signals a terminal sends to the whole process group are the primary's to act on: it
  // reloads every worker's zones on SIGHUP and stops them on SIGINT. A SIGHUP (from the primary
  // or the terminal) re-reads the config file here for this process's live settings only.
  let current = options;
  let runningWorker: RunningServer | null = null;
  process.on('SIGHUP', () => {
    current = reloadSettings(current, settings, logger, (next) => {
      live.setLevel(next.logLevel);
      rotateCookieSecrets(runningWorker, next, logger);
      applyTransfer(runningWorker, next);
    });
  });
  process.on('SIGINT', () => undefined);
  let running: RunningServer;
  try {
    running = await startClusterWorker({
      logger,
      observer: combineObservers(metrics, queryLog, recorder, recent),
      recent,
      started: (r) => {
        runningWorker = r;
        // The server runs on the primary's options as they were when it started this worker; the
        // live settings this worker read itself (at start, and at any SIGHUP since) are as new or
        // newer: they apply from the first query.
        applyLiveSettings(r, current, logger);
        observe(r, metrics);
      },
      collect: metrics ? () => workerReport(metrics) : undefined,
    });
  } catch (err) {
    if (err instanceof StartupError) reportStartupError(err);
    else process.stderr.write(`steerdns: ${err instanceof SteerError ? err.describe() : (err as Error).message}\n`);
    process.exit(1);
  }
  process.once('SIGTERM', () => {
    logger.debug('worker shutting down');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  exitOnUncaught(logger);
  return 0;
}
