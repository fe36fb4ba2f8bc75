// Cluster primary: loads and watches the configuration and probes every origin ONCE for the
// host; workers answer queries on shared sockets (node:cluster hands every worker the same UDP
// socket, and deals TCP connections out round-robin) and mirror the primary's health.
//
// - Options: the primary's ServerOptions reach every worker whole (as JSON in its environment),
//   with "port 0" replaced by one port picked here, so every worker shares one UDP+TCP port.
// - Health: each change of the primary's health table goes to every worker at once (one IPC
//   message, well under a millisecond on a loaded host).
// - Reload: in two phases. After the primary has reloaded, every worker loads the same changes
//   and holds them ("stage"); when all have, the primary compares what they read (file stamps
//   and serials) with what it read and tells them all to switch ("commit"): one synchronous swap
//   each, within an IPC hop of each other. A worker that read a different version of a file
//   (it changed in between) makes the primary abort, reload again and retry.
// - Overrides: the primary's server owns them (the API writes there; state file, audit log,
//   expiry timers, a fleet's set in etcd); every list it serves goes to every worker whole, and
//   a worker serves it with the same code (one state swap). A worker gets the current list
//   before its health, so it opens no socket without it.
// - A worker that dies is replaced; the others keep answering on the shared sockets meanwhile.
import cluster, { type Worker } from 'node:cluster';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../logger.js';
import type { QueryRecord } from '../../replay/record.js';
import { startServer, type RunningServer, type ServerOptions } from '../server.js';
import { HealthBroadcaster, type HealthSource, tableSource } from './health-mirror.js';
import { isToPrimary, OPTIONS_ENV, type ToPrimary, type ToWorker, type WireEndpoint } from './messages.js';
import { pickFreePorts } from './ports.js';

export interface ClusterPrimaryOptions {
  /** How long workers get to stage a reload before the slow ones are replaced (default 120 s). */
  readonly stageTimeoutMs?: number;
  /** How long a worker gets to finish in-flight work on close before it is killed (default 15 s). */
  readonly stopTimeoutMs?: number;
  /**
   * The health the workers serve, given the primary's server once it runs (a fleet node attaches
   * here and gives its verdicts); absent: the primary's health table.
   */
  readonly healthSource?: (control: RunningServer) => HealthSource;
  /** A worker's batch of sampled recent queries; `dropped`: what that worker lost so far. */
  readonly recent?: (records: readonly QueryRecord[], dropped: number, workerId: number) => void;
  /** A worker said hello: from now on it handles signals (its SIGHUP handler is installed). */
  readonly hello?: (worker: WorkerInfo) => void;
}

export interface WorkerInfo {
  /** node:cluster's worker id: 1, 2, ... (a replacement gets a new one). */
  readonly id: number;
  readonly pid: number;
  /** Said hello: its process runs steerdns and handles signals (a SIGHUP before that kills it). */
  readonly running: boolean;
  readonly listening: boolean;
}

export interface Collected {
  readonly id: number;
  readonly pid: number;
  readonly data: unknown;
}

export interface ClusterPrimary {
  /** The primary's own server: configuration, health table, prober, GeoIP (it listens on nothing). */
  readonly control: RunningServer;
  /** How many workers this cluster keeps running. */
  readonly size: number;
  /** Resolves once every worker of the first set listens; gives the endpoints they share. */
  readonly listening: Promise<readonly WireEndpoint[]>;
  workers(): readonly WorkerInfo[];
  /** Workers forked to replace dead ones so far. */
  restarts(): number;
  /** Reload the primary (every file with force); the workers follow (see reloadsDone). */
  reload(force: boolean): Promise<void>;
  /** Resolves when every reload round ordered so far has reached the workers. */
  reloadsDone(): Promise<void>;
  /** Asks every listening worker for its hooks.collect() data; slow workers are left out. */
  collect(timeoutMs?: number): Promise<Collected[]>;
  /** Stops every worker (they finish in-flight queries) and the primary's server. */
  close(): Promise<void>;
}

