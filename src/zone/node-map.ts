// Zone.nodes: name → node, split over several Maps once a zone is big. A single JS Map doubles
// its table in one step when it grows (about 50 ms at half a million entries on a small
// machine), a pause a reload that builds the zone bit by bit between queries cannot break up.
// Shards of a few thousand entries each grow in well under a millisecond.
//
// Filled while a zone is built, then sealed: after seal() the map is read-only.
import type { ZoneNode } from './types.js';

/** Names per shard the map is sized for. */
const SHARD_TARGET = 65536;
const MAX_SHARDS = 4096;

/** FNV-1a over the name's characters, so names that differ anywhere land apart. */
function shardOf(name: string, mask: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) & mask;
}

function refuse(): never {
  throw new TypeError('this collection is frozen');
}

export class NodeMap<V = ZoneNode> implements ReadonlyMap<string, V> {
  readonly #shards: Map<string, V>[];
  readonly #mask: number;
  #sealed = false;

  /** `expected`: about how many names the zone will have (it may end up with more). */
  constructor(expected: number) {
    let count = 1;
    while (count < MAX_SHARDS && count * SHARD_TARGET < expected) count *= 2;
    this.#shards = [];
    for (let i = 0; i < count; i++) this.#shards.push(new Map());
    this.#mask = count - 1;
  }

  #shard(name: string): Map<string, V> {
    return this.#shards[this.#mask === 0 ? 0 : shardOf(name, this.#mask)]!;
  }

  get(name: string): V | undefined {
    return this.#shard(name).get(name);
  }

  has(name: string): boolean {
    return this.#shard(name).has(name);
  }

  get size(): number {
    let n = 0;
    for (const shard of this.#shards) n += shard.size;
    return n;
  }

  /** The node of `name`, added with `make` when there is none yet (while the zone is built). */
  getOrAdd(name: string, make: (name: string) => V): V {
    const shard = this.#shard(name);
    let node = shard.get(name);
    if (node === undefined) {
      if (this.#sealed) refuse();
      node = make(name);
      shard.set(name, node);
    }
    return node;
  }

  /** Adds or replaces a node while the zone is being built. */
  put(name: string, node: V): void {
    if (this.#sealed) refuse();
    this.#shard(name).set(name, node);
  }

  /** The map is complete: from now on it cannot change. */
  seal(): this {
    this.#sealed = true;
    Object.freeze(this);
    return this;
  }

  // A ReadonlyMap has no mutators; these are here so that code treating the map as a Map fails
  // loudly instead of writing.
  set(): never {
    return refuse();
  }
  delete(): never {
    return refuse();
  }
  clear(): never {
    return refuse();
  }

  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const shard of this.#shards) for (const [name, node] of shard) cb.call(thisArg, node, name, this);
  }

  *entries(): MapIterator<[string, V]> {
    for (const shard of this.#shards) yield* shard.entries();
  }

  *keys(): MapIterator<string> {
    for (const shard of this.#shards) yield* shard.keys();
  }

  *values(): MapIterator<V> {
    for (const shard of this.#shards) yield* shard.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}
