// A binary min-heap on `due` that knows where each item sits, so an item can be removed or
// re-keyed in O(log n). The prober keeps every target in one of these and runs a single timer
// for the earliest due time, instead of one timer per target.

export interface DueItem {
  due: number;
  /** Position in the heap; -1 when not queued. Owned by DueQueue. */
  heapIndex: number;
}

export class DueQueue<T extends DueItem> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.#items[item.heapIndex] === item;
  }

  push(item: T): void {
    if (this.has(item)) {
      this.update(item);
      return;
    }
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): boolean {
    if (!this.has(item)) return false;
    const index = item.heapIndex;
    const last = this.#items.pop() as T;
    item.heapIndex = -1;
    if (last !== item) {
      this.#items[index] = last;
      last.heapIndex = index;
      this.#down(index);
      this.#up(last.heapIndex);
    }
    return true;
  }

  /** Restores order after `item.due` changed. */
  update(item: T): void {
    if (!this.has(item)) return;
    this.#up(item.heapIndex);
    this.#down(item.heapIndex);
  }

  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items = [];
  }

  #up(index: number): void {
    const items = this.#items;
    const item = items[index] as T;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (parent.due <= item.due) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  #down(index: number): void {
    const items = this.#items;
    const length = items.length;
    const item = items[index] as T;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && (items[right] as T).due < (items[left] as T).due) child = right;
      const childItem = items[child] as T;
      if (childItem.due >= item.due) break;
      items[index] = childItem;
      childItem.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
