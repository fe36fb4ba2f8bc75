// What the sockets count (TCP limits, response rate limiting), read from the running server
// when scraped: in a cluster, from each worker, summed by the primary.
import type { RunningServer } from '../../server/server.js';
import type { MetricRow } from './registry-table.js';

export const TRANSPORT_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_tcp_connections',
    help: 'Open DNS-over-TCP connections.',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.tcpConnections()),
  },
  {
    name: 'steerdns_tcp_accepted_total',
    help: 'DNS-over-TCP connections accepted.',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.tcpStats().accepted),
  },
  {
    name: 'steerdns_tcp_refused_total',
    help: 'DNS-over-TCP connections refused: "per_client" (the address held --tcp-max-per-client), "full" (every slot busy writing replies).',
    type: 'counter',
    labels: ['reason'],
    read(s, emit) {
      const t = s.tcpStats();
      emit({ reason: 'per_client' }, t.refusedPerClient);
      emit({ reason: 'full' }, t.refusedFull);
    },
  },
  {
    name: 'steerdns_tcp_closed_total',
    help: 'DNS-over-TCP connections closed by a limit: "evicted" (room for a new one), "idle_timeout", "message_timeout" (a message too slow to arrive), "query_limit" (--tcp-max-queries answered).',
    type: 'counter',
    labels: ['reason'],
    read(s, emit) {
      const t = s.tcpStats();
      emit({ reason: 'evicted' }, t.evicted);
      emit({ reason: 'idle_timeout' }, t.idleTimeouts);
      emit({ reason: 'message_timeout' }, t.messageTimeouts);
      emit({ reason: 'query_limit' }, t.queryLimit);
    },
  },
  // Response rate limiting: the counters stay at 0 while RRL is off (steerdns_rrl_enabled 0).
  {
    name: 'steerdns_rrl_enabled',
    help: '1 when UDP response rate limiting is on (--rrl-rate above 0).',
    type: 'gauge',
    labels: [],
    // A cluster's primary sums its workers' metrics: on in any worker is on.
    aggregator: 'max',
    read: (s, emit) => emit({}, s.rrl ? 1 : 0),
  },
  {
    name: 'steerdns_rrl_responses_total',
    help: 'UDP responses checked by response rate limiting.',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.rrl?.stats().responses ?? 0),
  },
  {
    name: 'steerdns_rrl_limited_total',
    help: 'UDP responses over the rate limit, by action ("slip": sent as a TC=1 stub, "drop": not sent) and response class (positive, nodata, nxdomain, referral, error).',
    type: 'counter',
    labels: ['action', 'class'],
    read(s, emit) {
      for (const [cls, n] of Object.entries(s.rrl?.stats().byClass ?? {})) {
        emit({ action: 'slip', class: cls }, n.slipped);
        emit({ action: 'drop', class: cls }, n.dropped);
      }
    },
  },
  {
    name: 'steerdns_rrl_exempt_total',
    help: 'UDP responses to --rrl-exempt networks (never limited).',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.rrl?.stats().exempt ?? 0),
  },
  {
    name: 'steerdns_rrl_evictions_total',
    help: 'Rate-limit buckets still counting that were taken over for another client network (the table is too small for the traffic).',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.rrl?.stats().evicted ?? 0),
  },
  {
    name: 'steerdns_rrl_buckets',
    help: 'Rate-limit buckets in use, by state ("used", and the table\'s "capacity").',
    type: 'gauge',
    labels: ['state'],
    read(s, emit) {
      const st = s.rrl?.stats();
      if (!st) return;
      emit({ state: 'used' }, st.buckets);
      emit({ state: 'capacity' }, st.capacity);
    },
  },
  // The UDP I/O path (--udp-io): which one each listener uses, and the batched path's counters
  // (0 on node:dgram, which keeps none of its own).
  {
    name: 'steerdns_udp_listeners',
    help: 'UDP listeners by I/O path: "batch" (recvmmsg/sendmmsg through the native addon) or "dgram" (node:dgram).',
    type: 'gauge',
    labels: ['io'],
    read(s, emit) {
      const io = s.udpIo();
      emit({ io: 'batch' }, io.filter((x) => x === 'batch').length);
      emit({ io: 'dgram' }, io.filter((x) => x === 'dgram').length);
    },
  },
  {
    name: 'steerdns_udp_batches_total',
    help: 'Batches the batched UDP path read (one recvmmsg and one JavaScript call each); datagrams received / batches is the average batch size.',
    type: 'counter',
    labels: [],
    read: (s, emit) => emit({}, s.udpStats()?.batches ?? 0),
  },
  {
    name: 'steerdns_udp_batch_datagrams_total',
    help: 'Datagrams through the batched UDP path, by direction ("received", "sent").',
    type: 'counter',
    labels: ['direction'],
    read(s, emit) {
      const u = s.udpStats();
      emit({ direction: 'received' }, u?.received ?? 0);
      emit({ direction: 'sent' }, u?.sent ?? 0);
    },
  },
  {
    name: 'steerdns_udp_batch_syscalls_total',
    help: 'recvmmsg and sendmmsg calls of the batched UDP path, by "syscall".',
    type: 'counter',
    labels: ['syscall'],
    read(s, emit) {
      const u = s.udpStats();
      emit({ syscall: 'recvmmsg' }, u?.recvCalls ?? 0);
      emit({ syscall: 'sendmmsg' }, u?.sendCalls ?? 0);
    },
  },
  {
    name: 'steerdns_udp_batch_replies_total',
    help: 'Replies of the batched UDP path that did not go out at once: "deferred" (the socket was full; sent once it drained), "dropped" (refused by the kernel, or larger than a slot).',
    type: 'counter',
    labels: ['outcome'],
    read(s, emit) {
      const u = s.udpStats();
      emit({ outcome: 'deferred' }, u?.deferred ?? 0);
      emit({ outcome: 'dropped' }, u?.dropped ?? 0);
    },
  },
  {
    name: 'steerdns_udp_batch_pending',
    help: 'Replies of the batched UDP path waiting for a full socket to drain (reading pauses meanwhile).',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.udpStats()?.pending ?? 0),
  },
];
