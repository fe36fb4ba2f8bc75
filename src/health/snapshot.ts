// Immutable health snapshots that are cheap to derive from one another.
//
// A snapshot is a frozen `base` map plus a small `overlay` of entries changed since the base was
// built. Publishing after one change copies only the overlay; when the overlay outgrows
// ~sqrt(2N) entries it is folded into a fresh base. So a burst of failures across N targets
// costs O(sqrt N) per change instead of O(N), and a lookup is at most two map reads.
import type { HealthSnapshot, TargetHealth } from './types.js';

const EMPTY: ReadonlyMap<string, TargetHealth> = new Map();

export class TableSnapshot implements HealthSnapshot {
  readonly generation: number;
  readonly #base: ReadonlyMap<string, TargetHealth>;
  readonly #overlay: ReadonlyMap<string, TargetHealth>;

  private constructor(generation: number, base: ReadonlyMap<string, TargetHealth>, overlay: ReadonlyMap<string, TargetHealth>) {
    this.generation = generation;
    this.#base = base;
    this.#overlay = overlay;
    Object.freeze(this);
  }

  /** A snapshot holding exactly `entries`. */
  static of(generation: number, entries: Iterable<readonly [string, TargetHealth]>): TableSnapshot {
    return new TableSnapshot(generation, new Map(entries), EMPTY);
  }

  get(key: string): TargetHealth | undefined {
    return this.#overlay.get(key) ?? this.#base.get(key);
  }

  isUp(key: string): boolean {
    return this.get(key)?.up ?? true;
  }

  get size(): number {
    return this.#base.size;
  }

  /**
   * The next generation with `changes` applied. Only keys already present may change (the key
   * set changes through of()), so the base's key set stays the snapshot's key set.
   */
  with(changes: ReadonlyMap<string, TargetHealth>): TableSnapshot {
    const overlay = new Map(this.#overlay);
    for (const [key, health] of changes) overlay.set(key, health);
    if (overlay.size * overlay.size <= 2 * this.#base.size || overlay.size <= 16) {
      return new TableSnapshot(this.generation + 1, this.#base, overlay);
    }
    const base = new Map(this.#base);
    for (const [key, health] of overlay) base.set(key, health);
    return new TableSnapshot(this.generation + 1, base, EMPTY);
  }
}
