// The shipped zones/example.com.lb.yaml must load, must only ever probe loopback, and must
// steer the way its comments say.
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { loadLbFile } from './load.js';
import { prepareLb } from './prepare.js';
import { steer } from './steer.js';
import { answerText, client, fakeGeo, healthWithDown, seededRandom } from '../../test/support/lb-fixtures.js';
import type { LbZoneConfig } from './types.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../zones/example.com.lb.yaml');

function load(): LbZoneConfig {
  const r = loadLbFile(file, 'example.com');
  if ('errors' in r) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
  return r.config;
}

function isLoopback(address: string): boolean {
  return (isIP(address) === 4 && address.startsWith('127.')) || address === '::1';
}

describe('zones/example.com.lb.yaml', () => {
  const config = load();

  it('loads with load balancers www and api', () => {
    expect([...config.bindings.keys()]).toEqual(['www.example.com', 'api.example.com']);
  });

  it('probes loopback addresses only, and every monitored origin is loopback', () => {
    expect(config.probeTargets.length).toBeGreaterThan(0);
    for (const t of config.probeTargets) expect(isLoopback(t.address), t.key).toBe(true);
    for (const pool of config.pools.values()) {
      if (pool.monitor === null) continue;
      for (const o of pool.origins) expect(isLoopback(o.address), `${pool.name}/${o.name}`).toBe(true);
    }
  });

  it('steers www by location and fails over when the monitored pool is down', () => {
    const geo = fakeGeo([
      { cidr: '81.2.69.0/24', continent: 'EU', country: 'GB' },
      { cidr: '9.9.9.0/24', continent: 'NA', country: 'US', subdivision: 'US-NY' },
      { cidr: '49.36.0.0/14', continent: 'AS', country: 'IN' },
    ]);
    const ask = (down: string[], who: string) =>
      answerText(
        steer(prepareLb(config, healthWithDown(down)), 'www.example.com', RRType.A, {
          client: client(who),
          geo,
          random: seededRandom(1),
          trace: null,
        }).rrset,
      );
    expect(ask([], '81.2.69.0/24')).toEqual(['A 192.0.2.10', 'A 192.0.2.11']);
    expect(ask([], '49.36.1.0/24')[0]).toMatch(/^A 198\.51\.100\.1[01]$/);
    expect(ask([], '9.9.9.0/24')[0]).toMatch(/^A 127\.0\.0\.1[01]$/);
    const usEastDown = config.probeTargets.filter((t) => t.key.includes('/web@')).map((t) => t.key);
    expect(ask(usEastDown, '9.9.9.0/24')).toEqual(['A 192.0.2.10', 'A 192.0.2.11']);
  });

  it('fails api over to the standby pool when the primary drops below two origins', () => {
    const ask = (down: string[]) =>
      answerText(
        steer(prepareLb(config, healthWithDown(down)), 'api.example.com', RRType.A, {
          client: client('192.0.2.53'),
          geo: null,
          random: seededRandom(1),
          trace: null,
        }).rrset,
      );
    expect(ask([])[0]).toMatch(/^A 127\.0\.0\.2[01]$/);
    expect(ask(['example.com/api-port@127.0.0.21:18443'])).toEqual(['A 203.0.113.20']);
  });
});
