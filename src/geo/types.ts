/** Where a GeoIP database places an address. Fields are null when the database does not know. */
export interface GeoLocation {
  /** Two-letter continent code: AF AN AS EU NA OC SA. */
  readonly continent: string | null;
  /** ISO 3166-1 alpha-2 country code, e.g. "GB". */
  readonly country: string | null;
  /** ISO 3166-2 subdivision as "<country>-<code>", e.g. "US-CA" (City databases only). */
  readonly subdivision: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  /**
   * Prefix length of the database network that contains the address, in the address's own
   * family (0-32 for IPv4, 0-128 for IPv6). This is the ECS scope a geo decision depends on.
   */
  readonly networkPrefix: number;
}

export interface GeoDatabase {
  /** 'city' when records carry subdivisions and coordinates, else 'country'. */
  readonly kind: 'city' | 'country';
  readonly databaseType: string;
  readonly buildEpoch: number;
  readonly file: string;
  /** null when the address is not in any network of the database. Never throws for a valid IP. */
  lookup(ip: string): GeoLocation | null;
}
