// A Prometheus counter whose hot path is `cell.value++` on a plain object. prom-client's own
// `counter.labels(...).inc()` rebuilds a label-hash string on every call; for per-query
// counters that is a string per query. Here each label combination is a cell created once
// (callers cache it), and the values are copied into the prom-client counter at scrape time.
import { Counter, type Registry } from 'prom-client';

export interface Cell {
  value: number;
}

interface LabelledCell<L extends string> extends Cell {
  readonly labels: Readonly<Record<L, string>>;
}

export class CellCounter<L extends string> {
  readonly #cells = new Map<string, LabelledCell<L>>();
  readonly #labelNames: readonly L[];

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    this.#labelNames = labelNames;
    const cells = this.#cells;
    new Counter<L>({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      collect() {
        // Rebuilt from the cells on every scrape; the cells only ever grow, so this stays a counter.
        this.reset();
        for (const cell of cells.values()) this.inc(cell.labels, cell.value);
      },
    });
  }

  /** The cell for one label combination; the same object every time. Not for per-query use: cache it. */
  cell(labels: Readonly<Record<L, string>>): Cell {
    const key = this.#labelNames.map((n) => labels[n]).join('\u0000');
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = { value: 0, labels: { ...labels } };
      this.#cells.set(key, cell);
    }
    return cell;
  }
}
