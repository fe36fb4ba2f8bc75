// Composition root of a serving process: configuration, health, GeoIP, the query pipeline and
// the transports, wired together. Each part is usable alone; this file only connects them.
import os from 'node:os';
import { EventEmitter } from 'node:events';
import { SteerError, steerError } from '../errors.js';
import { GeoIpService } from '../geo/service.js';
import { asnDatabaseFromBuffer } from '../geo/asn-database.js';
import type { AsnDatabase } from '../geo/types.js';
import { HealthTable } from '../health/table.js';
import { Prober } from '../health/prober.js';
import { ExternalHealth } from '../health/external.js';
import { CalculatedHealth } from '../health/calculated.js';
import { Notifier } from '../notify/notifier.js';
import { RampController } from '../lb/ramps.js';
import { externalBindings } from '../lb/health-bindings.js';
import type { HealthSnapshot, ProbeTarget } from '../health/types.js';
import { configFingerprint, discardPrepared, loadConfigDir, prepareReload, type LoadOutcome } from '../config/config-loader.js';
import { formatHostPort, parseListenAddress, type ListenAddress } from '../transport/listen-address.js';
import type { Logger } from './logger.js';
import type { QueryObserver } from '../query/observer.js';
import { observedAnswerer, type Answerer } from '../query/answerer.js';
import { CachedPipeline } from '../query/cached-pipeline.js';
import type { QueryPipeline } from '../query/pipeline.js';
import { Reloader } from '../config/reloader.js';
import { StateHolder, type OriginConfig } from '../config/state.js';
import { OverrideStore, type SharedOverrides } from '../overrides/store.js';
import type { Override } from '../overrides/types.js';
import { listenTcp, type TcpListener, type TcpOptions, type TcpStats } from '../transport/tcp.js';
import { listenUdp, UDP_SOCKET_BUFFER, type UdpListener } from '../transport/udp.js';
import { listenUdpBatch } from '../transport/udp-batch.js';
import { addUdpIoStats, chooseUdpIo, emptyUdpIoStats, type UdpIoChoice, type UdpIoMode, type UdpIoStats } from '../transport/udp-io.js';
import { ResponseRateLimiter, resolveRrlOptions, type RrlOptions } from '../transport/rrl.js';
import type { ServerIdentity } from '../query/chaos.js';
import { type CookieSecrets, ServerCookies } from '../query/cookies/server-cookies.js';

/** The cookie checker of hex secrets (current first, then the previous one). */
function serverCookies(secrets: readonly string[]): ServerCookies {
  return new ServerCookies(cookieSecrets(secrets));
}

function cookieSecrets(secrets: readonly string[]): CookieSecrets {
  const bytes = secrets.map((s) => Uint8Array.from(Buffer.from(s, 'hex')));
  return { current: bytes[0]!, previous: bytes[1] ?? null };
}
import { TransferFront } from '../xfr/front.js';
import { isTransferQuestion } from '../xfr/request.js';
import { TransferService } from '../xfr/service.js';
import type { TransferSettings } from '../xfr/settings.js';
import type { TransferStreamer } from '../transport/tcp.js';

