// Decision memoisation in the replayer: a decision that drew no random number is remembered per
// (query, transport, resolver) and given back as is; one that drew (random origin steering) is
// decided again for every query, so its draws still follow each query's seed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../src/config/config-loader.js';
import type { OriginConfig } from '../../src/config/state.js';
import type { HealthSnapshot } from '../../src/health/types.js';
import type { QueryRecord } from '../../src/replay/record.js';
import { QueryBuilder, Replayer, servingStateOf } from '../../src/replay/replayer.js';

const ZONE = `$TTL 300
@     IN SOA ns hostmaster 1 3600 600 86400 60
      IN NS  ns
ns    IN A   192.0.2.1
`;

const LB = `
pools:
  drawn:
    origins:
      - { name: d-1, address: 192.0.2.10 }
      - { name: d-2, address: 192.0.2.11 }
  hashed:
    origin_steering: { policy: hash }
    origins:
      - { name: h-1, address: 192.0.2.20 }
      - { name: h-2, address: 192.0.2.21 }
load_balancers:
  rnd: { default_pools: [drawn] }
  hsh: { default_pools: [hashed] }
`;

const ALL_UP: HealthSnapshot = { generation: 0, get: () => undefined, isUp: () => true };

let dir: string;
let origins: ReadonlyMap<string, OriginConfig>;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-memo-'));
  fs.writeFileSync(path.join(dir, 'memo.example.zone'), ZONE.replace('@', '$ORIGIN memo.example.\n@'));
  fs.writeFileSync(path.join(dir, 'memo.example.lb.yaml'), LB);
  const loaded = loadConfigDir(dir, new Map(), true);
  expect(loaded.errors).toEqual([]);
  origins = loaded.origins;
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function record(qname: string, ecs: string): QueryRecord {
  return {
    v: 1,
    ts: 0,
    transport: 'udp',
    resolver: '192.0.2.53',
    ecs,
    qname,
    qtype: 'A',
    rcode: '',
    kind: '',
    zone: null,
    lb: null,
    pool: null,
    origins: [],
    scope: 0,
    sample: 1,
  };
}

describe('replayer decision memo', () => {
  it('decides random origin steering again for every seed, as a fresh replayer would', () => {
    const memo = new Replayer(servingStateOf(origins, ALL_UP, null));
    const query = new QueryBuilder().build(record('rnd.memo.example', '198.51.100.0/24'));
    if (typeof query === 'string') throw new Error(query);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 64; seed++) {
      const d = memo.replay(query, '192.0.2.53', 'udp', seed);
      const fresh = new Replayer(servingStateOf(origins, ALL_UP, null)).replay(query, '192.0.2.53', 'udp', seed);
      expect(d).toEqual(fresh);
      expect(d.pool).toBe('drawn');
      seen.add(d.origins);
    }
    expect([...seen].sort()).toEqual(['d-1', 'd-2']);
  });

  it('gives a deterministic decision back from the memo, the same as deciding it', () => {
    const memo = new Replayer(servingStateOf(origins, ALL_UP, null));
    const builder = new QueryBuilder();
    for (const ecs of ['198.51.100.0/24', '203.0.113.0/24', '2001:db8::/56']) {
      const query = builder.build(record('hsh.memo.example', ecs));
      if (typeof query === 'string') throw new Error(query);
      const first = memo.replay(query, '192.0.2.53', 'udp', 1);
      expect(first.pool).toBe('hashed');
      expect(memo.replay(query, '192.0.2.53', 'udp', 2)).toBe(first);
      expect(new Replayer(servingStateOf(origins, ALL_UP, null)).replay(query, '192.0.2.53', 'udp', 2)).toEqual(first);
      // Another resolver or transport is another key.
      expect(memo.replay(query, '192.0.2.54', 'udp', 3)).not.toBe(first);
      expect(memo.replay(query, '192.0.2.53', 'tcp', 4)).not.toBe(first);
    }
  });
});
