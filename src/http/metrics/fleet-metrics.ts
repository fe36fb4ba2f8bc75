// Fleet mode (src/fleet): membership, store contact and what this node probes. Registered only
// when the node runs in a fleet.
import type { Fleet } from '../../fleet/fleet.js';
import type { MetricRow } from './registry-table.js';

export const FLEET_ROWS: readonly MetricRow<Fleet>[] = [
  {
    name: 'steerdns_fleet_members',
    help: 'Live fleet members per site, as this node sees them (itself included).',
    type: 'gauge',
    labels: ['site'],
    read: (f, emit) => {
      const bySite = new Map<string, number>();
      for (const m of f.members()) bySite.set(m.site, (bySite.get(m.site) ?? 0) + 1);
      for (const [site, n] of bySite) emit({ site }, n);
    },
  },
  {
    name: 'steerdns_fleet_config_mismatch',
    help: "Live members whose zone and LB files (config fingerprint) differ from this node's.",
    type: 'gauge',
    labels: [],
    read: (f, emit) => emit({}, f.mismatches()),
  },
  {
    name: 'steerdns_fleet_store_reachable',
    help: '1 while the last contact with etcd succeeded.',
    type: 'gauge',
    labels: [],
    read: (f, emit) => emit({}, f.store.stats().reachable ? 1 : 0),
  },
  {
    name: 'steerdns_fleet_degraded',
    help: '1 when etcd has been unreachable for longer than --fleet-grace: this node probes everything and decides alone.',
    type: 'gauge',
    labels: [],
    read: (f, emit) => emit({}, f.degraded ? 1 : 0),
  },
  {
    name: 'steerdns_fleet_probing_targets',
    help: 'Targets this node probes now (its share by rendezvous hashing, or all when degraded).',
    type: 'gauge',
    labels: [],
    read: (f, emit) => emit({}, f.probing().size),
  },
  {
    name: 'steerdns_fleet_store_writes_total',
    help: 'Writes this node made to etcd (heartbeats and observation changes).',
    type: 'counter',
    labels: [],
    read: (f, emit) => emit({}, f.store.stats().writes),
  },
];