export interface ServerOptions {
  readonly zonesDir: string;
  /** DNSSEC keys, one directory per zone (<keysDir>/<zone>/); null or absent: nothing is signed. */
  readonly keysDir?: string | null;
  /** Most RRsets whose signatures are kept (default 100000). */
  readonly signatureCacheSize?: number;
  /** Most UDP replies the packet cache keeps (default 50000; 0: none). */
  readonly packetCacheSize?: number;
  readonly listen: readonly string[];
  /** GeoIP2/GeoLite2 mmdb file; null serves without geolocation. */
  readonly geoip: string | null;
  /** GeoLite2-ASN mmdb file (--asn-db); null or absent serves without AS numbers. */
  readonly asnDb?: string | null;
  readonly logger: Logger;
  /** Watch zones/ for changes (default true). */
  readonly watch?: boolean;
  readonly reloadDebounceMs?: number;
  readonly tcp?: Partial<TcpOptions>;
  /** UDP response rate limiting (rrl.ts); null, absent or rate 0: off. */
  readonly rrl?: Partial<RrlOptions> | null;
  readonly udpLimit?: number;
  /** Run health probes (default true). */
  readonly probe?: boolean;
  /**
   * Health comes from elsewhere through RunningServer.setHealth (a cluster worker mirrors its
   * primary's health table); the local table never feeds the serving state.
   */
  readonly externalHealth?: boolean;
  /** With externalHealth: the health to serve from the first query on. */
  readonly initialHealth?: HealthSnapshot;
  /** Sees every message the transports handle, with the client's address and sampled timing. */
  readonly observer?: QueryObserver | null;
  /** Time one query in this many for the observer (default 1: every query). */
  readonly timeEvery?: number;
  /** NSID and CHAOS answers (default: the host name, no version). */
  readonly identity?: ServerIdentity;
  /** DNS Cookies: the secrets as hex, current first (then the previous one); null or absent: off. */
  readonly cookieSecrets?: readonly string[] | null;
  /** Zone transfers to secondaries (the config file's `transfer:`); null or absent: none. */
  readonly transfer?: TransferSettings | null;
  /** Send NOTIFYs on new serials (default true; a cluster worker leaves it to its primary). */
  readonly sendNotify?: boolean;
  /** UDP I/O path (udp-io.ts): auto (default) batches through the native addon when it loaded. */
  readonly udpIo?: UdpIoMode;
  /** SO_SNDBUF asked for on every UDP socket (default UDP_SOCKET_BUFFER, 8 MiB). */
  readonly udpSendBuffer?: number;
  /**
   * Batched path only: bind with SO_REUSEPORT so that every cluster worker owns a socket on the
   * shared port and the kernel spreads datagrams over them (set by the worker, never by a user).
   */
  readonly udpReusePort?: boolean;
  /** How often external health files are checked for changes (default 1000 ms). */
  readonly healthFileIntervalMs?: number;
  /** Probe only what this selects (a fleet node's share); absent: every target. */
  readonly probeScope?: ProbeScope | null;
  /** Local address probes are sent from (--probe-source). */
  readonly probeSource?: string;
  /** Where operator overrides are kept across restarts (overrides.json); null/absent: memory only. */
  readonly stateDir?: string | null;
  /** The overrides audit log; null/absent: audit.log under stateDir, else none. */
  readonly auditLog?: string | null;
  /** A fleet's overrides (in etcd): they replace this server's own (overrides.json is not used). */
  readonly sharedOverrides?: SharedOverrides | null;
  /**
   * Overrides come from elsewhere (a cluster worker mirrors its primary's): serve these from the
   * first query on, then whatever RunningServer.setOverrides gives. The server keeps none of its
   * own: no state file, no audit log, no expiry timers (the primary expires them).
   */
  readonly initialOverrides?: readonly Override[];
}

