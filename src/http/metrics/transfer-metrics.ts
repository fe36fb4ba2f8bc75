// Zone transfers (src/xfr): requests and NOTIFYs by zone, kind and outcome, read from the
// transfer service's counters when scraped.
import type { RunningServer } from '../../server/server.js';
import type { MetricRow } from './registry-table.js';

export const TRANSFER_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_transfers_total',
    help: 'Zone transfer requests (kind axfr, ixfr) and NOTIFYs sent (kind notify), by zone and outcome.',
    type: 'counter',
    labels: ['zone', 'kind', 'outcome'],
    read: (s, emit) => {
      for (const c of s.transfers?.counters() ?? [])
        emit({ zone: c.zone === '' ? '-' : c.zone, kind: c.kind, outcome: c.outcome }, c.count);
    },
  },
];
