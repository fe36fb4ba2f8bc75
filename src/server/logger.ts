import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per event on stdout (pino's default), at the requested level. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { app: 'steerdns' } });
}

/** A logger that discards everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