/** Which of the configured targets this process probes; it says when its choice changed. */
export interface ProbeScope {
  select(targets: readonly ProbeTarget[]): readonly ProbeTarget[];
  onChange(listener: () => void): void;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Events of a running server, for metrics and the status API. */
export interface ServerEvents {
  /** Every reload attempt after the first load (watcher or SIGHUP), with its outcome and whether every file was reparsed. */
  reload: [LoadOutcome, boolean];
  /** The overrides served changed (created, removed, expired, or a fleet's new set): the whole list. */
  overrides: [readonly Override[]];
}

export interface RunningServer {
  /** One per --listen address; UDP and TCP share the port. */
  readonly endpoints: readonly Endpoint[];
  readonly state: StateHolder;
  readonly health: HealthTable;
  readonly prober: Prober;
  /** Pushed health: the PUT /api/v1/health route and the watched health files. */
  readonly external: ExternalHealth;
  /** Webhook notifications of health transitions (stats for metrics and the status API). */
  readonly notifier: Notifier;
  /** Weight ramps in progress, done or aborted (status API and page). */
  readonly ramps: RampController;
  /** Operator overrides (drain, force-up, force-down): the /api/v1/overrides routes. */
  readonly overrides: OverrideStore;
  readonly geo: GeoIpService | null;
  readonly asn: GeoIpService<AsnDatabase> | null;
  readonly pipeline: QueryPipeline;
  /** The UDP response rate limiter (its stats() feed /metrics); null when RRL is off. */
  readonly rrl: ResponseRateLimiter | null;
  /** Zone transfers (AXFR/IXFR, TSIG, NOTIFY); null without transfer settings. */
  readonly transfers: TransferService | null;
  readonly events: EventEmitter<ServerEvents>;
  /** Reparse changed files (all files with force) and swap them in atomically. */
  reload(force?: boolean): Promise<LoadOutcome>;
  /**
   * The first half of a reload, for a cluster worker: load what changed (all with force) but
   * serve it only once commit() is called — one synchronous swap, like reload(). The
   * fingerprint says what was read (config-loader's configFingerprint).
   */
  stageReload(force: boolean): Promise<StagedReload>;
  /** configFingerprint of what is served now. */
  fingerprint(): string;
  /** Every target of the configuration served now (probed here or not). */
  probeTargets(): readonly ProbeTarget[];
  tcpConnections(): number;
  /** TCP counters summed over every listener (connections refused, evicted, timed out...). */
  tcpStats(): TcpStats;
  /** The I/O path of each UDP listener, in --listen order. */
  udpIo(): readonly ('batch' | 'dgram')[];
  /** Batched-UDP counters summed over the listeners on that path; null when none is. */
  udpStats(): UdpIoStats | null;
  /** Zones loaded and the first probe round done. */
  isReady(): boolean;
  /** Serve with this health from now on (with externalHealth). */
  setHealth(snapshot: HealthSnapshot): void;
  /** Serve with these overrides from now on (with initialOverrides: a cluster worker). */
  setOverrides(overrides: readonly Override[]): void;
  /** New cookie secrets (hex, current first): new cookies use the first, both are accepted. False when cookies are off. */
  setCookieSecrets(secrets: readonly string[]): boolean;
  close(): Promise<void>;
}

export interface StagedReload {
  readonly fingerprint: string;
  readonly outcome: LoadOutcome;
  commit(): void;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const logger = opts.logger;
  // Checked first: a bad setting must fail before anything is opened.
  const rrlOptions = resolveRrlOptions(opts.rrl);
  // A listening server picks its UDP path up front: --udp-io batch without the addon fails here.
  const udpIo = opts.listen.length > 0 ? chooseUdpIo(opts.udpIo ?? 'auto') : null;
  if (udpIo?.io === 'dgram' && opts.udpIo !== 'dgram') logger.warn(`${udpIo.why}; UDP uses node:dgram`);
  const health = new HealthTable();
  const events = new EventEmitter<ServerEvents>();
  const serveOverrides = (list: readonly Override[]): void => {
    state.setOverrides(list);
    events.emit('overrides', state.current.overrides);
  };
  // Mirrored overrides (a cluster worker): its own store stays empty and touches no file.
  const mirrored = opts.initialOverrides !== undefined;
  // Read first: a broken state file stops the start before anything listens.
  const overrides = new OverrideStore({
    stateDir: mirrored ? null : (opts.stateDir ?? null),
    auditLog: mirrored ? null : (opts.auditLog ?? null),
    node: opts.identity?.identity ?? os.hostname(),
    shared: mirrored ? null : (opts.sharedOverrides ?? null),
    onApplied: serveOverrides,
    onChange: (list, change, o, by) => {
      serveOverrides(list);
      // created: none → the action; removed / expired: the action → removed / expired.
      notifier.emit({
        kind: 'override',
        zone: o.zone,
        subject: o.target,
        oldState: change === 'created' ? 'none' : o.action,
        newState: change === 'created' ? o.action : change,
        reason: o.reason,
        author: by,
        at: Date.now(),
      });
      logger.info({ id: o.id, zone: o.zone, target: o.target, action: o.action, by, reason: o.reason }, `override ${change}`);
    },
  });
  const geo = opts.geoip ? await GeoIpService.open(opts.geoip, logger.child({ component: 'geoip' })) : null;
  let asn: GeoIpService<AsnDatabase> | null = null;
  try {
    if (opts.asnDb)
      asn = await GeoIpService.openWith(opts.asnDb, logger.child({ component: 'asn' }), { label: 'ASN' }, asnDatabaseFromBuffer);
  } catch (err) {
    geo?.close();
    throw err;
  }
  const state = new StateHolder(
    (opts.externalHealth === true ? opts.initialHealth : undefined) ?? health.snapshot(),
    geo?.current() ?? null,
    asn?.current() ?? null,
  );
  const prober = new Prober(health, { logger: logger.child({ component: 'prober' }), sourceAddress: opts.probeSource });
  const external = new ExternalHealth(health, {
    logger: logger.child({ component: 'external-health' }),
    fileIntervalMs: opts.healthFileIntervalMs,
  });
  const calculated = new CalculatedHealth(health);
  const scope = opts.probeScope ?? null;
  let allTargets: ProbeTarget[] = [];
  scope?.onChange(() => {
    if (opts.probe !== false) prober.update(scope.select(allTargets));
  });

