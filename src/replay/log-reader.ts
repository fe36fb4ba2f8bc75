// Streams query records from log files, one line at a time: memory stays bounded whatever the
// size of the log. A line that is not a record is counted and reported with file:line; only
// `strict` makes it fatal. Files ending in .gz are decompressed on the fly.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { SteerError } from '../errors.js';
import { parseRecord, type QueryRecord } from './record.js';

export interface BadLine {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

/** Bad lines kept with their text position; the rest are only counted. */
export const MAX_BAD_LINES_KEPT = 50;

export class LogStats {
  lines = 0;
  records = 0;
  bad = 0;
  readonly badLines: BadLine[] = [];
  /** Earliest and latest record time (epoch ms). */
  firstTs = Number.POSITIVE_INFINITY;
  lastTs = Number.NEGATIVE_INFINITY;

  /** A record read, at `ts`. */
  noteRecord(ts: number): void {
    this.records++;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
  }

  noteBad(file: string, line: number, problem: string): void {
    this.bad++;
    if (this.badLines.length < MAX_BAD_LINES_KEPT) this.badLines.push({ file, line, problem });
  }

  /** Seconds the log spans (at least 1, so rates stay finite for a tiny log). */
  spanSeconds(): number {
    return this.records === 0 ? 1 : Math.max(1, (this.lastTs - this.firstTs) / 1000);
  }
}

/**
 * Calls `each` for every record of `files` in order. Blank lines are skipped silently. Throws
 * a SteerError for an unreadable file, and for the first bad line when `strict`.
 */
export async function readRecords(
  files: readonly string[],
  stats: LogStats,
  strict: boolean,
  each: (record: QueryRecord, file: string, line: number) => void,
): Promise<void> {
  for (const file of files) {
    const raw = createReadStream(file);
    const opened = new Promise<void>((resolve, reject) => {
      raw.once('open', () => resolve());
      raw.once('error', (err) => reject(new SteerError('STEER_REPLAY_LOG', [file, err.message])));
    });
    await opened;
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    try {
      for await (const text of lines) takeLine(text, file, ++n, stats, strict, each);
    } catch (err) {
      raw.destroy();
      if (err instanceof SteerError) throw err;
      throw new SteerError('STEER_REPLAY_LOG', [file, (err as Error).message]);
    }
  }
}

/**
 * One line of a log as text: skipped when blank, else counted, parsed and handed to `each` as
 * a record, or noted as bad (thrown when `strict`).
 */
export function takeLine(
  text: string,
  file: string,
  line: number,
  stats: LogStats,
  strict: boolean,
  each: (record: QueryRecord, file: string, line: number) => void,
): void {
  if (text.length === 0 || text.trim() === '') return;
  stats.lines++;
  const parsed = parseRecord(text);
  if ('problem' in parsed) {
    if (strict) throw new SteerError('STEER_REPLAY_BAD_LINE', [parsed.problem], { file, line });
    stats.noteBad(file, line, parsed.problem);
    return;
  }
  const r = parsed.record;
  stats.noteRecord(r.ts);
  each(r, file, line);
}
