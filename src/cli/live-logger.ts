// A logger whose level a SIGHUP can change: pino children copy their level when created, so
// every child is remembered (weakly) and follows the root, except the ones pinned to a level of
// their own (the query log logs at info whatever the level).
import { pino, type Logger } from 'pino';

export interface LiveLogger {
  readonly logger: Logger;
  /** `child` keeps its own level from now on. */
  pin(child: Logger): Logger;
  setLevel(level: string): void;
}

export function createLiveLogger(level: string): LiveLogger {
  const children = new Set<WeakRef<Logger>>();
  const pinned = new WeakSet<Logger>();
  const logger = pino({ level, base: { app: 'steerdns' }, onChild: (child) => void children.add(new WeakRef(child)) });
  return {
    logger,
    pin(child) {
      pinned.add(child);
      return child;
    },
    setLevel(next) {
      logger.level = next;
      for (const ref of children) {
        const child = ref.deref();
        if (child === undefined) children.delete(ref);
        else if (!pinned.has(child)) child.level = next;
      }
    },
  };
}
