// A counter whose hot path is `cell.value++` on a plain object. prom-client's own
// `counter.labels(...).inc()` rebuilds a label-hash string on every call; for per-query
// counters that is a string per query. Here each label combination is a cell created once
// (callers cache it), and the cells are read when /metrics is scraped (a row of the metrics
// table: metrics/registry-table.ts).
import type { Emit } from './metrics/registry-table.js';

export interface Cell {
  value: number;
}

interface LabelledCell<L extends string> extends Cell {
  readonly labels: Readonly<Record<L, string>>;
}

export class CellCounter<L extends string> {
  readonly labelNames: readonly L[];
  readonly #cells = new Map<string, LabelledCell<L>>();

  constructor(labelNames: readonly L[]) {
    this.labelNames = labelNames;
  }

  /** The cell for one label combination; the same object every time. Not for per-query use: cache it. */
  cell(labels: Readonly<Record<L, string>>): Cell {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = { value: 0, labels: { ...labels } };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  /** Every cell's value; cells only ever grow, so the series stay counters. */
  read(emit: Emit): void {
    for (const cell of this.#cells.values()) emit(cell.labels, cell.value);
  }
}
