// Immutable health snapshots that are cheap to derive from one another.
//
// A snapshot is a persistent 32-way trie over slot numbers plus a key → slot index shared by
// every snapshot derived from the same of(). Publishing after a change copies only the trie
// nodes on the changed slots' paths (depth 3 for up to 32k targets), so deriving a snapshot
// costs O(changes × depth) whatever the number of targets, every snapshot ever published stays
// valid, and a lookup is one map read plus `depth` array reads. Two snapshots of one lineage
// can be compared in O(changes × depth) too (changedSince): identical subtrees are skipped.
import type { HealthSnapshot, TargetHealth } from './types.js';

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

/** Inner nodes hold nodes, leaves hold TargetHealth; both are WIDTH-long arrays, never changed once published. */
type Node = (Node | TargetHealth | undefined)[];

/** What every snapshot of one lineage shares: the key set and its slot numbers. */
interface Lineage {
  readonly index: ReadonlyMap<string, number>;
  readonly keys: readonly string[];
  readonly depth: number;
}

export class TableSnapshot implements HealthSnapshot {
  readonly generation: number;
  readonly #lineage: Lineage;
  readonly #root: Node;

  private constructor(generation: number, lineage: Lineage, root: Node) {
    this.generation = generation;
    this.#lineage = lineage;
    this.#root = root;
    Object.freeze(this);
  }

  /** A snapshot holding exactly `entries` (the last one wins for a repeated key). */
  static of(generation: number, entries: Iterable<readonly [string, TargetHealth]>): TableSnapshot {
    const index = new Map<string, number>();
    const keys: string[] = [];
    const values: TargetHealth[] = [];
    for (const [key, health] of entries) {
      const slot = index.get(key);
      if (slot !== undefined) {
        values[slot] = health;
        continue;
      }
      index.set(key, keys.length);
      keys.push(key);
      values.push(health);
    }
    let depth = 1;
    while (WIDTH ** depth < keys.length) depth++;
    return new TableSnapshot(generation, { index, keys, depth }, buildNode(values, 0, depth));
  }

  get(key: string): TargetHealth | undefined {
    const slot = this.#lineage.index.get(key);
    if (slot === undefined) return undefined;
    let node = this.#root;
    for (let shift = (this.#lineage.depth - 1) * BITS; shift > 0; shift -= BITS) {
      node = node[(slot >>> shift) & MASK] as Node;
    }
    return node[slot & MASK] as TargetHealth | undefined;
  }

  isUp(key: string): boolean {
    return this.get(key)?.up ?? true;
  }

  get size(): number {
    return this.#lineage.keys.length;
  }

  /**
   * The next generation (or `generation`, e.g. a mirror following another table) with `changes`
   * applied: O(changes × depth). A key the snapshot does not hold starts a new lineage (O(n),
   * like of()): the key set normally changes through of().
   */
  with(changes: ReadonlyMap<string, TargetHealth>, generation = this.generation + 1): TableSnapshot {
    const { index, depth } = this.#lineage;
    for (const key of changes.keys()) {
      if (!index.has(key)) {
        const entries = new Map<string, TargetHealth>();
        for (const k of this.#lineage.keys) entries.set(k, this.get(k)!);
        for (const [k, h] of changes) entries.set(k, h);
        return TableSnapshot.of(generation, entries);
      }
    }
    // Nodes copied by this call; a second change under the same node writes into the copy.
    const fresh = new Set<Node>();
    const copy = (node: Node): Node => {
      if (fresh.has(node)) return node;
      const c = node.slice();
      fresh.add(c);
      return c;
    };
    const root = copy(this.#root);
    for (const [key, health] of changes) {
      const slot = index.get(key)!;
      let node = root;
      for (let shift = (depth - 1) * BITS; shift > 0; shift -= BITS) {
        const i = (slot >>> shift) & MASK;
        const child = copy(node[i] as Node);
        node[i] = child;
        node = child;
      }
      node[slot & MASK] = health;
    }
    return new TableSnapshot(generation, this.#lineage, root);
  }

  /**
   * Keys whose entry differs between `older` and this snapshot (by identity: a re-published
   * equal entry counts as changed), in O(changes × depth); null when `older` is not of this
   * lineage (another key set), and the caller has to compare key by key.
   */
  changedSince(older: HealthSnapshot): string[] | null {
    if (!(older instanceof TableSnapshot) || older.#lineage !== this.#lineage) return null;
    const out: string[] = [];
    const keys = this.#lineage.keys;
    const walk = (a: Node, b: Node, level: number, base: number): void => {
      if (a === b) return;
      if (level === 0) {
        for (let i = 0; i < WIDTH; i++) if (a[i] !== b[i]) out.push(keys[base + i]!);
        return;
      }
      const span = WIDTH ** level;
      for (let i = 0; i < WIDTH; i++) {
        const x = a[i] as Node | undefined;
        const y = b[i] as Node | undefined;
        if (x !== y && x !== undefined && y !== undefined) walk(x, y, level - 1, base + i * span);
      }
    };
    walk(older.#root, this.#root, this.#lineage.depth - 1, 0);
    return out;
  }
}

/** The subtree of `level` levels holding values[start …]; slots past the end stay empty. */
function buildNode(values: readonly TargetHealth[], start: number, level: number): Node {
  const node: Node = new Array(WIDTH);
  if (level === 1) {
    for (let i = 0; i < WIDTH && start + i < values.length; i++) node[i] = values[start + i];
    return node;
  }
  const span = WIDTH ** (level - 1);
  for (let i = 0; i < WIDTH && start + i * span < values.length; i++) node[i] = buildNode(values, start + i * span, level - 1);
  return node;
}
