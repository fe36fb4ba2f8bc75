import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { greatCircleKm } from './policies/proximity.js';
import { prepareLb } from './prepare.js';
import { createTrace, formatTrace, steer } from './steer.js';
import { answerText, client, fakeGeo, healthWithDown, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';

const geo = fakeGeo([
  { cidr: '81.2.69.0/24', continent: 'EU', country: 'GB', subdivision: 'GB-ENG', latitude: 51.5, longitude: -0.13 },
  { cidr: '2a02:c7f::/32', continent: 'EU', country: 'GB', latitude: 51.5, longitude: -0.13 },
  { cidr: '185.0.0.0/16', continent: 'EU', country: 'FR', latitude: 48.86, longitude: 2.35 },
  { cidr: '8.8.8.0/24', continent: 'NA', country: 'US', subdivision: 'US-CA', latitude: 37.39, longitude: -122.08 },
  { cidr: '9.9.9.0/24', continent: 'NA', country: 'US', subdivision: 'US-NY', latitude: 40.71, longitude: -74.0 },
  { cidr: '1.1.1.0/24', continent: 'OC', country: 'AU', latitude: -33.87, longitude: 151.21 },
  { cidr: '2401:d000::/32', continent: 'OC', country: 'AU', latitude: -33.87, longitude: 151.21 },
  { cidr: '49.36.0.0/14', continent: 'AS', country: 'IN', latitude: 19.07, longitude: 72.88 },
  { cidr: '200.0.0.0/16', continent: 'SA', country: 'BR' }, // no coordinates
]);

const POOLS = `monitors:
  web: { port: 8080 }
pools:
  us-east:
    monitor: web
    latitude: 39.0
    longitude: -77.5
    origins: [{ name: use, address: 192.0.2.1 }, { name: use6, address: "2001:db8:1::1" }]
  us-west:
    monitor: web
    latitude: 37.4
    longitude: -121.9
    origins: [{ name: usw, address: 192.0.2.2 }]
  eu-west:
    monitor: web
    latitude: 53.3
    longitude: -6.3
    origins: [{ name: euw, address: 192.0.2.3 }, { name: euw6, address: "2001:db8:3::1" }]
  ap-south:
    monitor: web
    latitude: 19.1
    longitude: 72.9
    origins: [{ name: aps, address: 192.0.2.4 }]
`;

const config = lbConfig(`${POOLS}load_balancers:
  www:
    steering_policy: geo
    default_pools: [us-east, eu-west]
    subnet_pools:
      "203.0.113.0/24": [ap-south]
      "203.0.113.128/25": [eu-west]
      "2001:db8:aaaa::/48": [ap-south]
    subdivision_pools: { US-CA: [us-west, us-east] }
    country_pools: { GB: [eu-west, us-east] }
    continent_pools:
      EU: [eu-west, us-east]
      AS: [ap-south, eu-west]
      NA: [us-east, us-west]
  near:
    steering_policy: proximity
    default_pools: [us-east, us-west, eu-west, ap-south]
  plain:
    steering_policy: off
    default_pools: [us-east, eu-west]
`);

const POOL_OF: Record<string, string> = {
  'A 192.0.2.1': 'us-east',
  'A 192.0.2.2': 'us-west',
  'A 192.0.2.3': 'eu-west',
  'A 192.0.2.4': 'ap-south',
  'AAAA 2001:db8:1::1': 'us-east',
  'AAAA 2001:db8:3::1': 'eu-west',
};
/** Health with every origin of the named pools down. */
const downPools = (...pools: string[]) => healthWithDown(pools.flatMap((p) => config.pools.get(p)!.origins.map((o) => o.healthKey!)));

function pick(owner: string, who: string, opts: { down?: string[]; qtype?: number; db?: typeof geo | null } = {}) {
  const prepared = prepareLb(config, downPools(...(opts.down ?? [])));
  const out = steer(prepared, `${owner}.example.com`, opts.qtype ?? RRType.A, {
    client: client(who),
    geo: opts.db === undefined ? geo : opts.db,
    random: seededRandom(1),
    trace: null,
  });
  const text = answerText(out.rrset);
  return { pool: text.length === 0 ? null : POOL_OF[text[0]!], scope: out.scope, ttl: out.ttl };
}

describe('geo steering', () => {
  it('most specific rule wins: subdivision > country > continent > default_pools', () => {
    expect(pick('www', '8.8.8.0/24')).toEqual({ pool: 'us-west', scope: 24, ttl: 30 }); // US-CA
    expect(pick('www', '9.9.9.0/24')).toEqual({ pool: 'us-east', scope: 24, ttl: 30 }); // NA
    expect(pick('www', '81.2.69.0/24')).toEqual({ pool: 'eu-west', scope: 24, ttl: 30 }); // GB
    expect(pick('www', '185.0.7.0/24')).toEqual({ pool: 'eu-west', scope: 16, ttl: 30 }); // FR → EU
    expect(pick('www', '49.36.1.0/24')).toEqual({ pool: 'ap-south', scope: 14, ttl: 30 }); // AS
    expect(pick('www', '200.0.5.0/24')).toEqual({ pool: 'us-east', scope: 16, ttl: 30 }); // SA: no rule
    expect(pick('www', '100.64.1.0/24')).toEqual({ pool: 'us-east', scope: 16, ttl: 30 }); // not in the database
  });

  it('the first healthy pool of the matched list; an all-dead list falls to less specific rules', () => {
    expect(pick('www', '8.8.8.0/24', { down: ['us-west'] }).pool).toBe('us-east');
    expect(pick('www', '81.2.69.0/24', { down: ['eu-west'] }).pool).toBe('us-east');
    expect(pick('www', '49.36.1.0/24', { down: ['ap-south'] }).pool).toBe('eu-west');
    // Every pool of the US-CA list dead: NA's list is dead too → default_pools → eu-west.
    expect(pick('www', '8.8.8.0/24', { down: ['us-west', 'us-east'] }).pool).toBe('eu-west');
  });

  it('IPv6 clients are located like IPv4 ones', () => {
    expect(pick('www', '2a02:c7f:1234::/48', { qtype: RRType.AAAA })).toEqual({ pool: 'eu-west', scope: 32, ttl: 30 });
    expect(pick('www', '2401:d000:1::/48', { qtype: RRType.AAAA })).toEqual({ pool: 'us-east', scope: 32, ttl: 30 });
  });

  it('subnet_pools: longest prefix match, with a scope that never spans a different rule', () => {
    // 203.0.113.128/25 is inside the /24 and more specific.
    expect(pick('www', '203.0.113.200/32')).toEqual({ pool: 'eu-west', scope: 25, ttl: 30 });
    expect(pick('www', '203.0.113.5/32')).toEqual({ pool: 'ap-south', scope: 25, ttl: 30 });
    // A /24 ECS source: masked to 203.0.113.0, inside the /24 only; the nested /25 makes the
    // answer depend on bit 25, so the scope says so.
    expect(pick('www', '203.0.113.0/24')).toEqual({ pool: 'ap-south', scope: 25, ttl: 30 });
    // Outside every subnet (and not in the database, /16 there): the scope must still
    // exclude 203.0.113.0/24, which differs from 203.0.112.0 at bit 24.
    expect(pick('www', '203.0.112.0/24')).toEqual({ pool: 'us-east', scope: 24, ttl: 30 });
    expect(pick('www', '2001:db8:aaaa:1::/64', { qtype: RRType.AAAA })).toEqual({ pool: null, scope: 48, ttl: 30 }); // ap-south has no IPv6: NODATA
    expect(pick('www', '2001:db8:aaaa:1::/64')).toEqual({ pool: 'ap-south', scope: 48, ttl: 30 });
  });

  it('a subnet rule whose pools are all dead falls through to the GeoIP rules', () => {
    expect(pick('www', '203.0.113.5/32', { down: ['ap-south'] })).toEqual({ pool: 'us-east', scope: 25, ttl: 30 });
  });

  it('scope is 0 when the client is the resolver itself (no ECS)', () => {
    expect(pick('www', '81.2.69.53')).toEqual({ pool: 'eu-west', scope: 0, ttl: 30 });
  });

  it('without a GeoIP database: subnet rules still apply, the rest goes to default_pools', () => {
    // The only location-dependent part left is the subnet rules, all inside 128.0.0.0/1.
    expect(pick('www', '81.2.69.0/24', { db: null })).toEqual({ pool: 'us-east', scope: 1, ttl: 30 });
    expect(pick('www', '203.0.113.200/32', { db: null })).toEqual({ pool: 'eu-west', scope: 25, ttl: 30 });
  });

  it('looks the client up once per call, and only when the answer can depend on it', () => {
    const lookups = () => geo.lookups;
    const healthy = prepareLb(config, downPools());
    const ctx = (who: string) => ({ client: client(who), geo, random: seededRandom(1), trace: null });
    let before = lookups();
    steer(healthy, 'www.example.com', RRType.A, ctx('81.2.69.0/24'));
    expect(lookups() - before).toBe(1);
    before = lookups();
    steer(healthy, 'www.example.com', RRType.A, ctx('203.0.113.5/32')); // decided by a subnet rule
    steer(healthy, 'plain.example.com', RRType.A, ctx('81.2.69.0/24')); // failover needs no location
    expect(lookups() - before).toBe(0);
    // Only us-east left: every rule leads there, so location does not matter (and scope is 0).
    const oneLeft = prepareLb(config, downPools('us-west', 'eu-west', 'ap-south'));
    before = lookups();
    expect(steer(oneLeft, 'www.example.com', RRType.A, ctx('81.2.69.0/24')).scope).toBe(0);
    expect(lookups() - before).toBe(0);
  });

  it('traces the location, the rule and the pools with their health', () => {
    const trace = createTrace();
    const prepared = prepareLb(config, downPools('eu-west'));
    steer(prepared, 'www.example.com', RRType.A, { client: client('81.2.69.0/24'), geo, random: seededRandom(1), trace });
    const text = formatTrace(trace);
    expect(text).toContain('ECS 81.2.69.0/24: continent EU, country GB, subdivision GB-ENG, at 51.5, -0.13 (GeoIP network /24)');
    expect(text).toContain('country_pools GB → [eu-west, us-east]');
    expect(text).toContain('eu-west unhealthy (0/2 origins up, minimum 1); us-east healthy (2/2 origins up, minimum 1)');
    expect(text).toContain('A 192.0.2.1; ttl 30; ECS scope /24');
  });
});

describe('proximity steering', () => {
  it('computes great-circle distances', () => {
    expect(Math.abs(greatCircleKm(51.5, -0.13, 40.71, -74.0) - 5570)).toBeLessThan(15); // London–New York
    expect(Math.abs(greatCircleKm(-33.87, 151.21, 19.07, 72.88) - 10160)).toBeLessThan(30); // Sydney–Mumbai
  });

  it('the nearest healthy pool to the client coordinates', () => {
    expect(pick('near', '81.2.69.0/24')).toEqual({ pool: 'eu-west', scope: 24, ttl: 30 });
    expect(pick('near', '8.8.8.0/24')).toEqual({ pool: 'us-west', scope: 24, ttl: 30 });
    expect(pick('near', '9.9.9.0/24')).toEqual({ pool: 'us-east', scope: 24, ttl: 30 });
    expect(pick('near', '1.1.1.0/24')).toEqual({ pool: 'ap-south', scope: 24, ttl: 30 }); // Sydney: Mumbai beats California
    expect(pick('near', '2a02:c7f:99::/48', { qtype: RRType.AAAA })).toEqual({ pool: 'eu-west', scope: 32, ttl: 30 });
  });

  it('skips dead pools in distance order', () => {
    expect(pick('near', '81.2.69.0/24', { down: ['eu-west'] }).pool).toBe('us-east'); // 5,900 km before Mumbai's 7,200
    expect(pick('near', '1.1.1.0/24', { down: ['ap-south'] }).pool).toBe('us-west');
  });

  it('unknown coordinates, or no database: default_pools order', () => {
    expect(pick('near', '200.0.1.0/24')).toEqual({ pool: 'us-east', scope: 16, ttl: 30 });
    expect(pick('near', '200.0.1.0/24', { down: ['us-east'] }).pool).toBe('us-west');
    expect(pick('near', '81.2.69.0/24', { db: null })).toEqual({ pool: 'us-east', scope: 0, ttl: 30 });
  });

  it('one healthy pool: no lookup needed, scope 0; none: fallback', () => {
    const before = geo.lookups;
    expect(pick('near', '81.2.69.0/24', { down: ['us-east', 'us-west', 'eu-west'] })).toEqual({ pool: 'ap-south', scope: 0, ttl: 30 });
    expect(geo.lookups).toBe(before);
    // All dead: fail open to the fallback (the last default pool, ap-south).
    expect(pick('near', '81.2.69.0/24', { down: ['us-east', 'us-west', 'eu-west', 'ap-south'] }).pool).toBe('ap-south');
  });
});
