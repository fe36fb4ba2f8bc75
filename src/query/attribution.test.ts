import { describe, expect, it } from 'vitest';
import { prepareLb } from '../lb/prepare.js';
import { steer } from '../lb/steer.js';
import { client, healthWithDown, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';
import { formatIp } from '../wire/rdata.js';
import { RRType, type RR } from '../wire/types.js';
import { attributeRecords, type RecordSource } from './attribution.js';

const YAML = `
monitors:
  web: { type: http, interval: 10, timeout: 1, retries: 0 }
pools:
  mixed:
    monitor: web
    origins:
      - { name: v4a, address: 192.0.2.1, weight: 2 }
      - { name: v4b, address: 192.0.2.2 }
      - { name: v6a, address: "2001:db8::1" }
      - { name: host, address: edge.example.net }
      - { name: off, address: 192.0.2.9, enabled: false }
  every:
    monitor: web
    origin_steering: { policy: all }
    origins:
      - { name: e1, address: 198.51.100.1 }
      - { name: e2, address: 198.51.100.2 }
      - { name: e3, address: 198.51.100.3 }
      - { name: e6, address: "2001:db8::e" }
  mail:
    origins:
      - { name: mx1, address: mx1.example.net, priority: 10 }
      - { name: mx2, address: mx2.example.net, priority: 20 }
load_balancers:
  www:
    steering_policy: random
    default_pools: [mixed, every]
    max_records: 2
  mx:
    record_type: MX
    default_pools: [mail]
`;

/** The address or name a steered record carries, as the origin's address is written. */
function carried(rr: RR): string {
  const d = rr.data;
  if (d.kind === 'raw') return formatIp(d.bytes);
  if (d.kind === 'name') return d.name;
  if (d.kind === 'mx') return d.exchange;
  throw new Error(`unexpected ${d.kind}`);
}

describe('attributeRecords', () => {
  for (const down of [
    [],
    ['example.com/web@192.0.2.1:80'],
    [
      'example.com/web@192.0.2.1:80',
      'example.com/web@192.0.2.2:80',
      'example.com/web@[2001:db8::1]:80',
      'example.com/web@edge.example.net:80',
      'example.com/web@198.51.100.1:80',
      'example.com/web@198.51.100.2:80',
      'example.com/web@198.51.100.3:80',
      'example.com/web@[2001:db8::e]:80',
    ],
  ]) {
    it(`maps every record steering can return to the origin it names (${down.length} targets down)`, () => {
      const config = lbConfig(YAML);
      const prepared = prepareLb(config, healthWithDown(down));
      const map = attributeRecords(new Map([['example.com', prepared]]), (s: RecordSource) => s);
      // The keys above are real: with all of them down no pool of www is healthy (fail open).
      const healthyPools = prepared.loadBalancers.get('www.example.com')!.pools.filter((p) => p.healthy).length;
      expect(healthyPools).toBe(down.length === 8 ? 0 : 2);
      expect(prepared.loadBalancers.get('www.example.com')!.pools[0]!.health.upOrigins.length).toBe(4 - Math.min(down.length, 4));
      const addressOf = new Map<string, string>();
      for (const pool of config.pools.values()) for (const o of pool.origins) addressOf.set(`${pool.name}/${o.name}`, o.address);

      const random = seededRandom(7);
      let checked = 0;
      for (let i = 0; i < 400; i++) {
        for (const [owner, qtype] of [
          ['www.example.com', RRType.A],
          ['www.example.com', RRType.AAAA],
          ['www.example.com', RRType.CNAME],
          ['mx.example.com', RRType.MX],
        ] as const) {
          const out = steer(prepared, owner, qtype, { client: client(`203.0.${i % 256}.0/24`), geo: null, random, trace: null });
          for (const rr of out.rrset ?? []) {
            const source = map.get(rr);
            expect(source, `${owner} ${qtype}: ${carried(rr)}`).toBeDefined();
            expect(source!.lb).toBe(owner);
            expect(addressOf.get(`${source!.pool}/${source!.origin}`)).toBe(carried(rr));
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(800);
    });
  }

  it('gives one value per (zone, load balancer, pool, origin)', () => {
    const prepared = prepareLb(lbConfig(YAML), healthWithDown());
    let made = 0;
    const map = attributeRecords(new Map([['example.com', prepared]]), (s) => {
      made++;
      return `${s.lb}|${s.pool}|${s.origin}`;
    });
    // Each origin's records exist twice (healthy set and fail-open set) and per record kind,
    // but share one value.
    expect(new Set(map.values()).size).toBe(made);
    expect([...new Set(map.values())].sort()).toEqual(
      [
        ...['v4a', 'v4b', 'v6a', 'host'].map((o) => `www.example.com|mixed|${o}`),
        ...['e1', 'e2', 'e3', 'e6'].map((o) => `www.example.com|every|${o}`),
        'mx.example.com|mail|mx1',
        'mx.example.com|mail|mx2',
      ].sort(),
    );
  });
});
