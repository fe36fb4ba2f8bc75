// steering_policy proximity: the healthy default pool nearest to the client's GeoIP
// coordinates by great-circle distance (ties go to the earlier pool in default_pools). Without
// coordinates for the client, default_pools order. ECS scope: the GeoIP network prefix, or 0
// when at most one pool is healthy (then location cannot change the answer).
import type { SteerCall } from '../steer-context.js';
import type { PreparedLb } from '../prepare.js';
import { listState } from './describe.js';

const DEG = Math.PI / 180;
const EARTH_RADIUS_KM = 6371.0088;

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

/** The haversine term (monotonic in great-circle distance; comparing it avoids the trig of the full formula). */
function haversine(lat1: number, lon1: number, cos1: number, lat2: number, lon2: number, cos2: number): number {
  const dLat = Math.sin((lat2 - lat1) / 2);
  const dLon = Math.sin((lon2 - lon1) / 2);
  return dLat * dLat + cos1 * cos2 * dLon * dLon;
}

function km(hav: number): number {
  return Math.round(2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, hav))));
}

/** Great-circle distance in km between two points in degrees (exported for tests and explain). */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return km(haversine(lat1 * DEG, lon1 * DEG, Math.cos(lat1 * DEG), lat2 * DEG, lon2 * DEG, Math.cos(lat2 * DEG)));
}
