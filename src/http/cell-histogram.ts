// A Prometheus histogram for the query path. prom-client's Histogram hashes its labels into a
// string on every observe(); here a label combination is a cell created once (callers keep
// it), observing is a short scan over the bucket bounds, and the text exposition is produced
// from the cells when /metrics is scraped.
import type { Registry } from 'prom-client';

export interface HistogramCell {
  /** Non-cumulative count per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface LabelledCell extends HistogramCell {
  readonly labels: Readonly<Record<string, string>>;
}

interface ExportedValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

export class CellHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: Float64Array;
  readonly #labelNames: readonly L[];
  readonly #cells = new Map<string, LabelledCell>();

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.#labelNames = labelNames;
    this.#bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    // prom-client's registry accepts any object with name, help, type and get().
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  cell(labels: Readonly<Record<L, string>>): HistogramCell {
    const key = this.#labelNames.map((n) => labels[n]).join('\u0000');
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

  /** What prom-client's registry renders: cumulative buckets, then _sum and _count. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    for (const cell of this.#cells.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += cell.counts[i]!;
        const le = i < this.#bounds.length ? this.#bounds[i]! : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { ...cell.labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { ...cell.labels }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...cell.labels }, value: cell.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
