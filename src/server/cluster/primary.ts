// Cluster primary: loads and watches the configuration and probes every origin ONCE for the
// host; workers answer queries on shared sockets and mirror the primary's health. A worker that
// dies is replaced while the others keep answering.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../logger.js';
import { startServer, type RunningServer, type ServerOptions } from '../server.js';
import { healthEntries } from './health-mirror.js';
import { isToPrimary, type ToWorker } from './messages.js';

export interface ClusterPrimary {
  /** The primary's own server: configuration, health table, prober, GeoIP (it listens on nothing). */
  readonly control: RunningServer;
  /** Resolves once every worker listens; gives the endpoints they share. */
  readonly listening: Promise<readonly { address: string; port: number }[]>;
  workers(): readonly Worker[];
  /** Workers forked to replace dead ones so far. */
  restarts(): number;
  reload(force: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startClusterPrimary(workers: number, server: ServerOptions): Promise<ClusterPrimary> {
  const logger: Logger = server.logger.child({ role: 'primary' });
  const control = await startServer({ ...server, listen: [], logger });
  let closing = false;
  let restarts = 0;
  const recentRestarts: number[] = [];

  const healthMessage = (): ToWorker => ({ t: 'health', generation: control.health.snapshot().generation, entries: healthEntries(control.health) });
  const broadcast = (m: ToWorker): void => {
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send(m);
  };
  // Health reaches every worker within one IPC hop of the transition.
  control.health.on('snapshot', () => broadcast(healthMessage()));
  control.events.on('reload', () => broadcast({ t: 'reload', force: false }));

  let resolveListening!: (e: readonly { address: string; port: number }[]) => void;
  let rejectListening!: (err: Error) => void;
  const listening = new Promise<readonly { address: string; port: number }[]>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  let listeningCount = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (m: unknown) => {
      if (!isToPrimary(m)) return;
      if (m.t === 'listening') {
        worker.send(healthMessage());
        if (++listeningCount === workers) resolveListening(m.endpoints);
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (closing) return;
    if (listeningCount < workers) {
      rejectListening(new Error(`worker ${worker.process.pid} exited during startup (code ${code}, signal ${signal})`));
      return;
    }
    const now = Date.now();
    while (recentRestarts.length > 0 && now - recentRestarts[0]! > 60_000) recentRestarts.shift();
    // A crash loop (a worker dying as fast as it starts) is reported, then slowed down.
    const delay = recentRestarts.length >= 10 ? 1000 : 0;
    recentRestarts.push(now);
    restarts++;
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting a replacement');
    setTimeout(() => {
      if (!closing) fork();
    }, delay);
  });

  for (let i = 0; i < workers; i++) fork();

  return {
    control,
    listening,
    workers: () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined),
    restarts: () => restarts,
    async reload(force) {
      await control.reload(force);
      broadcast({ t: 'reload', force });
    },
    async close() {
      closing = true;
      const exits = Object.values(cluster.workers ?? {}).map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
      await control.close();
    },
  };
}
