// What dynamic steering in a fleet prepares per site (prepare.ts), on its own so that the per-call
// scratch (steer-context.ts) can hold one without importing the preparation.

/**
 * Fleet mode: one site's comparison of a `dynamic` load balancer's pools, from the RTTs that
 * site's probers publish (src/fleet/site-rtts.ts). Pool health is the fleet's, the same for all.
 */
export interface DynamicSite {
  readonly site: string;
  /** The site of the node serving this state. */
  readonly own: boolean;
  /** Degrees; null when the site has no location. */
  readonly latitude: number | null;
  readonly longitude: number | null;
  readonly latitudeRad: number;
  readonly longitudeRad: number;
  readonly cosLatitude: number;
  /** As PreparedLb.dynamic, from this site's RTTs: empty when no healthy pool has min_samples here. */
  readonly dynamic: readonly number[];
  readonly dynamicCumulative: Float64Array;
  /** The comparison in words, for the trace. */
  readonly note: string;
  /** Each healthy default pool's RTT from this site (null: too few samples), in default order. */
  readonly rtts: readonly { readonly pool: string; readonly rttMs: number | null }[];
}
