// A histogram for the query path. prom-client's Histogram hashes its labels into a string on
// every observe(); here a label combination is a cell created once (callers keep it), observing
// is a short scan over the bucket bounds into a typed array, and the series are produced from
// the cells when /metrics is scraped (a row of the metrics table: metrics/registry-table.ts).
import type { Emit } from './metrics/registry-table.js';

export interface HistogramCell {
  /** Non-cumulative count per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface LabelledCell extends HistogramCell {
  readonly labels: Readonly<Record<string, string>>;
}

export class CellHistogram<L extends string> {
  readonly labelNames: readonly L[];
  readonly #bounds: Float64Array;
  readonly #cells = new Map<string, LabelledCell>();

  constructor(labelNames: readonly L[], buckets: readonly number[]) {
    this.labelNames = labelNames;
    this.#bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
  }

  cell(labels: Readonly<Record<L, string>>): HistogramCell {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = { counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0, labels: { ...labels } };
      this.#cells.set(key, cell);
    }
    return cell;
  }

  observe(cell: HistogramCell, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    cell.counts[i]!++;
    cell.sum += value;
    cell.count++;
  }

  /** What Prometheus expects of a histogram: cumulative buckets, then _sum and _count. */
  read(emit: Emit): void {
    const bounds = this.#bounds;
    for (const cell of this.#cells.values()) {
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += cell.counts[i]!;
        emit({ ...cell.labels, le: i < bounds.length ? bounds[i]! : '+Inf' }, cumulative, '_bucket');
      }
      emit(cell.labels, cell.sum, '_sum');
      emit(cell.labels, cell.count, '_count');
    }
  }
}
