/** A monitor as configured in a zone's LB file (keys follow Cloudflare's Load Balancing API). */
export interface MonitorSpec {
  /** external and calculated are not probed: their results are pushed or derived (docs/load-balancers.md). */
  readonly type: 'http' | 'https' | 'tcp' | 'dns' | 'smtp' | 'external' | 'calculated';
  /** Port to probe; defaults per type are applied by the config loader (80/443/-/53/25). */
  readonly port: number;
  // http / https
  readonly path: string;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly header: Readonly<Record<string, readonly string[]>>;
  /** "200", "2xx", "200,301" */
  readonly expected_codes: string;
  /** Substring the body must contain; '' means no body check. */
  readonly expected_body: string;
  readonly allow_insecure: boolean;
  readonly follow_redirects: boolean;
  // dns
  readonly query_name: string;
  readonly query_type: string;
  /** e.g. "NOERROR" */
  readonly expected_rcode: string;
  // timing, seconds
  readonly interval: number;
  readonly timeout: number;
  /** Extra attempts within one probe before it counts as failed. */
  readonly retries: number;
  // thresholds, owned by the health table
  readonly consecutive_up: number;
  readonly consecutive_down: number;
  /** A passing probe counts as a failure and the other way round (absent: false). */
  readonly invert?: boolean;
  /** external: state without a live report, and seconds a report holds without its own ttl. */
  readonly external?: { readonly expireTo: 'up' | 'down'; readonly expireAfter: number; readonly healthFile: string | null };
  /** calculated: child monitor ids and how many must pass. */
  readonly calculated?: { readonly children: readonly string[]; readonly healthyThreshold: number };
  /**
   * Fleet mode only: how many sites must see the target down for the fleet to take it out
   * (src/fleet/quorum.ts). Default majority.
   */
  readonly quorum?: QuorumRule;
}

/** `majority` of the sites reporting, `any` one, `all` of them, or at least N sites. */
export type QuorumRule = 'majority' | 'any' | 'all' | number;

/** One thing to probe: a distinct (monitor, address, port). */
export interface ProbeTarget {
  /** Stable identity; the same target in several pools is probed once. See targetKey(). */
  readonly key: string;
  readonly monitor: MonitorSpec;
  /** IP address or hostname of the origin. */
  readonly address: string;
  readonly port: number;
  /** Keep a smoothed RTT of successful probes (a pool of a `dynamic` load balancer holds it). */
  readonly trackRtt?: boolean;
  /** Host header (and TLS name) for http/https probes instead of the monitor's; from `probe.host`. */
  readonly host?: string;
  /** calculated: the keys of the child targets for the same origin. */
  readonly children?: readonly string[];
}

/** What a monitor reports: pass/fail and why. Monitors own nothing else. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Short machine-friendly reason: "HTTP 200", "HTTP 503", "timeout", "ECONNREFUSED", "body mismatch", "TLS: ...". */
  readonly reason: string;
  readonly durationMs: number;
  readonly at: number;
}

export interface TargetHealth {
  /** Healthy for steering. A target with no result yet counts as healthy. */
  readonly up: boolean;
  /** False until the first probe result arrived. */
  readonly known: boolean;
  /** Epoch ms of the last transition (or of creation). */
  readonly since: number;
  readonly reason: string;
  readonly lastResult: ProbeResult | null;
  /**
   * Smoothed round-trip time of successful probes in ms (EWMA, see table.ts), for targets that
   * track it (ProbeTarget.trackRtt); absent or null otherwise or before the first success.
   */
  readonly rttMs?: number | null;
  /** Successful probes the RTT is smoothed over (since the target was added). */
  readonly rttSamples?: number;
  /**
   * Fleet mode: the smoothed RTT of this target as each site's probers measure it, by site
   * name; absent outside a fleet or when no site has published one (src/fleet/site-rtts.ts).
   */
  readonly sites?: readonly SiteRtt[];
}

/** One site's view of a target's RTT, with where the site is (for dynamic steering). */
export interface SiteRtt {
  readonly site: string;
  /** Degrees; null when the site's nodes publish no location. */
  readonly latitude: number | null;
  readonly longitude: number | null;
  /** The site of the node serving this health. */
  readonly own: boolean;
  /** Smoothed RTT in ms over the site's probers, and the successful probes behind it. */
  readonly rttMs: number;
  readonly samples: number;
}

/** An immutable view of every target's health at one generation. */
export interface HealthSnapshot {
  readonly generation: number;
  get(key: string): TargetHealth | undefined;
  /** Unknown keys (never configured) count as up. */
  isUp(key: string): boolean;
  /**
   * Keys whose entry may differ from `older`'s (a superset is fine), cheaply; null when this
   * snapshot cannot tell (then compare key by key). Optional: hand-made snapshots lack it.
   */
  changedSince?(older: HealthSnapshot): readonly string[] | null;
}

export function targetKey(monitorId: string, address: string, port: number): string {
  return `${monitorId}@${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Targets that are probed: not external (pushed), not calculated (derived). */
export function isProbed(target: ProbeTarget): boolean {
  return target.monitor.external === undefined && target.monitor.calculated === undefined;
}
