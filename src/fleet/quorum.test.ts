import { describe, expect, it } from 'vitest';
import { downSitesNeeded, fleetVerdict, type Observation } from './quorum.js';

let revision = 0;
const obs = (node: string, site: string, up: boolean): Observation => ({
  node,
  site,
  up,
  reason: up ? 'HTTP 200' : 'HTTP 503 (expected 2xx)',
  rttMs: 3,
  revision: ++revision,
});

/** Three sites, two probers each; `downAt` lists the sites whose probers both see a failure. */
const threeSites = (...downAt: string[]): Observation[] =>
  ['eu', 'us', 'ap'].flatMap((site) => [obs(`${site}1`, site, !downAt.includes(site)), obs(`${site}2`, site, !downAt.includes(site))]);

describe('fleetVerdict', () => {
  it('keeps a target a single site sees down under majority, drops it under any', () => {
    expect(fleetVerdict(threeSites('eu'), 'majority').up).toBe(true);
    expect(fleetVerdict(threeSites('eu'), 'any').up).toBe(false);
  });

  it('drops a target two of three sites see down under majority, not under all', () => {
    const v = fleetVerdict(threeSites('eu', 'us'), 'majority');
    expect(v).toMatchObject({ up: false, known: true, needed: 2, downSites: 2 });
    expect(v.reason).toMatch(/^down: down at 2\/3 sites/);
    expect(fleetVerdict(threeSites('eu', 'us'), 'all').up).toBe(true);
    expect(fleetVerdict(threeSites('eu', 'us', 'ap'), 'all').up).toBe(false);
  });

  it('counts a number of sites, whatever the number reporting', () => {
    expect(fleetVerdict(threeSites('eu'), 2).up).toBe(true);
    expect(fleetVerdict(threeSites('eu', 'ap'), 2).up).toBe(false);
    expect(fleetVerdict([obs('a', 'eu', false)], 2).up).toBe(true);
  });

  it('holds a site up when its probers disagree (a tie)', () => {
    const v = fleetVerdict([obs('eu1', 'eu', true), obs('eu2', 'eu', false)], 'any');
    expect(v.up).toBe(true);
    expect(v.sites[0]!.up).toBe(true);
    const two = fleetVerdict([obs('eu1', 'eu', false), obs('eu2', 'eu', false), obs('eu3', 'eu', true)], 'any');
    expect(two.up).toBe(false);
  });

  it('treats a majority tie between sites as up, and silent sites as absent', () => {
    const four = [obs('a', 'eu', false), obs('b', 'us', false), obs('c', 'ap', true), obs('d', 'sa', true)];
    expect(fleetVerdict(four, 'majority').up).toBe(true);
    // Only two sites report: one down is not a majority of two, two are.
    expect(fleetVerdict([obs('a', 'eu', false), obs('b', 'us', true)], 'majority').up).toBe(true);
    expect(fleetVerdict([obs('a', 'eu', false), obs('b', 'us', false)], 'majority').up).toBe(false);
  });

  it('is up and unknown with nobody reporting', () => {
    expect(fleetVerdict([], 'any')).toMatchObject({ up: true, known: false, reason: 'no site reporting' });
  });

  it('gives the same verdict and votes whatever the order of the observations', () => {
    const list = threeSites('eu', 'us');
    const reversed = [...list].reverse();
    expect(fleetVerdict(reversed, 'majority')).toEqual(fleetVerdict(list, 'majority'));
  });

  it('needs the documented number of down sites', () => {
    expect([1, 2, 3, 4, 5].map((n) => downSitesNeeded('majority', n))).toEqual([1, 2, 2, 3, 3]);
    expect(downSitesNeeded('all', 3)).toBe(3);
    expect(downSitesNeeded('any', 3)).toBe(1);
    expect(downSitesNeeded(2, 5)).toBe(2);
  });
});
