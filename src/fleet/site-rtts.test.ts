import { describe, expect, it } from 'vitest';
import type { Observation } from './quorum.js';
import type { MemberRecord } from './records.js';
import { sameSiteRtts, siteLocations, siteRtts } from './site-rtts.js';

const obs = (node: string, site: string, smoothed: { rttMs: number; samples: number } | null): Observation => ({
  node,
  site,
  up: true,
  reason: 'HTTP 200',
  rttMs: 1,
  revision: 1,
  smoothed,
});
const member = (node: string, site: string, location: { latitude: number; longitude: number } | null): MemberRecord => ({
  node,
  site,
  version: '1',
  fingerprint: 'f',
  listen: [],
  started: 0,
  heartbeat: 0,
  generation: 0,
  probing: 0,
  degraded: false,
  location,
});

describe('site RTTs', () => {
  it("weights a site's probers by their samples and sums the samples", () => {
    const locations = siteLocations([member('n1', 'fra', { latitude: 50.1, longitude: 8.7 }), member('n2', 'iad', null)]);
    const sites = siteRtts(
      [
        obs('n1', 'fra', { rttMs: 10, samples: 3 }),
        obs('n3', 'fra', { rttMs: 30, samples: 1 }),
        obs('n2', 'iad', { rttMs: 80, samples: 5 }),
      ],
      locations,
      'iad',
    );
    expect(sites).toEqual([
      { site: 'fra', latitude: 50.1, longitude: 8.7, own: false, rttMs: 15, samples: 4 },
      { site: 'iad', latitude: null, longitude: null, own: true, rttMs: 80, samples: 5 },
    ]);
  });

  it('leaves out probers without a smoothed RTT, and says nothing when none has one', () => {
    expect(siteRtts([obs('n1', 'fra', null)], new Map(), 'fra')).toBeUndefined();
    expect(siteRtts([obs('n1', 'fra', null), obs('n2', 'fra', { rttMs: 9, samples: 2 })], new Map(), 'fra')).toEqual([
      { site: 'fra', latitude: null, longitude: null, own: true, rttMs: 9, samples: 2 },
    ]);
  });

  it("takes a site's location from its first node by name that gives one, whatever the order seen", () => {
    const a = member('b2', 'fra', { latitude: 1, longitude: 1 });
    const b = member('a1', 'fra', { latitude: 2, longitude: 2 });
    const c = member('a0', 'fra', null);
    expect(siteLocations([a, b, c]).get('fra')).toEqual({ latitude: 2, longitude: 2 });
    expect(siteLocations([c, b, a]).get('fra')).toEqual({ latitude: 2, longitude: 2 });
  });

  it('compares by value', () => {
    const one = siteRtts([obs('n1', 'fra', { rttMs: 10, samples: 3 })], new Map(), 'fra');
    const two = siteRtts([obs('n1', 'fra', { rttMs: 10, samples: 3 })], new Map(), 'fra');
    const three = siteRtts([obs('n1', 'fra', { rttMs: 10, samples: 4 })], new Map(), 'fra');
    expect(sameSiteRtts(one, two)).toBe(true);
    expect(sameSiteRtts(one, three)).toBe(false);
    expect(sameSiteRtts(one, undefined)).toBe(false);
    expect(sameSiteRtts(undefined, undefined)).toBe(true);
  });
});
