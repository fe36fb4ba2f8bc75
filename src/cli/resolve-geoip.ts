import { defaultGeoIpPath } from '../geo/service.js';

/** --geoip value → file path, or null for "off". */
export function resolveGeoIpOption(value: string): string | null {
  if (value === 'off' || value === 'none') return null;
  if (value === 'default' || value === '') return defaultGeoIpPath();
  return value;
}
