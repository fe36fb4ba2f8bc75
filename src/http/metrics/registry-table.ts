// Metrics as a table: one row per metric (name, help, type, label names, reader). A row becomes
// one object on a prom-client Registry whose values are read when /metrics is scraped, so
// nothing is computed between scrapes and the per-query path only bumps plain numbers (see
// cell-counter.ts, cell-histogram.ts). prom-client's registry renders any object with name,
// help, type, aggregator and get(); AggregatorRegistry sums these like its own metrics.
import type { Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string | number>>;

/** One series: labels and value; histograms name their _bucket, _sum and _count series. */
export type Emit = (labels: Labels, value: number, suffix?: '_bucket' | '_sum' | '_count') => void;

export interface MetricRow<S> {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Label names every series carries (a histogram's "le" comes on top). */
  readonly labels: readonly string[];
  /** How a cluster's primary combines its workers' values (prom-client's default: "sum"). */
  readonly aggregator?: 'sum' | 'max';
  /** Emits the current series; not called while the source is absent (no server attached). */
  readonly read: (source: S, emit: Emit) => void;
}

/** A row without its reader: what a metric is, for the tests and docs that list them. */
export type MetricDescription = Pick<MetricRow<unknown>, 'name' | 'help' | 'type' | 'labels' | 'aggregator'>;

interface ExportedValue {
  readonly metricName?: string;
  readonly labels: Labels;
  readonly value: number;
}

const NO_LABELS: Labels = Object.freeze({});

class TableMetric<S> {
  readonly name: string;
  readonly help: string;
  readonly type: MetricRow<S>['type'];
  readonly aggregator: 'sum' | 'max';
  readonly #row: MetricRow<S>;
  readonly #source: () => S | null;

  constructor(row: MetricRow<S>, source: () => S | null) {
    this.name = row.name;
    this.help = row.help;
    this.type = row.type;
    this.aggregator = row.aggregator ?? 'sum';
    this.#row = row;
    this.#source = source;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    const name = this.name;
    const source = this.#source();
    if (source !== null) {
      this.#row.read(source, (labels, value, suffix) => {
        values.push(suffix === undefined ? { labels, value } : { metricName: `${name}${suffix}`, labels, value });
      });
    }
    // As prom-client does: a counter or gauge without labels always has its one series.
    if (values.length === 0 && this.#row.labels.length === 0 && this.type !== 'histogram') values.push({ labels: NO_LABELS, value: 0 });
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** Registers every row of `rows` on `registry`, read from `source()` when scraped; returns the rows. */
export function registerTable<S>(registry: Registry, rows: readonly MetricRow<S>[], source: () => S | null): readonly MetricDescription[] {
  for (const row of rows) registry.registerMetric(new TableMetric(row, source) as unknown as Parameters<Registry['registerMetric']>[0]);
  return rows;
}