interface Gather {
  readonly kind: 'staged' | 'collected';
  readonly seq: number;
  readonly waiting: Set<number>;
  readonly replies: Map<number, ToPrimary>;
  readonly done: () => void;
}

export async function startClusterPrimary(size: number, server: ServerOptions, opts: ClusterPrimaryOptions = {}): Promise<ClusterPrimary> {
  if (!Number.isSafeInteger(size) || size < 1) throw new Error(`cluster size ${size}: expected a whole number of at least 1`);
  if (!cluster.isPrimary) throw new Error('startClusterPrimary: not the primary process');
  const logger: Logger = server.logger;
  const stageTimeoutMs = opts.stageTimeoutMs ?? 120_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 15_000;

  // Checked before anything starts: what cannot travel to a worker must not be dropped silently.
  // A probe scope stays with the primary: the workers probe nothing. So do the overrides' homes
  // (state directory, audit log, a fleet's shared set): the workers mirror the primary's list.
  const {
    logger: _logger,
    observer: _observer,
    probeScope: _scope,
    sharedOverrides: _shared,
    stateDir: _stateDir,
    auditLog: _auditLog,
    ...rest
  } = server;
  const forwarded = { ...rest, listen: await pickFreePorts(server.listen) };
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(forwarded)), forwarded)) {
    const bad = Object.entries(forwarded)
      .filter(([, v]) => !isDeepStrictEqual(JSON.parse(JSON.stringify({ v })).v, v))
      .map(([k]) => k);
    throw new Error(`server options ${bad.join(', ')} cannot be sent to cluster workers (not plain JSON data)`);
  }
  const env = { [OPTIONS_ENV]: JSON.stringify(forwarded) };

  // It answers no query: no sockets, no observer, no rate limiter.
  const control = await startServer({ ...server, listen: [], observer: null, rrl: null });
  let closing = false;
  let restarts = 0;
  const recentRestarts: number[] = [];
  const listeningIds = new Set<number>();
  /** Workers that asked for health (they get every change from then on, listening or not yet). */
  const helloIds = new Set<number>();
  const gathers = new Set<Gather>();
  let seq = 0;

  const live = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  const sendTo = (w: Worker, m: ToWorker): boolean => {
    if (!w.isConnected()) return false;
    w.send(m, (err) => {
      if (err) logger.debug({ err, worker: w.id }, 'cluster: message to a worker not delivered');
    });
    return true;
  };
  const listeningWorkers = (): Worker[] => live().filter((w) => listeningIds.has(w.id));
  // Health reaches every worker within one IPC hop of the transition: the changes of one turn in
  // one message, on top of the previous one (health-mirror.ts).
  const health = new HealthBroadcaster(opts.healthSource?.(control) ?? tableSource(control.health), (m) => {
    for (const w of live()) if (helloIds.has(w.id)) sendTo(w, m);
  });
  // Overrides likewise: each list the primary serves, whole, to every worker, in one IPC hop.
  const overridesMessage = (): ToWorker => ({ t: 'overrides', overrides: control.state.current.overrides });
  control.events.on('overrides', () => {
    const m = overridesMessage();
    for (const w of live()) if (helloIds.has(w.id)) sendTo(w, m);
  });

  /** Sends `message` to `targets` and collects their replies of `kind` under `id`. */
  const gather = (targets: readonly Worker[], kind: Gather['kind'], id: number, message: ToWorker, timeoutMs: number): Promise<Gather> =>
    new Promise((resolve) => {
      const g: Gather = {
        kind,
        seq: id,
        waiting: new Set(),
        replies: new Map(),
        done: () => {
          clearTimeout(timer);
          gathers.delete(g);
          resolve(g);
        },
      };
      const timer = setTimeout(() => g.done(), timeoutMs);
      for (const w of targets) if (sendTo(w, message)) g.waiting.add(w.id);
      gathers.add(g);
      if (g.waiting.size === 0) g.done();
    });
  const answered = (workerId: number, m: ToPrimary & { seq: number }): void => {
    for (const g of gathers) {
      if (g.kind !== m.t || g.seq !== m.seq || !g.waiting.delete(workerId)) continue;
      g.replies.set(workerId, m);
      if (g.waiting.size === 0) g.done();
    }
  };
  const forget = (workerId: number): void => {
    for (const g of [...gathers]) if (g.waiting.delete(workerId) && g.waiting.size === 0) g.done();
  };

  // --- reload rounds: one at a time, requests arriving meanwhile merged into the next ---
  let rounds: Promise<void> = Promise.resolve();
  let queuedForce: boolean | null = null;
  let mismatches = 0;
  const requestRound = (force: boolean): void => {
    if (queuedForce !== null) {
      queuedForce ||= force;
      return;
    }
    queuedForce = force;
    rounds = rounds.then(async () => {
      const f = queuedForce ?? force;
      queuedForce = null;
      try {
        await round(f);
      } catch (err) {
        logger.error({ err }, 'cluster: reload round failed');
      }
    });
  };
  const round = async (force: boolean): Promise<void> => {
    const targets = listeningWorkers();
    if (closing || targets.length === 0) return;
    const id = ++seq;
    const want = control.fingerprint();
    const g = await gather(targets, 'staged', id, { t: 'stage', seq: id, force }, stageTimeoutMs);
    for (const workerId of g.waiting) {
      const w = cluster.workers?.[workerId];
      logger.error(
        { worker: workerId, pid: w?.process.pid },
        `cluster: worker did not load the reload within ${stageTimeoutMs} ms; replacing it`,
      );
      w?.process.kill('SIGKILL');
    }
    const differ = [...g.replies.entries()].filter(([, m]) => m.t === 'staged' && m.fingerprint !== want).map(([workerId]) => workerId);
    if (differ.length > 0 && mismatches < 3 && !closing) {
      mismatches++;
      logger.warn(
        { workers: differ },
        'cluster: workers read other versions of the zone files than the primary (changed meanwhile); reloading again',
      );
      for (const workerId of g.replies.keys()) {
        const w = cluster.workers?.[workerId];
        if (w) sendTo(w, { t: 'abort', seq: id });
      }
      // The primary's reload ends in a 'reload' event, which orders the next round.
      void control.reload(false);
      return;
    }
    if (differ.length > 0)
      logger.warn({ workers: differ }, 'cluster: workers still read other file versions than the primary; switching anyway');
    mismatches = 0;
    for (const workerId of g.replies.keys()) {
      const w = cluster.workers?.[workerId];
      if (w) sendTo(w, { t: 'commit', seq: id });
    }
  };
  control.events.on('reload', (_outcome, force) => requestRound(force));

  // --- workers ---
  let resolveListening!: (e: readonly WireEndpoint[]) => void;
  let rejectListening!: (err: Error) => void;
  const listening = new Promise<readonly WireEndpoint[]>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  listening.catch(() => undefined); // the caller gets it; no unhandled rejection meanwhile
  let started = false;
  let firstEndpoints: readonly WireEndpoint[] | null = null;

  const fork = (): Worker => {
    const worker = cluster.fork(env);
    worker.on('error', (err) => logger.warn({ err, worker: worker.id }, 'cluster: worker channel error'));
    worker.on('message', (m: unknown) => {
      if (!isToPrimary(m)) return;
      if (m.t === 'recent') {
        if (Array.isArray(m.records)) opts.recent?.(m.records, m.dropped, worker.id);
        return;
      }
      if (m.t === 'hello') {
        // A newcomer, or a worker that lost track of the deltas: the overrides in force, then the
        // whole table (after the others got what was pending, so the next delta fits what this
        // one holds). The worker starts serving on the health, with the overrides already held.
        const full = health.full();
        const first = !helloIds.has(worker.id);
        helloIds.add(worker.id);
        sendTo(worker, overridesMessage());
        sendTo(worker, full);
        if (first) opts.hello?.({ id: worker.id, pid: worker.process.pid ?? 0, running: true, listening: listeningIds.has(worker.id) });
        return;
      }
      if (m.t === 'listening') {
        listeningIds.add(worker.id);
        if (firstEndpoints !== null && !isDeepStrictEqual(firstEndpoints, m.endpoints)) {
          logger.error(
            { worker: worker.id, endpoints: m.endpoints, expected: firstEndpoints },
            'cluster: a worker listens on other endpoints than its siblings',
          );
        }
        firstEndpoints ??= m.endpoints;
        if (m.fingerprint !== control.fingerprint()) {
          // It read the files after they changed: the primary catches up, then a round follows.
          logger.info({ worker: worker.id }, 'cluster: a new worker read newer files than the primary; reloading');
          void control.reload(false);
        }
        if (!started && listeningIds.size >= size) {
          started = true;
          resolveListening(m.endpoints);
        }
        return;
      }
      answered(worker.id, m);
    });
    return worker;
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    listeningIds.delete(worker.id);
    helloIds.delete(worker.id);
    forget(worker.id);
    if (closing) return;
    if (!started) {
      rejectListening(new Error(`worker ${worker.process.pid} exited during startup (${signal ? `signal ${signal}` : `code ${code}`})`));
      return;
    }
    const now = Date.now();
    while (recentRestarts.length > 0 && now - recentRestarts[0]! > 60_000) recentRestarts.shift();
    // A crash loop (a worker dying as fast as it starts, e.g. a zone file broken since the
    // primary loaded it: a new worker has no previous version to keep) is reported, then slowed
    // down: from the 5th restart within a minute, 1 s, 2 s, 4 s... up to 30 s between them.
    const n = recentRestarts.length;
    const delay = n < 5 ? 0 : Math.min(30_000, 1000 * 2 ** (n - 5));
    recentRestarts.push(now);
    restarts++;
    logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker died; starting a replacement');
    setTimeout(() => {
      if (!closing) fork();
    }, delay);
  };
  cluster.on('exit', onExit);

  for (let i = 0; i < size; i++) fork();

  let closed: Promise<void> | null = null;
  return {
    control,
    size,
    listening,
    workers: () =>
      live().map((w) => ({ id: w.id, pid: w.process.pid ?? 0, running: helloIds.has(w.id), listening: listeningIds.has(w.id) })),
    restarts: () => restarts,
    async reload(force) {
      await control.reload(force);
    },
    async reloadsDone() {
      let seen: Promise<void>;
      do {
        seen = rounds;
        await seen;
      } while (seen !== rounds);
    },
    async collect(timeoutMs = 2000) {
      const id = ++seq;
      const g = await gather(listeningWorkers(), 'collected', id, { t: 'collect', seq: id }, timeoutMs);
      const out: Collected[] = [];
      for (const [workerId, m] of g.replies) {
        if (m.t !== 'collected') continue;
        out.push({ id: workerId, pid: cluster.workers?.[workerId]?.process.pid ?? 0, data: m.data });
      }
      return out.sort((a, b) => a.id - b.id);
    },
    close() {
      closed ??= (async () => {
        closing = true;
        rejectListening(new Error('cluster closed during startup'));
        await Promise.all(
          live().map(
            (w) =>
              new Promise<void>((resolve) => {
                const kill = setTimeout(() => w.process.kill('SIGKILL'), stopTimeoutMs);
                w.once('exit', () => {
                  clearTimeout(kill);
                  resolve();
                });
                // SIGTERM: the worker stops accepting, answers what is in flight, then exits.
                w.process.kill('SIGTERM');
              }),
          ),
        );
        cluster.off('exit', onExit);
        await control.close();
      })();
      return closed;
    },
  };
}
