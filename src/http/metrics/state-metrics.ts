// The serving state as it is when scraped: generations, readiness and each served zone.
import type { ServingState } from '../../config/state.js';
import type { RunningServer } from '../../server/server.js';
import type { Emit, MetricRow } from './registry-table.js';

type ServedZone = ServingState['origins'] extends ReadonlyMap<string, infer O> ? O : never;

/** One series per served zone. */
const perZone =
  (value: (z: ServedZone) => number) =>
  (s: RunningServer, emit: Emit): void => {
    for (const o of s.state.current.origins.values()) emit({ zone: o.origin }, value(o));
  };

export const STATE_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_config_generation',
    help: 'Bumps each time zone or load-balancer files are (re)loaded into the serving state.',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.state.current.configGeneration),
  },
  {
    name: 'steerdns_health_generation',
    help: 'Bumps on every health change the serving state has taken in.',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.state.current.health.generation),
  },
  {
    name: 'steerdns_ready',
    help: '1 once zones are loaded and the first probe round is done.',
    type: 'gauge',
    labels: [],
    read: (s, emit) => emit({}, s.isReady() && s.state.current.origins.size > 0 ? 1 : 0),
  },
  {
    name: 'steerdns_zone_serial',
    help: 'SOA serial of each served zone.',
    type: 'gauge',
    labels: ['zone'],
    read: perZone((o) => o.zone.serial),
  },
  {
    name: 'steerdns_zone_records',
    help: 'Records in each served zone file.',
    type: 'gauge',
    labels: ['zone'],
    read: perZone((o) => o.zone.recordCount),
  },
  {
    name: 'steerdns_zone_loaded_timestamp_seconds',
    help: 'When each zone was last loaded (Unix time).',
    type: 'gauge',
    labels: ['zone'],
    read: perZone((o) => o.loadedAt / 1000),
  },
];
