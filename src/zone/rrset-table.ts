// A node's RRsets by type (ZoneNode.rrsets). Almost every node of a big zone holds one RRset,
// and a Map per node costs over 100 bytes and a hash lookup; these read-only tables hold one, or
// a few in type order, and find a type by comparing numbers. Their state is in private fields,
// so they are immutable without Object.freeze, and they have no mutators to call.
import type { RRset } from '../wire/types.js';

/** No RRsets: empty non-terminals and names that only a load balancer answers for. */
class EmptyTable implements ReadonlyMap<number, RRset> {
  get size(): number {
    return 0;
  }
  get(): RRset | undefined {
    return undefined;
  }
  has(): boolean {
    return false;
  }
  forEach(): void {}
  entries(): MapIterator<[number, RRset]> {
    return ([] as [number, RRset][]).values();
  }
  keys(): MapIterator<number> {
    return ([] as number[]).values();
  }
  values(): MapIterator<RRset> {
    return ([] as RRset[]).values();
  }
  [Symbol.iterator](): MapIterator<[number, RRset]> {
    return this.entries();
  }
}

class SingleTable implements ReadonlyMap<number, RRset> {
  readonly #type: number;
  readonly #set: RRset;
  constructor(type: number, set: RRset) {
    this.#type = type;
    this.#set = set;
  }
  get size(): number {
    return 1;
  }
  get(type: number): RRset | undefined {
    return type === this.#type ? this.#set : undefined;
  }
  has(type: number): boolean {
    return type === this.#type;
  }
  forEach(cb: (value: RRset, key: number, map: ReadonlyMap<number, RRset>) => void, thisArg?: unknown): void {
    cb.call(thisArg, this.#set, this.#type, this);
  }
  entries(): MapIterator<[number, RRset]> {
    return [[this.#type, this.#set] as [number, RRset]].values();
  }
  keys(): MapIterator<number> {
    return [this.#type].values();
  }
  values(): MapIterator<RRset> {
    return [this.#set].values();
  }
  [Symbol.iterator](): MapIterator<[number, RRset]> {
    return this.entries();
  }
}

class ListTable implements ReadonlyMap<number, RRset> {
  readonly #types: readonly number[];
  readonly #sets: readonly RRset[];
  constructor(types: readonly number[], sets: readonly RRset[]) {
    this.#types = types;
    this.#sets = sets;
  }
  get size(): number {
    return this.#types.length;
  }
  get(type: number): RRset | undefined {
    const types = this.#types;
    for (let i = 0; i < types.length; i++) if (types[i] === type) return this.#sets[i];
    return undefined;
  }
  has(type: number): boolean {
    return this.#types.includes(type);
  }
  forEach(cb: (value: RRset, key: number, map: ReadonlyMap<number, RRset>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.#types.length; i++) cb.call(thisArg, this.#sets[i]!, this.#types[i]!, this);
  }
  entries(): MapIterator<[number, RRset]> {
    return this.#types.map((t, i): [number, RRset] => [t, this.#sets[i]!]).values();
  }
  keys(): MapIterator<number> {
    return this.#types.values();
  }
  values(): MapIterator<RRset> {
    return this.#sets.values();
  }
  [Symbol.iterator](): MapIterator<[number, RRset]> {
    return this.entries();
  }
}

export const EMPTY_TABLE: ReadonlyMap<number, RRset> = Object.freeze(new EmptyTable());

/**
 * A table of RRsets; `types` must be in ascending order (lookup answers ANY with the first) and
 * `sets[i]` holds records of `types[i]`. The arrays are kept, not copied: hand over frozen ones.
 */
export function rrsetTable(types: readonly number[], sets: readonly RRset[]): ReadonlyMap<number, RRset> {
  if (types.length === 0) return EMPTY_TABLE;
  if (types.length === 1) return new SingleTable(types[0]!, sets[0]!);
  return new ListTable(types, sets);
}

/** A table of one RRset (no arrays to hand over). */
export function singleRRsetTable(type: number, set: RRset): ReadonlyMap<number, RRset> {
  return new SingleTable(type, set);
}