  // Health transitions and GeoIP reloads reach the very next query through a new state.
  if (opts.externalHealth !== true) health.on('snapshot', (snapshot) => state.setHealth(snapshot));
  geo?.on('reload', () => state.setGeo(geo.current()));
  asn?.on('reload', () => state.setAsn(asn.current()));

  // Weight ramps: the served config is the loaded one with ramped weights, swapped in per step.
  const notifier = new Notifier({ logger: logger.child({ component: 'notify' }) });
  const reapplyRamps = (): void => {
    const current = state.current.origins;
    const served = ramps.apply(current, state.current.health);
    if (served !== current) state.setOrigins(served);
  };
  const ramps = new RampController({
    onTick: reapplyRamps,
    probeCounts: (keys, windowMs) => health.probeCounts(keys, Date.now() - windowMs),
    onEvent: (event) => {
      logger.info({ zone: event.zone, subject: event.subject, state: event.newState }, `weight ramp ${event.newState}: ${event.reason}`);
      notifier.emit(event);
    },
  });
  // After the state took the new snapshot (the 'snapshot' event follows 'transition').
  health.on('transition', () => {
    if (ramps.active) setImmediate(reapplyRamps);
  });

  const first = loadConfigDir(opts.zonesDir, new Map(), true, opts.keysDir ?? null);
  if (first.errors.length > 0) {
    geo?.close();
    asn?.close();
    throw new StartupError(first.errors);
  }
  applyOrigins(first.origins);
  logLoad(first, logger);
  state.setOverrides(opts.initialOverrides ?? overrides.start());
  // Webhooks: once per host, where health is decided (not in a worker that mirrors it).
  if (opts.externalHealth !== true) notifier.attach(state);

  function applyOrigins(origins: ReadonlyMap<string, OriginConfig>): void {
    state.setOrigins(ramps.apply(origins, state.current.health));
    const targets: ProbeTarget[] = [];
    for (const o of origins.values()) if (o.lb) targets.push(...o.lb.probeTargets);
    allTargets = targets;
    if (scope !== null) {
      // The table holds what this process probes; the scope's owner serves the health.
      const mine = scope.select(targets);
      if (opts.probe !== false) prober.update(mine);
      else health.setTargets(mine);
      return;
    }
    health.setTargets(targets);
    // Pushed and derived health report into the table beside the prober, never through it.
    // A cluster worker mirrors its primary's table, where the primary applies these.
    if (opts.externalHealth !== true) external.setBindings([...origins.values()].flatMap((o) => (o.lb ? externalBindings(o.lb) : [])));
    calculated.setTargets(targets);
    if (opts.probe !== false) prober.update(targets);
  }

  let lastOutcome: LoadOutcome = first;
  const applyOutcome = (outcome: LoadOutcome, force: boolean): void => {
    lastOutcome = outcome;
    if (outcome.loaded.length > 0 || outcome.removed.length > 0) applyOrigins(outcome.origins);
    logLoad(outcome, logger);
    events.emit('reload', outcome, force);
  };
  const reloadNow = async (force: boolean): Promise<void> => {
    applyOutcome(loadConfigDir(opts.zonesDir, state.current.origins, force, opts.keysDir ?? null), force);
  };
  const reloader = new Reloader({
    dir: opts.zonesDir,
    debounceMs: opts.reloadDebounceMs ?? 150,
    logger,
    reload: reloadNow,
  });
  if (opts.watch !== false) reloader.start();

