// DNSSEC online signing, read from the running server's pipeline when scraped (in a cluster, from
// each worker, summed by the primary): signatures made, the signature cache, sign latency.
import { SIGN_LATENCY_BUCKETS } from '../../dnssec/signer.js';
import type { RunningServer } from '../../server/server.js';
import type { MetricRow } from './registry-table.js';

export const DNSSEC_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_dnssec_signatures_total',
    help: 'RRSIG records made (one per active key for each RRset signed).',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.pipeline.signer.stats.signatures),
  },
  {
    name: 'steerdns_dnssec_cache_lookups_total',
    help: 'Signature cache lookups for DO=1 answers, by result ("hit": signatures reused, "miss": the RRset was signed).',
    type: 'counter',
    labels: ['result'],
    read(s, emit) {
      const st = s.pipeline.signer.stats;
      emit({ result: 'hit' }, st.hits);
      emit({ result: 'miss' }, st.misses);
    },
  },
  {
    name: 'steerdns_dnssec_cache_evictions_total',
    help: 'Signed RRsets dropped from the signature cache to stay within --signature-cache.',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.pipeline.signer.stats.evictions),
  },
  {
    name: 'steerdns_dnssec_cache_entries',
    help: 'Signed RRsets in the signature cache.',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.pipeline.signer.size),
  },
  {
    name: 'steerdns_dnssec_sign_seconds',
    help: 'Time to make one signature, by algorithm (13 ECDSAP256SHA256, 15 ED25519; cache misses only).',
    type: 'histogram',
    labels: ['algorithm'],
    read(s, emit) {
      for (const [algorithm, cells] of Object.entries(s.pipeline.signer.stats.latency)) {
        let cumulative = 0;
        SIGN_LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += cells.counts[i]!;
          emit({ algorithm, le }, cumulative, '_bucket');
        });
        cumulative += cells.counts[SIGN_LATENCY_BUCKETS.length]!;
        emit({ algorithm, le: '+Inf' }, cumulative, '_bucket');
        emit({ algorithm }, cells.seconds, '_sum');
        emit({ algorithm }, cumulative, '_count');
      }
    },
  },
];
