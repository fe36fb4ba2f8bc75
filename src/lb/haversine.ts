// Great-circle distance on the GeoIP sphere, shared by proximity steering (pools) and dynamic
// steering in a fleet (sites).
const DEG = Math.PI / 180;
const EARTH_RADIUS_KM = 6371.0088;

/** The haversine term (monotonic in great-circle distance; comparing it avoids the trig of the full formula). */
export function haversine(lat1: number, lon1: number, cos1: number, lat2: number, lon2: number, cos2: number): number {
  const dLat = Math.sin((lat2 - lat1) / 2);
  const dLon = Math.sin((lon2 - lon1) / 2);
  return dLat * dLat + cos1 * cos2 * dLon * dLon;
}

/** Kilometres of a haversine term, rounded. */
export function km(hav: number): number {
  return Math.round(2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, hav))));
}

/** Great-circle distance in km between two points in degrees (exported for tests and explain). */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return km(haversine(lat1 * DEG, lon1 * DEG, Math.cos(lat1 * DEG), lat2 * DEG, lon2 * DEG, Math.cos(lat2 * DEG)));
}
