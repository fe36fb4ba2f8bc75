// Calculated monitors (Route 53 calculated checks): a target whose health is derived from its
// children's, up when at least healthy_threshold of them are up. It reports into the health
// table like a probe would, so thresholds, events and snapshots work unchanged.
import type { HealthTable } from './table.js';
import type { HealthSnapshot, ProbeTarget } from './types.js';

export class CalculatedHealth {
  readonly #table: HealthTable;
  readonly #now: () => number;
  #targets: readonly ProbeTarget[] = [];
  /** Last verdict reported per key, so an unchanged verdict is not reported again. */
  #reported = new Map<string, string>();
  #evaluating = false;

  constructor(table: HealthTable, now: () => number = Date.now) {
    this.#table = table;
    this.#now = now;
    table.on('snapshot', () => this.#evaluate());
  }

  /** The calculated targets of the current configuration (others are ignored). */
  setTargets(targets: readonly ProbeTarget[]): void {
    this.#targets = targets.filter((t) => t.monitor.calculated !== undefined && t.children !== undefined);
    const keep = new Set(this.#targets.map((t) => t.key));
    for (const key of this.#reported.keys()) if (!keep.has(key)) this.#reported.delete(key);
    this.#evaluate();
  }

  #evaluate(): void {
    // A report below publishes a snapshot, which calls back here: the outer loop finishes the
    // pass, and nested calculated monitors settle because each pass reports only changes.
    if (this.#evaluating) return;
    this.#evaluating = true;
    try {
      for (let pass = 0, changed = true; changed && pass <= this.#targets.length; pass++) {
        changed = false;
        for (const t of this.#targets) if (this.#evaluateOne(t, this.#table.snapshot())) changed = true;
      }
    } finally {
      this.#evaluating = false;
    }
  }

  #evaluateOne(t: ProbeTarget, snapshot: HealthSnapshot): boolean {
    const children = t.children ?? [];
    const threshold = t.monitor.calculated?.healthyThreshold ?? children.length;
    let up = 0;
    let known = 0;
    for (const key of children) {
      const h = snapshot.get(key);
      if (h?.known) known++;
      if (h === undefined || h.up) up++;
    }
    // Until every child has a result there is nothing to say: the target stays up/unknown.
    if (known < children.length) return false;
    let ok = up >= threshold;
    if (t.monitor.invert === true) ok = !ok;
    const reason = `${up}/${children.length} children up (need ${threshold})${t.monitor.invert === true ? ', inverted' : ''}`;
    const verdict = `${ok}|${reason}`;
    if (this.#reported.get(t.key) === verdict) return false;
    this.#reported.set(t.key, verdict);
    const at = this.#now();
    this.#table.report(t.key, { ok, reason, durationMs: 0, at });
    return true;
  }
}
