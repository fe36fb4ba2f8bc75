// The one way tests wait for something: poll an observable condition until it holds, with a
// deadline. A fixed sleep either wastes time or, on a loaded machine, is too short.

export interface EventuallyOptions {
  /** Give up (and throw, naming `what`) after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Time between checks. Default 10 ms. */
  readonly intervalMs?: number;
}

/**
 * Calls `check` until it returns a truthy value, and returns that value. A check that throws
 * counts as "not yet" (a server still starting refuses connections); after the deadline the
 * error names `what` and the last value or error seen.
 */
export async function eventually<T>(what: string, check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 5000, intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
