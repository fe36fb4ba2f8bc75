// whatif: the logged queries replayed through two configurations (the current one and a
// candidate) with the same health view, the same GeoIP data and the same random draws, tallied
// into a WhatifReport. Offline: it reads files and opens no socket.
import type { OriginConfig } from '../config/state.js';
import { SteerError } from '../errors.js';
import type { GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot } from '../health/types.js';
import { ClientViews, memoGeo } from './client-view.js';
import { LogStats, readRecords, type BadLine } from './log-reader.js';
import type { QueryRecord } from './record.js';
import { QueryBuilder, Replayer, resolverIp, servingStateOf } from './replayer.js';
import { WhatifTally, type WhatifData } from './whatif-report.js';

export interface WhatifInput {
  readonly current: ReadonlyMap<string, OriginConfig>;
  readonly candidate: ReadonlyMap<string, OriginConfig>;
  readonly health: HealthSnapshot;
  readonly geo: GeoDatabase | null;
}

export interface ReplayLines {
  readonly lines: number;
  readonly replayed: number;
  readonly bad: number;
  readonly badLines: readonly BadLine[];
  /** Seconds between the first and the last record. */
  readonly spanSeconds: number;
}

export interface WhatifResult extends WhatifData {
  readonly log: ReplayLines;
}

/** Takes one record (with where it was read, for problems). */
export type RecordSink = (record: QueryRecord, file: string, line: number) => void;

/** Two replayers over the same inputs, fed one record at a time (the CLI streams, the API passes an array). */
export class WhatifRun {
  readonly #before: Replayer;
  readonly #after: Replayer;
  readonly #queries = new QueryBuilder();
  readonly #views: ClientViews;
  readonly #tally = new WhatifTally();
  readonly stats = new LogStats();
  #seed = 0;

  readonly #strict: boolean;

  constructor(input: WhatifInput, strict = false) {
    this.#strict = strict;
    const geo = memoGeo(input.geo);
    this.#before = new Replayer(servingStateOf(input.current, input.health, geo));
    this.#after = new Replayer(servingStateOf(input.candidate, input.health, geo));
    this.#views = new ClientViews(geo);
  }

  readonly add: RecordSink = (record, file, line) => {
    const query = this.#queries.build(record);
    if (typeof query === 'string') {
      if (this.#strict) throw new SteerError('STEER_REPLAY_BAD_LINE', [query], { file, line });
      this.stats.records--;
      this.stats.noteBad(file, line, query);
      return;
    }
    const seed = ++this.#seed;
    const ip = resolverIp(record);
    const before = this.#before.replay(query, ip, record.transport, seed);
    const after = this.#after.replay(query, ip, record.transport, seed);
    this.#tally.add(this.#views.of(record), before, after, record.sample);
  };

  result(): WhatifResult {
    const s = this.stats;
    return {
      log: { lines: s.lines, replayed: s.records, bad: s.bad, badLines: s.badLines, spanSeconds: s.spanSeconds() },
      ...this.#tally.result(),
    };
  }
}

/** Streams `files` through a WhatifRun. */
export async function whatifFromFiles(input: WhatifInput, files: readonly string[], strict: boolean): Promise<WhatifResult> {
  const run = new WhatifRun(input, strict);
  await readRecords(files, run.stats, strict, run.add);
  return run.result();
}
