// The external health file (like gdnsd's extfile): one line per origin, written by scripts or
// another monitoring system, read whole whenever it changes.
//
//   # comment lines and blank lines are ignored
//   web-1   up
//   web-2   down   drained for kernel upgrade      ← the rest of the line is the reason
//
// A file with any bad line is rejected as a whole (the previous contents keep applying), and
// the error names file:line.
import { type SteerError, steerError } from '../errors.js';

export interface HealthFileEntry {
  readonly origin: string;
  readonly up: boolean;
  readonly reason: string;
  readonly line: number;
}

export type HealthFileParse = { readonly entries: readonly HealthFileEntry[] } | { readonly error: SteerError };

const LINE = /^(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/;
const MAX_REASON = 200;

export function parseHealthFile(text: string, file: string): HealthFileParse {
  const entries: HealthFileEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) continue;
    const line = i + 1;
    const bad = (why: string): HealthFileParse => ({ error: steerError('STEER_HEALTH_FILE', [why], { file, line }) });
    const m = LINE.exec(content);
    if (m === null) return bad(`expected "ORIGIN up|down [reason]", got "${content.slice(0, 60)}"`);
    const [, origin, state, reason] = m;
    const lower = state!.toLowerCase();
    if (lower !== 'up' && lower !== 'down') return bad(`state must be up or down, not "${state!.slice(0, 20)}"`);
    const first = seen.get(origin!);
    if (first !== undefined) return bad(`origin "${origin}" is already listed on line ${first}`);
    seen.set(origin!, line);
    const why = (reason ?? '').replace(/\p{Cc}/gu, ' ').slice(0, MAX_REASON);
    entries.push({ origin: origin!, up: lower === 'up', reason: why === '' ? `health file: ${lower}` : why, line });
  }
  return { entries };
}
