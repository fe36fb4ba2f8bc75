// Worker thread entry: loads one origin's files (parse, check, build — the slow part of a
// reload) and sends the zone back packed: two transferred buffers and one string, which the
// main thread rebuilds between queries. One job per worker; the parent ends the thread after.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { packZone } from '../zone/pack.js';
import { readOrigin } from './config-loader.js';
import { toWireErrors, type ZoneLoadJob, type ZoneLoadReply } from './zone-load-worker-client.js';

const BACKGROUND_NICE = 10;

function run(job: ZoneLoadJob): { reply: ZoneLoadReply; transfer: ArrayBuffer[] } {
  const read = readOrigin(job.origin, job.zoneFile, job.lbFile, job.zonesDir);
  if ('errors' in read) return { reply: { errors: toWireErrors(read.errors) }, transfer: [] };
  const packed = packZone(read.zone);
  return {
    reply: { packed, lbText: read.lbText, warnings: toWireErrors(read.warnings) },
    transfer: [packed.structure, packed.rdata],
  };
}

// Queries come first: on a small machine the parse competes with the query thread for a core.
// On Linux a nice value set with pid 0 applies to the calling thread only (elsewhere it would
// apply to the whole process, so it is left alone there).
if (process.platform === 'linux') {
  try {
    os.setPriority(0, BACKGROUND_NICE);
  } catch {
    // Not allowed: parse at normal priority.
  }
}

const { reply, transfer } = run(workerData as ZoneLoadJob);
parentPort?.postMessage(reply, transfer);
