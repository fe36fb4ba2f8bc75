// Worker thread entry: loads one origin's files (parse, check, build — the slow part of a
// reload) and sends the zone back packed: two transferred buffers and one string, which the
// main thread rebuilds between queries. One job per worker; the parent ends the thread after.
import { parentPort, workerData } from 'node:worker_threads';
import { packZone } from '../zone/pack.js';
import { readOrigin } from './config-loader.js';
import { toWireErrors, type ZoneLoadJob, type ZoneLoadReply } from './zone-load-worker-client.js';

function run(job: ZoneLoadJob): { reply: ZoneLoadReply; transfer: ArrayBuffer[] } {
  const read = readOrigin(job.origin, job.zoneFile, job.lbFile, job.zonesDir);
  if ('errors' in read) return { reply: { errors: toWireErrors(read.errors) }, transfer: [] };
  const packed = packZone(read.zone);
  return {
    reply: { packed, lbText: read.lbText, warnings: toWireErrors(read.warnings) },
    transfer: [packed.structure, packed.rdata],
  };
}

const { reply, transfer } = run(workerData as ZoneLoadJob);
parentPort?.postMessage(reply, transfer);
