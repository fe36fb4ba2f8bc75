// whatif: the logged queries replayed through two configurations (the current one and a
// candidate) with the same health view, the same GeoIP data and the same random draws, tallied
// into a WhatifReport. Offline: it reads files and opens no socket.
import type { OriginConfig } from '../config/state.js';
import { SteerError } from '../errors.js';
import type { GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot } from '../health/types.js';
import { ClientViews, memoGeo } from './client-view.js';
import { readLineBytes } from './line-bytes.js';
import { LineKeys } from './line-keys.js';
import { LogStats, takeLine, type BadLine } from './log-reader.js';
import { KeyGroups, MAX_GROUPED_SAMPLE, PendingTally } from './pending-tally.js';
import { isResolverText, RECORD_VERSION, type QueryRecord } from './record.js';
import { RecordScan } from './record-scan.js';
import { DecisionSlot, QueryBuilder, Replayer, resolverIp, servingStateOf } from './replayer.js';
import { WhatifTally, type ClientView, type WhatifData } from './whatif-report.js';
import type { Query } from '../wire/types.js';

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

/** What the fast path keeps per memo key (query name, type, ECS, resolver, transport). */
class LineEntry extends KeyGroups {
  readonly before = new DecisionSlot();
  readonly after = new DecisionSlot();
  constructor(
    /** The query, a problem with it, or null: a resolver parseRecord refuses, so such lines are read as text. */
    readonly query: Query | string | null,
    readonly ip: string,
    readonly transport: 'udp' | 'tcp',
    readonly view: ClientView | null,
  ) {
    super();
  }
}

/**
 * Two replayers over the same inputs, fed one record at a time (`add`: the API passes an array)
 * or one log line's bytes at a time (`addLine`: the CLI streams files). Both give the same
 * report: a line the byte path cannot read as it is goes through `add` as text.
 */
export class WhatifRun {
  readonly #before: Replayer;
  readonly #after: Replayer;
  readonly #queries = new QueryBuilder();
  readonly #views: ClientViews;
  readonly #tally = new WhatifTally();
  readonly #pending = new PendingTally(this.#tally);
  readonly #scan = new RecordScan();
  readonly #keys = new LineKeys<LineEntry>();
  /** False once a line's sample is not a small integer: from then on lines are tallied one by one. */
  #grouping = true;
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
    // Grouped lines go to the tally first, so it sees every line in log order.
    this.#pending.flush();
    if (!(Number.isInteger(record.sample) && record.sample <= MAX_GROUPED_SAMPLE)) this.#grouping = false;
    const query = this.#queries.build(record);
    if (typeof query === 'string') {
      this.#badQuery(query, file, line);
      return;
    }
    const seed = ++this.#seed;
    const ip = resolverIp(record);
    const before = this.#before.replay(query, ip, record.transport, seed);
    const after = this.#after.replay(query, ip, record.transport, seed);
    this.#tally.add(this.#views.of(record), before, after, record.sample);
  };

  /**
   * One log line, bytes [start, end) of `buf`: read in place when it has the record writer's
   * shape, its decisions looked up by its key, and grouped for the tally; else as text.
   */
  addLine(buf: Buffer, start: number, end: number, file: string, line: number): void {
    const scan = this.#scan;
    if (start === end) return;
    if (!scan.scan(buf, start, end)) {
      takeLine(buf.toString('utf8', start, end), file, line, this.stats, this.#strict, this.add);
      return;
    }
    let entry = this.#keys.get(scan, buf);
    if (entry === undefined) {
      entry = this.#entryOf(scan, buf);
      this.#keys.set(scan, buf, entry);
    }
    const query = entry.query;
    if (query === null) {
      takeLine(buf.toString('utf8', start, end), file, line, this.stats, this.#strict, this.add);
      return;
    }
    this.stats.lines++;
    this.stats.noteRecord(scan.ts);
    if (typeof query === 'string') {
      this.#badQuery(query, file, line);
      return;
    }
    const seed = ++this.#seed;
    let before = this.#before.decide(entry.before, query, entry.ip, entry.transport, seed);
    let after = this.#after.decide(entry.after, query, entry.ip, entry.transport, seed);
    const view = entry.view!;
    if (!this.#grouping) {
      this.#tally.add(view, before, after, scan.sample);
      return;
    }
    if (entry.before.decidedPerQuery) before = this.#pending.canonical(before);
    if (entry.after.decidedPerQuery) after = this.#pending.canonical(after);
    this.#pending.add(entry, view, before, after, scan.sample);
  }

  #entryOf(scan: RecordScan, buf: Buffer): LineEntry {
    const text = (s: number, e: number): string => buf.toString('latin1', s, e);
    const resolver = text(scan.resolverStart, scan.resolverEnd);
    const transport = scan.tcp ? 'tcp' : 'udp';
    if (!isResolverText(resolver)) return new LineEntry(null, '', transport, null);
    // The strings are plain ASCII (RecordScan takes nothing else), so latin1 reads them as UTF-8 would.
    const record: QueryRecord = {
      v: RECORD_VERSION,
      ts: scan.ts,
      transport,
      resolver,
      ecs: scan.ecsStart < 0 ? null : text(scan.ecsStart, scan.ecsEnd),
      qname: text(scan.qnameStart, scan.qnameEnd),
      qtype: text(scan.qtypeStart, scan.qtypeEnd),
      rcode: '',
      kind: '',
      zone: null,
      lb: null,
      pool: null,
      origins: [],
      scope: 0,
      sample: scan.sample,
    };
    const query = this.#queries.build(record);
    if (typeof query === 'string') return new LineEntry(query, '', transport, null);
    return new LineEntry(query, resolverIp(record), transport, this.#views.of(record));
  }

  #badQuery(problem: string, file: string, line: number): void {
    if (this.#strict) throw new SteerError('STEER_REPLAY_BAD_LINE', [problem], { file, line });
    this.stats.records--;
    this.stats.noteBad(file, line, problem);
  }

  result(): WhatifResult {
    this.#pending.flush();
    const s = this.stats;
    return {
      log: { lines: s.lines, replayed: s.records, bad: s.bad, badLines: s.badLines, spanSeconds: s.spanSeconds() },
      ...this.#tally.result(),
    };
  }
}

/** Streams `files` through a WhatifRun, line by line from their bytes. */
export async function whatifFromFiles(input: WhatifInput, files: readonly string[], strict: boolean): Promise<WhatifResult> {
  const run = new WhatifRun(input, strict);
  for (const file of files) await readLineBytes(file, (buf, start, end, line) => run.addLine(buf, start, end, file, line));
  return run.result();
}