  const pipeline = new CachedPipeline({
    state,
    logger,
    udpLimit: opts.udpLimit,
    identity: opts.identity,
    cookies: opts.cookieSecrets ? serverCookies(opts.cookieSecrets) : null,
    signatureCacheSize: opts.signatureCacheSize,
    packetCacheSize: opts.packetCacheSize,
  });
  const observed = observedAnswerer(pipeline, opts.observer ?? null, { timeEvery: opts.timeEvery });
  let transfers: TransferService | null = null;
  try {
    transfers = opts.transfer
      ? new TransferService({
          state,
          logger: logger.child({ component: 'xfr' }),
          settings: opts.transfer,
          sendNotify: opts.sendNotify !== false,
        })
      : null;
  } catch (err) {
    reloader.stop();
    prober.stop().catch((e: unknown) => logger.warn({ err: e }, 'prober stop failed'));
    geo?.close();
    throw err instanceof SteerError ? new StartupError([err]) : err;
  }
  const answerer = transfers === null ? observed : new TransferFront(observed, transfers);
  const streamer: TransferStreamer | null =
    transfers === null ? null : { claims: isTransferQuestion, stream: (m, client, send) => transfers!.stream(m, client, send) };
  // One limiter for every UDP listener: a client's budget does not multiply with listen addresses.
  const rrl = rrlOptions ? new ResponseRateLimiter(rrlOptions) : null;
  const udp: UdpListener[] = [];
  const tcp: TcpListener[] = [];
  const endpoints: Endpoint[] = [];
  try {
    for (const text of opts.listen) {
      const addr = parseListenAddress(text);
      const udpOptions = { reusePort: opts.udpReusePort === true, sendBufferSize: opts.udpSendBuffer ?? UDP_SOCKET_BUFFER };
      const pair = await bindPair(addr, answerer, logger, opts.tcp ?? {}, rrl, udpIo!, udpOptions, streamer);
      udp.push(pair.udp);
      tcp.push(pair.tcp);
      endpoints.push({ address: pair.udp.address, port: pair.udp.port });
      logger.info(
        { address: pair.udp.address, port: pair.udp.port, transports: ['udp', 'tcp'], udpIo: pair.udp.io },
        `listening on ${formatHostPort(pair.udp.address, pair.udp.port)} (udp: ${pair.udp.io === 'batch' ? 'batched recvmmsg/sendmmsg' : 'node:dgram'})`,
      );
    }
  } catch (err) {
    await Promise.all([...udp, ...tcp].map((l) => l.close()));
    rrl?.close();
    transfers?.close();
    external.close();
    overrides.close();
    notifier.close();
    ramps.close();
    reloader.stop();
    prober.stop().catch((err: unknown) => logger.warn({ err }, 'prober stop failed'));
    geo?.close();
    asn?.close();
    throw err;
  }

