// The what-if endpoints, over the traffic the server kept (RecentQueries) and its live health
// and GeoIP data. Nothing here changes what the server serves:
//   GET  /api/v1/scenarios?minutes=N      the failure matrix of the configuration being served
//   POST /api/v1/whatif?minutes=N         candidate LB files (JSON body) against the current ones
//   GET  /api/v1/whatif/last-reload       the previous configuration against the one a reload
//                                         brought, over the traffic of the N minutes before it
//   GET  /api/v1/queries/recent?minutes=N the kept records themselves, as JSON lines
// Replays run in slices between queries (a yield every REPLAY_SLICE records), so a large window
// delays no DNS answer by more than one slice.
import type http from 'node:http';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { OriginConfig, ServingState, StateHolder } from '../config/state.js';
import { candidateFromTexts } from '../replay/candidate.js';
import type { QueryRecord } from '../replay/record.js';
import type { RecentQueries } from '../replay/recent-queries.js';
import { ScenariosRun } from '../replay/scenarios.js';
import { WhatifRun } from '../replay/whatif.js';

/** Largest POST body accepted. */
export const MAX_WHATIF_BODY = 1024 * 1024;
const REPLAY_SLICE = 2000;
const DEFAULT_MINUTES = 15;

export interface WhatifApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** The configuration before the last reload that changed files, kept for "what changed". */
interface ReloadMark {
  readonly at: number;
  readonly before: ReadonlyMap<string, OriginConfig>;
  readonly after: ReadonlyMap<string, OriginConfig>;
}

export class WhatifApi {
  readonly #state: StateHolder;
  readonly #recent: RecentQueries;
  #lastReload: ReloadMark | null = null;
  #configGeneration: number;
  #origins: ReadonlyMap<string, OriginConfig>;

  constructor(state: StateHolder, recent: RecentQueries) {
    this.#state = state;
    this.#recent = recent;
    this.#configGeneration = state.current.configGeneration;
    this.#origins = state.current.origins;
    state.on('swap', (next: ServingState) => {
      if (next.configGeneration === this.#configGeneration) return;
      if (this.#origins.size > 0) this.#lastReload = { at: Date.now(), before: this.#origins, after: next.origins };
      this.#configGeneration = next.configGeneration;
      this.#origins = next.origins;
    });
  }

  async scenarios(params: URLSearchParams): Promise<WhatifApiReply> {
    const minutes = minutesOf(params);
    if (minutes === null) return bad('minutes must be a number from 1 to 1440');
    const s = this.#state.current;
    const run = new ScenariosRun({ origins: s.origins, health: s.health, geo: s.geo, pairs: params.get('pairs') === '1' });
    await feed(this.#recent.between(Date.now() - minutes * 60_000), run);
    return { status: 200, body: { minutes, sampleEvery: this.#recent.sampleEvery, ...run.result() } };
  }

  async whatif(params: URLSearchParams, body: string): Promise<WhatifApiReply> {
    const minutes = minutesOf(params);
    if (minutes === null) return bad('minutes must be a number from 1 to 1440');
    let files: Record<string, string>;
    try {
      const doc = JSON.parse(body) as { files?: unknown };
      if (doc === null || typeof doc !== 'object' || typeof doc.files !== 'object' || doc.files === null) throw new Error();
      files = doc.files as Record<string, string>;
      if (Object.keys(files).length === 0 || Object.values(files).some((v) => typeof v !== 'string')) throw new Error();
    } catch {
      return bad('expected a JSON body {"files": {"<origin>.lb.yaml": "<the file\'s text>", ...}}');
    }
    const s = this.#state.current;
    const candidate = candidateFromTexts(s.origins, files);
    if ('errors' in candidate)
      return { status: 422, body: { error: 'the candidate does not validate; nothing was replayed', errors: candidate.errors } };
    const run = new WhatifRun({ current: s.origins, candidate: candidate.origins, health: s.health, geo: s.geo });
    await feed(this.#recent.between(Date.now() - minutes * 60_000), run);
    return { status: 200, body: { minutes, sampleEvery: this.#recent.sampleEvery, applied: false, ...run.result() } };
  }

  /** The kept records of the last `minutes` as JSON lines (what `steerdns record --from` saves). */
  recentLines(params: URLSearchParams): WhatifApiReply & { readonly text?: string } {
    const minutes = minutesOf(params);
    if (minutes === null) return bad('minutes must be a number from 1 to 1440');
    const lines = this.#recent.between(Date.now() - minutes * 60_000).map((r) => JSON.stringify(r));
    return { status: 200, body: null, text: lines.length === 0 ? '' : `${lines.join('\n')}\n` };
  }

  async lastReload(params: URLSearchParams): Promise<WhatifApiReply> {
    const minutes = minutesOf(params);
    if (minutes === null) return bad('minutes must be a number from 1 to 1440');
    const mark = this.#lastReload;
    if (mark === null) return { status: 200, body: { reload: null } };
    const s = this.#state.current;
    const run = new WhatifRun({ current: mark.before, candidate: mark.after, health: s.health, geo: s.geo });
    await feed(this.#recent.between(mark.at - minutes * 60_000, mark.at), run);
    return { status: 200, body: { reload: { at: mark.at }, minutes, sampleEvery: this.#recent.sampleEvery, ...run.result() } };
  }
}

async function feed(records: readonly QueryRecord[], run: WhatifRun | ScenariosRun): Promise<void> {
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % REPLAY_SLICE === 0) await yieldToEventLoop();
    const r = records[i]!;
    run.stats.lines++;
    run.stats.records++;
    if (r.ts < run.stats.firstTs) run.stats.firstTs = r.ts;
    if (r.ts > run.stats.lastTs) run.stats.lastTs = r.ts;
    run.add(r, 'recent', i + 1);
  }
}

function minutesOf(params: URLSearchParams): number | null {
  const text = params.get('minutes');
  if (text === null) return DEFAULT_MINUTES;
  const n = Number(text);
  return Number.isFinite(n) && n >= 1 && n <= 1440 ? n : null;
}

function bad(error: string): WhatifApiReply {
  return { status: 400, body: { error } };
}

/** The request body as text, or null when it is larger than `limit` bytes. */
export function readBody(req: http.IncomingMessage, limit = MAX_WHATIF_BODY): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped, so the client still gets its 413.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
