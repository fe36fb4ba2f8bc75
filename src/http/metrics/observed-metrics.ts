// Counted as they happen, off the query path: health probe durations (SteerMetrics wraps
// HealthTable.report, the one place every probe result passes through) and reload outcomes.
// Only a process that probes and reloads has these (not a cluster worker).
import { CellHistogram } from '../cell-histogram.js';
import type { MetricRow } from './registry-table.js';

export interface ObservedCounts {
  readonly probeDuration: CellHistogram<'target'>;
  /** Reloads after the first load, by outcome; both series exist from the start. */
  readonly reloads: { ok: number; failed: number };
}

export function observedCounts(): ObservedCounts {
  return {
    probeDuration: new CellHistogram(['target'], [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    reloads: { ok: 0, failed: 0 },
  };
}

export const OBSERVED_ROWS: readonly MetricRow<ObservedCounts>[] = [
  {
    name: 'steerdns_probe_duration_seconds',
    help: 'Health probe durations per target (monitor@address:port), retries included.',
    type: 'histogram',
    labels: ['target'],
    read: (o, emit) => o.probeDuration.read(emit),
  },
  {
    name: 'steerdns_reloads_total',
    help: 'Configuration reloads after the first load; "failed" when any file was rejected (its previous version keeps serving).',
    type: 'counter',
    labels: ['result'],
    read(o, emit) {
      emit({ result: 'ok' }, o.reloads.ok);
      emit({ result: 'failed' }, o.reloads.failed);
    },
  },
];
