// Health as it is when scraped: probe counts and the up/down of targets, origins and pools.
import { evaluatePool } from '../../lb/prepare.js';
import type { RunningServer } from '../../server/server.js';
import type { MetricRow } from './registry-table.js';

export const HEALTH_ROWS: readonly MetricRow<RunningServer>[] = [
  {
    name: 'steerdns_probes_total',
    help: 'Health probes per target (monitor@address:port) and result.',
    type: 'counter',
    labels: ['target', 'result'],
    read(s, emit) {
      for (const t of s.health.stats()) {
        emit({ target: t.key, result: 'pass' }, t.probesPassed);
        emit({ target: t.key, result: 'fail' }, t.probesFailed);
      }
    },
  },
  {
    name: 'steerdns_target_up',
    help: 'Health of each probed target: 1 up, 0 down (a target not probed yet counts as up).',
    type: 'gauge',
    labels: ['target'],
    read(s, emit) {
      for (const t of s.health.stats()) emit({ target: t.key }, t.up ? 1 : 0);
    },
  },
  {
    name: 'steerdns_origin_up',
    help: 'Health of each enabled origin as steering sees it: 1 up, 0 down.',
    type: 'gauge',
    labels: ['zone', 'pool', 'origin'],
    read(s, emit) {
      const state = s.state.current;
      for (const o of state.origins.values()) {
        for (const pool of o.lb?.pools.values() ?? []) {
          for (const origin of pool.origins) {
            if (!origin.enabled) continue;
            const up = origin.healthKey === null || state.health.isUp(origin.healthKey);
            emit({ zone: o.origin, pool: pool.name, origin: origin.name }, up ? 1 : 0);
          }
        }
      }
    },
  },
  {
    name: 'steerdns_pool_healthy',
    help: 'Health of each pool: 1 when enabled and at least minimum_origins origins are up.',
    type: 'gauge',
    labels: ['zone', 'pool'],
    read(s, emit) {
      const state = s.state.current;
      for (const o of state.origins.values()) {
        for (const pool of o.lb?.pools.values() ?? []) {
          emit({ zone: o.origin, pool: pool.name }, evaluatePool(pool, state.health).healthy ? 1 : 0);
        }
      }
    },
  },
];