  let closed = false;
  return {
    endpoints,
    state,
    health,
    prober,
    external,
    notifier,
    ramps,
    overrides,
    geo,
    asn,
    pipeline,
    rrl,
    transfers,
    events,
    async reload(force = true) {
      await reloader.run(force);
      return lastOutcome;
    },
    async stageReload(force) {
      // What Reloader.run does before a reload: big changed zones are loaded off the thread.
      await prepareReload(opts.zonesDir, force, {
        onFallback: (zoneFile, why) =>
          logger.warn({ file: zoneFile, reason: why }, 'zone file is loaded on the main thread: queries wait until it is parsed'),
      });
      let outcome: LoadOutcome;
      try {
        outcome = loadConfigDir(opts.zonesDir, state.current.origins, force, opts.keysDir ?? null);
      } finally {
        discardPrepared(opts.zonesDir);
      }
      let committed = false;
      return {
        fingerprint: configFingerprint(outcome.origins),
        outcome,
        commit() {
          if (committed) return;
          committed = true;
          applyOutcome(outcome, force);
        },
      };
    },
    fingerprint: () => configFingerprint(state.current.origins),
    probeTargets: () => allTargets,
    tcpConnections: () => tcp.reduce((n, l) => n + l.connections(), 0),
    tcpStats: () => sumTcpStats(tcp.map((l) => l.stats())),
    udpIo: () => udp.map((l) => l.io),
    udpStats: () => {
      let sum: UdpIoStats | null = null;
      for (const l of udp) {
        const s = l.stats();
        if (s === null) continue;
        sum ??= emptyUdpIoStats();
        addUdpIoStats(sum, s);
      }
      return sum;
    },
    isReady: () => opts.probe === false || prober.isReady(),
    setHealth: (snapshot) => state.setHealth(snapshot),
    setOverrides: serveOverrides,
    setCookieSecrets: (secrets) => pipeline.setCookieSecrets(cookieSecrets(secrets)),
    async close() {
      if (closed) return;
      closed = true;
      reloader.stop();
      transfers?.close();
      prober.stop().catch((err: unknown) => logger.warn({ err }, 'prober stop failed'));
      external.close();
      overrides.close();
      notifier.close();
      ramps.close();
      geo?.close();
      asn?.close();
      await Promise.all([...udp, ...tcp].map((l) => l.close()));
      rrl?.close();
    },
  };
}

/** The startup configuration was broken: nothing is served. */
export class StartupError extends Error {
  constructor(readonly errors: readonly SteerError[]) {
    super(`configuration has ${errors.length} error(s):\n${errors.map((e) => `  ${e.describe()}`).join('\n')}`);
    this.name = 'StartupError';
  }
}

function logLoad(outcome: LoadOutcome, logger: Logger): void {
  for (const err of outcome.errors) {
    logger.error({ code: err.code, file: err.file, line: err.line }, err.describe());
  }
  for (const w of outcome.warnings) logger.warn({ code: w.code, file: w.file, line: w.line }, w.describe());
  for (const origin of outcome.kept) logger.warn({ zone: origin }, `zone ${origin}: new files are broken; previous version keeps serving`);
  for (const origin of outcome.loaded) logger.info({ zone: origin }, `zone ${origin} loaded`);
  for (const origin of outcome.removed) logger.info({ zone: origin }, `zone ${origin} removed`);
}

/** UDP and TCP on the same address and port; with port 0, retry until both get the same one. */
async function bindPair(
  addr: ListenAddress,
  pipeline: Answerer,
  logger: Logger,
  tcpOptions: Partial<TcpOptions>,
  rrl: ResponseRateLimiter | null,
  udpIo: UdpIoChoice,
  udpOptions: { readonly reusePort: boolean; readonly sendBufferSize: number },
  transfers: TransferStreamer | null = null,
): Promise<{ udp: UdpListener; tcp: TcpListener }> {
  for (let attempt = 0; ; attempt++) {
    let udp: UdpListener;
    try {
      udp =
        udpIo.io === 'batch'
          ? listenUdpBatch(udpIo.addon, addr, pipeline, rrl, udpOptions)
          : await listenUdp(addr, pipeline, logger, rrl, udpOptions.sendBufferSize);
    } catch (err) {
      throw steerError('STEER_LISTEN', [`udp ${formatHostPort(addr.host, addr.port)}`, listenFailure(err)]);
    }
    try {
      const tcp = await listenTcp({ ...addr, port: udp.port }, pipeline, logger, tcpOptions, transfers);
      return { udp, tcp };
    } catch (err) {
      await udp.close();
      if (addr.port === 0 && attempt < 20 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw steerError('STEER_LISTEN', [`tcp ${formatHostPort(addr.host, udp.port)}`, listenFailure(err)]);
    }
  }
}

/** The reason a bind failed, with the errno name an operator greps for (the native path words it as strerror). */
function listenFailure(err: unknown): string {
  const { message, code } = err as NodeJS.ErrnoException;
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}

function sumTcpStats(all: readonly TcpStats[]): TcpStats {
  const sum = {
    connections: 0,
    accepted: 0,
    refusedPerClient: 0,
    refusedFull: 0,
    evicted: 0,
    idleTimeouts: 0,
    messageTimeouts: 0,
    queryLimit: 0,
    stalled: 0,
    partialMessages: 0,
  };
  for (const s of all) for (const k of Object.keys(sum) as (keyof TcpStats)[]) sum[k] += s[k];
  return sum;
}
