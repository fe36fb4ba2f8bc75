// steering_policy proximity: the healthy default pool nearest to the client's GeoIP
// coordinates by great-circle distance (ties go to the earlier pool in default_pools). Without
// coordinates for the client, default_pools order. ECS scope: the GeoIP network prefix, or 0
// when at most one pool is healthy (then location cannot change the answer).
import type { SteerCall } from '../steer-context.js';
import type { PreparedLb } from '../prepare.js';
import { listState } from './describe.js';
import { haversine, km } from '../haversine.js';

const DEG = Math.PI / 180;

export function chooseProximity(p: PreparedLb, call: SteerCall): number {
  const candidates = p.proximity;
  if (candidates.length <= 1) {
    if (call.trace !== null)
      call.note('pools', `${candidates.length === 0 ? 'no' : 'one'} healthy pool, location not needed: ${listState(p, p.defaultOrder)}`);
    return candidates.length === 0 ? -1 : candidates[0]!;
  }
  const loc = call.locate();
  if (loc !== null) call.widenScope(loc.networkPrefix);
  if (loc === null || loc.latitude === null || loc.longitude === null) {
    if (call.trace !== null) call.note('pools', `client coordinates unknown; default_pools in order: ${listState(p, p.defaultOrder)}`);
    return candidates[0]!;
  }
  const lat = loc.latitude * DEG;
  const lon = loc.longitude * DEG;
  const cosLat = Math.cos(lat);
  let best = -1;
  let bestHav = Infinity;
  for (let k = 0; k < candidates.length; k++) {
    const pool = p.pools[candidates[k]!]!;
    const hav = haversine(lat, lon, cosLat, pool.latitudeRad, pool.longitudeRad, pool.cosLatitude);
    if (hav < bestHav) {
      bestHav = hav;
      best = candidates[k]!;
    }
  }
  if (call.trace !== null) {
    const distances = candidates
      .map((i) => {
        const pool = p.pools[i]!;
        return `${pool.name} ${km(haversine(lat, lon, cosLat, pool.latitudeRad, pool.longitudeRad, pool.cosLatitude))} km`;
      })
      .join(', ');
    call.note('pools', `nearest healthy pool: ${p.pools[best]!.name} (${distances})`);
  }
  return best;
}

export { greatCircleKm } from '../haversine.js';
