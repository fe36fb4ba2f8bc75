// steering_policy dynamic (Cloudflare "dynamic", Route 53 "latency"): the healthy default pool
// with the lowest smoothed probe RTT answers; pools within rtt_tolerance_ms of the fastest share
// by pool weight, so near-equal pools do not flip-flop on noise. A pool whose origins have fewer
// than min_samples successful probes is left out; with no pool measured yet the answer is
// failover order. The comparison is done when health or an RTT changes (prepare.ts); a query
// only draws among the prepared candidates.
//
// Alone, the RTTs are this server's and the answer does not depend on the client (ECS scope 0).
// In a fleet each site has its own comparison (its probers' RTTs): a client located by GeoIP is
// mapped to the nearest site that has RTT data, and gets that site's comparison (ECS scope: the
// GeoIP network). A client without coordinates gets the home site's (this node's site when it
// has data). When every located site chooses as the home site does, no lookup is made (scope 0).
import type { SteerCall } from '../steer-context.js';
import { nearestSite, type DynamicSite, type PreparedLb } from '../prepare.js';
import { greatCircleKm } from '../haversine.js';
import { listState } from './describe.js';

export function chooseDynamic(p: PreparedLb, call: SteerCall): number {
  let dynamic = p.dynamic;
  let cumulative = p.dynamicCumulative;
  let note = p.dynamicNote;
  let site = p.dynamicHome;
  if (p.dynamicByLocation) {
    const loc = call.locate();
    if (loc !== null) call.widenScope(loc.networkPrefix);
    if (loc !== null && loc.latitude !== null && loc.longitude !== null) {
      site = nearestSite(p.dynamicLocated, loc.latitude, loc.longitude);
      dynamic = site.dynamic;
      cumulative = site.dynamicCumulative;
      note = `site ${site.site}: ${site.note}`;
      if (call.trace !== null)
        call.note('rule', `nearest site with RTT data: ${site.site} (${distances(p.dynamicLocated, loc.latitude, loc.longitude)})`);
    } else if (call.trace !== null) call.note('rule', 'client coordinates unknown: the home site');
  } else if (site !== null && call.trace !== null && p.dynamicLocated.length > 0) {
    call.note('rule', 'every site with RTT data chooses alike: client location not needed');
  }
  call.site = site;
  const n = dynamic.length;
  if (n === 0) {
    if (call.trace !== null) {
      call.note('rule', note);
      call.note('pools', `default_pools in order: ${listState(p, p.defaultOrder)}`);
    }
    return p.firstHealthyDefault;
  }
  const k = n === 1 ? 0 : call.pick(cumulative, n);
  const chosen = dynamic[Math.max(k, 0)]!;
  if (call.trace !== null) {
    call.note('rule', note);
    call.note('pools', n === 1 ? `${p.pools[chosen]!.name}: the fastest` : `${p.pools[chosen]!.name} drawn by pool weight among them`);
  }
  return chosen;
}

function distances(sites: readonly DynamicSite[], latitude: number, longitude: number): string {
  return sites.map((s) => `${s.site} ${greatCircleKm(latitude, longitude, s.latitude ?? 0, s.longitude ?? 0)} km`).join(', ');
}
