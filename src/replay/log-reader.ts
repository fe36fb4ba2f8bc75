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
      for await (const text of lines) {
        n++;
        if (text.length === 0 || text.trim() === '') continue;
        stats.lines++;
        const parsed = parseRecord(text);
        if ('problem' in parsed) {
          if (strict) throw new SteerError('STEER_REPLAY_BAD_LINE', [parsed.problem], { file, line: n });
          stats.noteBad(file, n, parsed.problem);
          continue;
        }
        const r = parsed.record;
        stats.records++;
        if (r.ts < stats.firstTs) stats.firstTs = r.ts;
        if (r.ts > stats.lastTs) stats.lastTs = r.ts;
        each(r, file, n);
      }
    } catch (err) {
      raw.destroy();
      if (err instanceof SteerError) throw err;
      throw new SteerError('STEER_REPLAY_LOG', [file, (err as Error).message]);
    }
  }
}
