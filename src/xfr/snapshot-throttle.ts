// At most one snapshot serial per interval. A change inside the interval is not dropped: one
// run is scheduled at the end of it and takes whatever the state is then, so any number of
// health flaps in between costs secondaries one new serial.
export class SnapshotThrottle {
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private intervalMs: number,
    private readonly run: () => void,
    private readonly clock: () => number = Date.now,
  ) {}

  setInterval(ms: number): void {
    this.intervalMs = ms;
  }

  /** Something may have changed: run now if the last run is an interval old, else once at the end of it. */
  request(): void {
    if (this.timer !== null) return;
    const wait = this.last + this.intervalMs - this.clock();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fire();
    }, wait);
    this.timer.unref?.();
  }

  /** A run happened by another way (a reload that took a snapshot): the interval starts again. */
  ran(): void {
    this.last = this.clock();
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.last = this.clock();
    this.run();
  }
}
