// A logger that keeps every line it writes, for tests that check what an operator is told.
import { pino } from 'pino';
import type { Logger } from '../../src/server/logger.js';

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Array<Record<string, unknown>>;
}

export function captureLogger(level = 'info'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines: () => lines };
}
