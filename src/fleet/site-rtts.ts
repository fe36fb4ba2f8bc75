// Per site, one RTT of a target from its probers' published smoothed RTTs, and where each site
// is: what dynamic steering compares (src/lb/prepare.ts) when a fleet maps clients to sites.
//
// A site's RTT is the mean of its probers' smoothed RTTs weighted by their sample counts; its
// sample count is their sum. A site's location is the first (by node name) location its live
// members publish, so every node derives the same one.
import type { SiteRtt } from '../health/types.js';
import type { Observation } from './quorum.js';
import type { MemberRecord, SiteLocation } from './records.js';

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Site → its location (sites whose members publish none are absent). */
export function siteLocations(members: Iterable<MemberRecord>): Map<string, SiteLocation> {
  const sorted = [...members].sort((a, b) => byText(a.node, b.node));
  const out = new Map<string, SiteLocation>();
  for (const m of sorted) if (m.location !== null && !out.has(m.site)) out.set(m.site, m.location);
  return out;
}

/** The sites' RTTs of one target, by site name; undefined when no prober published one. */
export function siteRtts(
  observations: readonly Observation[],
  locations: ReadonlyMap<string, SiteLocation>,
  ownSite: string,
): readonly SiteRtt[] | undefined {
  const sums = new Map<string, { weighted: number; samples: number }>();
  for (const o of observations) {
    const s = o.smoothed;
    if (s === undefined || s === null) continue;
    const sum = sums.get(o.site);
    if (sum === undefined) sums.set(o.site, { weighted: s.rttMs * s.samples, samples: s.samples });
    else {
      sum.weighted += s.rttMs * s.samples;
      sum.samples += s.samples;
    }
  }
  if (sums.size === 0) return undefined;
  return [...sums]
    .sort(([a], [b]) => byText(a, b))
    .map(([site, sum]) => {
      const at = locations.get(site);
      return Object.freeze({
        site,
        latitude: at?.latitude ?? null,
        longitude: at?.longitude ?? null,
        own: site === ownSite,
        rttMs: sum.weighted / sum.samples,
        samples: sum.samples,
      });
    });
}

export function sameSiteRtts(a: readonly SiteRtt[] | undefined, b: readonly SiteRtt[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return (
      x.site === y.site &&
      x.latitude === y.latitude &&
      x.longitude === y.longitude &&
      x.own === y.own &&
      x.rttMs === y.rttMs &&
      x.samples === y.samples
    );
  });
}
