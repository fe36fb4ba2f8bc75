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
  /**
   * Never throws for a valid IP. An address in no network of the database gets all-null fields
   * and the prefix length of the empty region around it (still a valid ECS scope).
   */
  lookup(ip: string): GeoLocation;
  /**
   * What lookup() would return for any address of the IPv4 /24 `net24` (the address >>> 8), if
   * that is already known; undefined otherwise. Lets a caller holding the address as bytes skip
   * the text.
   */
  cachedNet24?(net24: number): GeoLocation | undefined;
}

/** The address a steering decision locates: the ECS subnet or, without one, the resolver. */
export interface ClientAddress {
  /** Normalised text form ("::ffff:192.0.2.1" from a dual-stack socket becomes "192.0.2.1"). */
  readonly ip: string;
  readonly family: 4 | 6;
  /** ECS source prefix; 32 or 128 when the resolver's own address is used. */
  readonly sourcePrefix: number;
  readonly fromEcs: boolean;
  /** The IPv4 /24 as a number (address >>> 8) when the address came as bytes: a GeoIP cache key without text. */
  readonly net24?: number;
}

/** Where a GeoLite2-ASN style database places an address. */
export interface AsnLocation {
  /** Autonomous system number, or null when the address is in no network of the database. */
  readonly asn: number | null;
  readonly organization: string | null;
  /** Prefix length of the database network around the address (the ECS scope an ASN decision depends on). */
  readonly networkPrefix: number;
}

export interface AsnDatabase {
  readonly databaseType: string;
  readonly buildEpoch: number;
  readonly file: string;
  /** Never throws for a valid IP. */
  lookup(ip: string): AsnLocation;
}
