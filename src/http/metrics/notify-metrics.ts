// Webhook notifications and external health files, read from the running server when scraped.
import type { RunningServer } from '../../server/server.js';
import type { MetricRow } from './registry-table.js';

const RESULTS = ['delivered', 'failed', 'retried', 'dropped', 'coalesced'] as const;

export const NOTIFY_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_notifications_total',
    help: 'Webhook notifications per receiver and result: delivered, failed (retries exhausted), retried (attempts that failed and were tried again), dropped (queue full), coalesced (merged into a later message).',
    type: 'counter',
    labels: ['zone', 'receiver', 'result'],
    read(s, emit) {
      for (const d of s.notifier.stats()) {
        for (const result of RESULTS) emit({ zone: d.zone, receiver: d.receiver, result }, d[result]);
      }
    },
  },
  {
    name: 'steerdns_notifications_pending',
    help: 'Webhook messages waiting per receiver (queued, retrying or held in a coalescing window).',
    type: 'gauge',
    labels: ['zone', 'receiver'],
    read(s, emit) {
      for (const d of s.notifier.stats()) emit({ zone: d.zone, receiver: d.receiver }, d.pending);
    },
  },
  {
    name: 'steerdns_health_file_ok',
    help: 'External health files: 1 when the last read applied, 0 when it was rejected (the last good contents keep applying).',
    type: 'gauge',
    labels: ['file'],
    read(s, emit) {
      for (const f of s.external.files()) emit({ file: f.path }, f.ok ? 1 : 0);
    },
  },
];
