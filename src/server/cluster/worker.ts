// Cluster worker: answers queries on the sockets it shares with its siblings; never probes,
// never watches files. Its server options are the primary's, whole (they arrive as JSON in the
// environment); health snapshots, operator overrides and reload orders come over the IPC channel.
import cluster from 'node:cluster';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../logger.js';
import type { Override } from '../../overrides/types.js';
import type { QueryObserver } from '../../query/observer.js';
import type { RecentBatcher } from '../../replay/recent-batcher.js';
import { startServer, type RunningServer, type ServerOptions, type StagedReload } from '../server.js';
import type { TableSnapshot } from '../../health/snapshot.js';
import { applyHealthMessage } from './health-mirror.js';
import { isToWorker, OPTIONS_ENV, type ToPrimary } from './messages.js';

export interface WorkerHooks {
  /** This process's logger and observer (the only options that cannot travel as JSON). */
  readonly logger: Logger;
  readonly observer?: QueryObserver | null;
  /** Runs once the server is up, before the primary hears that this worker listens. */
  readonly started?: (running: RunningServer) => void;
  /** What the primary asks for with 'collect' (e.g. metrics); must be JSON. */
  readonly collect?: () => unknown;
  /** Sampled recent queries (also in `observer`), sent to the primary in batches once listening. */
  readonly recent?: RecentBatcher | null;
}

/** The server options the primary forwarded to this worker. */
export function forwardedOptions(): Omit<ServerOptions, 'logger' | 'observer'> {
  const text = process.env[OPTIONS_ENV];
  if (!cluster.isWorker || text === undefined) throw new Error(`not a steerdns cluster worker (${OPTIONS_ENV} is not set)`);
  return JSON.parse(text) as Omit<ServerOptions, 'logger' | 'observer'>;
}

/** How long a worker waits for the primary's health before it serves without it. */
const FIRST_HEALTH_TIMEOUT_MS = 10_000;

export async function startClusterWorker(hooks: WorkerHooks): Promise<RunningServer> {
  const options = forwardedOptions();
  const send = (m: ToPrimary): void => {
    if (process.connected) process.send?.(m);
  };
  let running: RunningServer | null = null;
  let health: TableSnapshot | null = null;
  /** The primary's overrides as last received (it sends them before the first health). */
  let overrides: readonly Override[] = [];
  let gotHealth!: () => void;
  const firstHealth = new Promise<void>((resolve) => (gotHealth = resolve));
  const staged = new Map<number, StagedReload>();
  // Stage orders run one at a time, in the order they came.
  let stageQueue: Promise<void> = Promise.resolve();
  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return;
    if (m.t === 'health') {
      const next = applyHealthMessage(health, m);
      if (next === null) {
        // A delta on top of a generation this worker does not hold: ask for the whole table.
        hooks.logger.warn(
          { base: m.base, holding: health?.generation ?? null },
          'cluster: health delta does not fit; asking for the whole table',
        );
        send({ t: 'hello' });
        return;
      }
      health = next;
      running?.setHealth(health);
      gotHealth();
      return;
    }
    if (m.t === 'overrides') {
      // Sent again after every 'hello' (a health resync too): an unchanged list costs nothing.
      if (isDeepStrictEqual(m.overrides, overrides)) return;
      overrides = m.overrides;
      running?.setOverrides(overrides);
      return;
    }
    if (running === null) return; // only health is sent before 'listening'
    const server = running;
    switch (m.t) {
      case 'stage':
        stageQueue = stageQueue.then(async () => {
          try {
            const s = await server.stageReload(m.force);
            staged.set(m.seq, s);
            send({ t: 'staged', seq: m.seq, fingerprint: s.fingerprint, errors: s.outcome.errors.length });
          } catch (err) {
            hooks.logger.error({ err }, 'reload failed');
            send({ t: 'staged', seq: m.seq, fingerprint: 'failed', errors: 1 });
          }
        });
        return;
      case 'commit': {
        const s = staged.get(m.seq);
        staged.clear();
        s?.commit();
        return;
      }
      case 'abort':
        staged.delete(m.seq);
        return;
      case 'collect': {
        let data: unknown = null;
        try {
          data = hooks.collect?.() ?? null;
        } catch (err) {
          hooks.logger.warn({ err }, 'cannot collect for the primary');
        }
        Promise.resolve(data).then(
          (d) => send({ t: 'collected', seq: m.seq, data: d }),
          () => send({ t: 'collected', seq: m.seq, data: null }),
        );
        return;
      }
    }
  });
  // No socket opens before the primary's health is here: a replacement worker never answers
  // with an origin the others already know is down.
  send({ t: 'hello' });
  const timer = setTimeout(gotHealth, FIRST_HEALTH_TIMEOUT_MS);
  await firstHealth;
  clearTimeout(timer);
  const initialHealth = health ?? undefined;
  const initialOverrides = overrides;
  running = await startServer({
    ...options,
    logger: hooks.logger,
    observer: hooks.observer ?? null,
    probe: false,
    externalHealth: true,
    initialHealth,
    // The primary owns the overrides (API, state file, audit log, expiry); this one mirrors them.
    initialOverrides,
    watch: false,
    // The primary sends the NOTIFYs, once for the host.
    sendNotify: false,
    // With the batched addon each worker owns its socket; the kernel spreads datagrams over them.
    udpReusePort: true,
  });
  if (health !== null && health !== initialHealth) running.setHealth(health);
  if (overrides !== initialOverrides) running.setOverrides(overrides);
  hooks.started?.(running);
  send({
    t: 'listening',
    endpoints: running.endpoints.map((e) => ({ address: e.address, port: e.port })),
    fingerprint: running.fingerprint(),
  });
  const recent = hooks.recent ?? null;
  recent?.start((records, done) => {
    if (!process.connected || process.send === undefined) return false;
    process.send({ t: 'recent', records, dropped: recent.dropped } satisfies ToPrimary, undefined, {}, () => done());
    return true;
  });
  return running;
}
