// Cluster worker: answers queries on the sockets it shares with its siblings; never probes,
// never watches files — health and reload orders come from the primary.
import cluster from 'node:cluster';
import { startServer, type RunningServer, type ServerOptions } from '../server.js';
import { mirroredSnapshot } from './health-mirror.js';
import { isToWorker, type ToPrimary } from './messages.js';

export async function startClusterWorker(server: ServerOptions): Promise<RunningServer> {
  const running = await startServer({ ...server, probe: false, externalHealth: true, watch: false });
  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return;
    if (m.t === 'health') running.setHealth(mirroredSnapshot(m.generation, m.entries));
    else void running.reload(m.force);
  });
  const hello: ToPrimary = { t: 'listening', endpoints: running.endpoints.map((e) => ({ address: e.address, port: e.port })) };
  cluster.worker?.send(hello);
  return running;
}
