// Dynamic steering in a fleet: each site's RTTs, the client mapped to the nearest site that has
// data (fakeGeo coordinates), the home site for clients that cannot be located.
import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import type { HealthSnapshot, SiteRtt, TargetHealth } from '../health/types.js';
import { prepareLb, prepareLbChanges } from './prepare.js';
import { createTrace, formatTrace, steer } from './steer.js';
import { answerText, client, fakeGeo, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';

const config = lbConfig(`monitors:
  web: { port: 8080, interval: 1, timeout: 0.2, retries: 0 }
pools:
  eu: { monitor: web, origins: [{ name: e1, address: 192.0.2.1 }] }
  us: { monitor: web, origins: [{ name: u1, address: 192.0.2.2 }] }
load_balancers:
  www:
    steering_policy: dynamic
    default_pools: [us, eu]
    dynamic_steering: { rtt_tolerance_ms: 5, min_samples: 3 }
`);
const keyOf = (origin: string): string => {
  for (const p of config.pools.values()) for (const o of p.origins) if (o.name === origin) return o.healthKey!;
  throw new Error(origin);
};
const FRA = { latitude: 50.11, longitude: 8.68 };
const IAD = { latitude: 38.95, longitude: -77.45 };
const geo = fakeGeo([
  { cidr: '193.0.6.0/24', country: 'NL', latitude: 52.37, longitude: 4.9 }, // near fra
  { cidr: '8.8.8.0/24', country: 'US', latitude: 37.75, longitude: -97.82 }, // nearer iad
  { cidr: '203.0.113.0/24', country: 'ZZ' }, // located, no coordinates
]);

type SiteSpec = { at: { latitude: number; longitude: number } | null; own?: boolean; rtt: Record<string, [number, number]> };

/** Health where every origin is up and each site measured the given (ms, samples) per origin. */
function health(sites: Record<string, SiteSpec>, generation = 1): HealthSnapshot {
  const entries = new Map<string, TargetHealth>();
  for (const origin of ['e1', 'u1']) {
    const list: SiteRtt[] = [];
    for (const [site, spec] of Object.entries(sites).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const r = spec.rtt[origin];
      if (r === undefined) continue;
      list.push({
        site,
        latitude: spec.at?.latitude ?? null,
        longitude: spec.at?.longitude ?? null,
        own: spec.own === true,
        rttMs: r[0],
        samples: r[1],
      });
    }
    entries.set(keyOf(origin), {
      up: true,
      known: true,
      since: 0,
      reason: 't',
      lastResult: null,
      ...(list.length > 0 ? { sites: list } : {}),
    });
  }
  return { generation, get: (k) => entries.get(k), isUp: (k) => entries.get(k)?.up ?? true };
}

const TWO_SITES: Record<string, SiteSpec> = {
  fra: { at: FRA, own: true, rtt: { e1: [10, 5], u1: [95, 5] } },
  iad: { at: IAD, rtt: { e1: [90, 5], u1: [8, 5] } },
};

function ask(h: HealthSnapshot, who: string, trace = createTrace()) {
  const out = steer(prepareLb(config, h), 'www.example.com', RRType.A, { client: client(who), geo, random: seededRandom(1), trace });
  return { answer: answerText(out.rrset), scope: out.scope, site: out.site?.site ?? null, trace: formatTrace(trace) };
}

describe('dynamic steering by site', () => {
  it("maps each client to the nearest site with data and answers by that site's RTTs, ECS scope the GeoIP network", () => {
    const h = health(TWO_SITES);
    expect(ask(h, '193.0.6.0/24')).toMatchObject({ answer: ['A 192.0.2.1'], scope: 24, site: 'fra' });
    expect(ask(h, '8.8.8.0/24')).toMatchObject({ answer: ['A 192.0.2.2'], scope: 24, site: 'iad' });
  });

  it('explains the site chosen, the distances and the RTTs compared', () => {
    const t = ask(health(TWO_SITES), '8.8.8.0/24').trace;
    expect(t).toMatch(/nearest site with RTT data: iad \(fra \d+ km, iad \d+ km\)/);
    expect(t).toContain('site iad: RTT us 8.0 ms, eu 90.0 ms; within 5 ms of the fastest: us');
  });

  it("gives a client without coordinates this node's site", () => {
    expect(ask(health(TWO_SITES), '203.0.113.0/24')).toMatchObject({ answer: ['A 192.0.2.1'], site: 'fra', scope: 24 });
    const iadHome = { fra: { ...TWO_SITES.fra!, own: false }, iad: { ...TWO_SITES.iad!, own: true } };
    expect(ask(health(iadHome), '203.0.113.0/24')).toMatchObject({ answer: ['A 192.0.2.2'], site: 'iad' });
    expect(ask(health(iadHome), '203.0.113.0/24').trace).toContain("site iad (this node's site): RTT us 8.0 ms");
  });

  it('skips a site without enough samples, and one without a location, for located clients', () => {
    const sparse = { fra: { at: FRA, own: true, rtt: { e1: [10, 2], u1: [95, 2] } }, iad: TWO_SITES.iad! } as Record<string, SiteSpec>;
    // fra has data below min_samples: a client near fra goes to iad, the only site with data.
    expect(ask(health(sparse), '193.0.6.0/24')).toMatchObject({ answer: ['A 192.0.2.2'], site: 'iad' });
    const nowhere = { fra: { ...TWO_SITES.fra!, at: null }, iad: TWO_SITES.iad! };
    expect(ask(health(nowhere), '193.0.6.0/24')).toMatchObject({ answer: ['A 192.0.2.2'], site: 'iad' });
    // …while a client that cannot be located still gets this node's own (unlocated) site.
    expect(ask(health(nowhere), '203.0.113.0/24')).toMatchObject({ answer: ['A 192.0.2.1'], site: 'fra' });
  });

  it("without data at this node's site, an unlocated client gets the site nearest to it", () => {
    const far = { latitude: -33.9, longitude: 151.2 };
    const sites: Record<string, SiteSpec> = {
      ams: { at: { latitude: 52.37, longitude: 4.9 }, rtt: { e1: [10, 5], u1: [95, 5] } },
      fra: { at: FRA, own: true, rtt: { e1: [10, 1] } },
      syd: { at: far, rtt: { e1: [200, 5], u1: [150, 5] } },
    };
    expect(ask(health(sites), '203.0.113.0/24')).toMatchObject({ answer: ['A 192.0.2.1'], site: 'ams' });
  });

  it('does no GeoIP lookup and returns scope 0 when every site chooses alike', () => {
    const alike: Record<string, SiteSpec> = { fra: TWO_SITES.fra!, iad: { at: IAD, rtt: { e1: [40, 5], u1: [90, 5] } } };
    const before = geo.lookups;
    expect(ask(health(alike), '8.8.8.0/24')).toMatchObject({ answer: ['A 192.0.2.1'], scope: 0, site: 'fra' });
    expect(geo.lookups).toBe(before);
  });

  it('with no site data, answers as a single server does (failover order before samples)', () => {
    expect(ask(health({}), '8.8.8.0/24')).toMatchObject({ answer: ['A 192.0.2.2'], scope: 0, site: null });
  });

  it("follows a site's RTT change through prepareLbChanges", () => {
    const before = health(TWO_SITES, 1);
    const after = health({ ...TWO_SITES, iad: { at: IAD, rtt: { e1: [5, 9], u1: [80, 9] } } }, 2);
    const next = prepareLbChanges(prepareLb(config, before), before, after, null);
    const out = steer(next, 'www.example.com', RRType.A, { client: client('8.8.8.0/24'), geo, random: seededRandom(1), trace: null });
    expect(answerText(out.rrset)).toEqual(['A 192.0.2.1']);
  });
});
