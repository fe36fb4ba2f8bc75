// The main thread's side of zone-load-worker.ts: one worker thread per big zone file to load,
// ended once it has replied. When no worker can run (the compiled worker script is missing, as
// under a TypeScript test runner, or the thread fails), the caller loads the zone itself.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SteerError, type SteerErrorCode } from '../errors.js';
import type { PackedZone } from '../zone/pack.js';

export interface ZoneLoadJob {
  readonly origin: string;
  readonly zoneFile: string;
  readonly lbFile: string | null;
  readonly zonesDir: string;
}

/** A SteerError as it crosses threads (structured clone keeps neither its class nor its fields). */
export interface WireError {
  readonly code: SteerErrorCode;
  readonly message: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
}

export type ZoneLoadReply =
  | { readonly packed: PackedZone; readonly lbText: string | null; readonly warnings: readonly WireError[] }
  | { readonly errors: readonly WireError[] };

export type OffThreadResult =
  | { readonly packed: PackedZone; readonly lbText: string | null; readonly warnings: readonly SteerError[] }
  | { readonly errors: SteerError[] }
  | { readonly unavailable: string };

export function toWireErrors(errors: readonly SteerError[]): WireError[] {
  return errors.map((e) => ({ code: e.code, message: e.message, file: e.file, line: e.line }));
}

function fromWireErrors(errors: readonly WireError[]): SteerError[] {
  return errors.map((w) => {
    const err = new SteerError(w.code, [], { file: w.file, line: w.line });
    err.message = w.message;
    return err;
  });
}

/** The compiled worker script beside this module, if there is one. */
let workerScript: URL | null | undefined;
function findWorkerScript(): URL | null {
  if (workerScript === undefined) {
    const url = new URL('./zone-load-worker.js', import.meta.url);
    workerScript = fs.existsSync(fileURLToPath(url)) ? url : null;
  }
  return workerScript;
}

/** Loads one origin on a worker thread. */
export function loadOriginOffThread(job: ZoneLoadJob): Promise<OffThreadResult> {
  const script = findWorkerScript();
  if (script === null) return Promise.resolve({ unavailable: 'no compiled zone-load worker beside the server' });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: OffThreadResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
      void worker.terminate();
    };
    const worker = new Worker(script, { workerData: job });
    worker.once('message', (reply: ZoneLoadReply) => {
      if ('errors' in reply) settle({ errors: fromWireErrors(reply.errors) });
      else settle({ packed: reply.packed, lbText: reply.lbText, warnings: fromWireErrors(reply.warnings) });
    });
    worker.once('error', (err) => settle({ unavailable: `zone-load worker failed: ${err.message}` }));
    worker.once('exit', (code) => settle({ unavailable: `zone-load worker exited with code ${code} before replying` }));
  });
}
