// The snapshot of the shipped example zone: each load-balanced name steered for a client the
// server cannot locate, with the given health, through the query path's steering code.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { healthWithDown } from '../../test/support/lb-fixtures.js';
import { loadLbFile } from '../lb/load.js';
import { prepareLb } from '../lb/prepare.js';
import type { LbZoneConfig } from '../lb/types.js';
import { rrToText } from '../wire/format.js';
import { loadZoneFile } from '../zone/load.js';
import type { Zone } from '../zone/types.js';
import { lbSnapshot } from './lb-snapshot.js';

const zones = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../zones');

function load(): { config: LbZoneConfig; zone: Zone } {
  const lb = loadLbFile(path.join(zones, 'example.com.lb.yaml'), 'example.com');
  if ('errors' in lb) throw new Error(lb.errors.map((e) => e.describe()).join('\n'));
  const z = loadZoneFile(path.join(zones, 'example.com.zone'), zones, { bindings: lb.config.bindings });
  if ('errors' in z) throw new Error(z.errors.map((e) => e.describe()).join('\n'));
  return { config: lb.config, zone: z.zone };
}

describe('lbSnapshot', () => {
  const { config, zone } = load();
  const keysOf = (address: string): string[] => config.probeTargets.filter((t) => t.address === address).map((t) => t.key);
  const text = (down: string[]): string[] => lbSnapshot(zone, prepareLb(config, healthWithDown(down.flatMap(keysOf)))).map(rrToText);

  it('gives the default pools answer of every load-balanced name, at the TTL steering gives', () => {
    // Everything up: www's first default pool (us-east, random origin steering pinned to its
    // first origin), api's primary pool (TTL 20). `ecs: absent` raises www's TTL to 120 (a rule).
    const all = text([]);
    expect(all.filter((r) => r.startsWith('www.'))).toEqual(['www.example.com. 120 IN A 127.0.0.10', 'www.example.com. 120 IN AAAA ::1']);
    expect(all.filter((r) => r.startsWith('api.'))).toEqual([expect.stringMatching(/^api\.example\.com\. 20 IN A 127\.0\.0\.2[01]$/)]);
  });

  it('follows health: a pool down moves the name to the next default pool', () => {
    const down = text(['127.0.0.10', '127.0.0.11', '::1', '127.0.0.20', '127.0.0.21']);
    expect(down.filter((r) => r.startsWith('www.'))).toEqual([
      'www.example.com. 120 IN A 192.0.2.10',
      'www.example.com. 120 IN A 192.0.2.11',
      'www.example.com. 120 IN AAAA 2001:db8:e::10',
    ]);
    expect(down.filter((r) => r.startsWith('api.'))).toEqual([
      'api.example.com. 20 IN A 203.0.113.20',
      'api.example.com. 20 IN AAAA 2001:db8:d::20',
    ]);
  });

  it('is the same for the same health (random steering is pinned), so only health moves the serial', () => {
    const health = healthWithDown([]);
    const a = lbSnapshot(zone, prepareLb(config, health)).map(rrToText);
    for (let i = 0; i < 20; i++) expect(lbSnapshot(zone, prepareLb(config, health)).map(rrToText)).toEqual(a);
  });

  it('is empty without load balancers', () => {
    expect(lbSnapshot(zone, undefined)).toEqual([]);
  });
});
