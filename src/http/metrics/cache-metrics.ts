// The packet cache, read from the running server's pipeline when scraped (in a cluster, from each
// worker, summed by the primary): lookups by result and answers kept.
import type { RunningServer } from '../../server/server.js';
import type { MetricRow } from './registry-table.js';

export const CACHE_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_packet_cache_lookups_total',
    help: 'UDP queries looked up in the packet cache, by result ("hit": answered from it, "miss": answered on the full path).',
    type: 'counter',
    labels: ['result'],
    read(s, emit) {
      const st = s.pipeline.packetCacheStats();
      emit({ result: 'hit' }, st.hits);
      emit({ result: 'miss' }, st.misses);
    },
  },
  {
    name: 'steerdns_packet_cache_entries',
    help: 'Answers the packet cache keeps (at most --packet-cache; a new serving state empties it).',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.pipeline.packetCacheStats().entries),
  },
];
