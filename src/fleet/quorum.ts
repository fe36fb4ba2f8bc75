// The fleet's verdict on one target, from the observations its probers hold in the store.
// Cloudflare's shape: each site decides from its own probers, then the sites vote.
//
// - A site's vote: down when more than half of its fresh observations say down. A tie (one of
//   two probers sees a failure) is up: one prober's own path failing must not drop an origin.
// - A site with no fresh observation (no live prober there, or none has a result yet) does not
//   vote, and does not count among the sites reporting.
// - The fleet's verdict: down when at least `needed` sites vote down, where `needed` follows the
//   monitor's rule: majority (more than half of the sites reporting; a tie is up), any (one),
//   all (every site reporting), or N (at least N sites, whatever the number reporting).
// - Nobody reporting: up and not known, as a target that was never probed.
// consecutive_up / consecutive_down are applied where the probes run (each prober's health
// table), so an observation is already a settled state, not a single probe result.
//
// Pure and order-independent: every node reaches the same verdict from the same observations.
import type { QuorumRule } from '../health/types.js';

export interface Observation {
  readonly node: string;
  readonly site: string;
  readonly up: boolean;
  readonly reason: string;
  /** How long the probe that settled this state took, ms. */
  readonly rttMs: number;
  /** The store's revision of the write: ordering without trusting any node's clock. */
  readonly revision: number;
  /** The prober's smoothed RTT of the target, as last published (rtt-publish.ts); absent or null: none. */
  readonly smoothed?: SmoothedRtt | null;
}

/** A prober's EWMA of successful probe RTTs (health table) and the successful probes behind it. */
export interface SmoothedRtt {
  readonly rttMs: number;
  readonly samples: number;
}

export interface SiteVote {
  readonly site: string;
  readonly up: boolean;
  readonly observations: readonly Observation[];
}

export interface Verdict {
  readonly up: boolean;
  /** Some site reported. */
  readonly known: boolean;
  readonly reason: string;
  readonly rule: QuorumRule;
  /** Sites voting down needed to take the target out. */
  readonly needed: number;
  readonly downSites: number;
  readonly sites: readonly SiteVote[];
}

export function downSitesNeeded(rule: QuorumRule, reporting: number): number {
  if (rule === 'any') return 1;
  if (rule === 'all') return Math.max(1, reporting);
  if (rule === 'majority') return Math.floor(reporting / 2) + 1;
  return rule;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function siteVote(site: string, observations: readonly Observation[]): SiteVote {
  const down = observations.filter((o) => !o.up).length;
  const sorted = [...observations].sort((a, b) => byText(a.node, b.node));
  return { site, up: down * 2 <= observations.length, observations: sorted };
}

export function fleetVerdict(observations: readonly Observation[], rule: QuorumRule = 'majority'): Verdict {
  const bySite = new Map<string, Observation[]>();
  for (const o of observations) {
    const list = bySite.get(o.site);
    if (list) list.push(o);
    else bySite.set(o.site, [o]);
  }
  const sites = [...bySite.keys()].sort(byText).map((site) => siteVote(site, bySite.get(site)!));
  const needed = downSitesNeeded(rule, sites.length);
  const downVotes = sites.filter((s) => !s.up);
  const known = sites.length > 0;
  const up = !known || downVotes.length < needed;
  return { up, known, reason: reasonOf(up, known, sites, downVotes, needed, rule), rule, needed, downSites: downVotes.length, sites };
}

/** "down at 2/3 sites (majority): eu HTTP 503" — short, and the same on every node. */
function reasonOf(
  up: boolean,
  known: boolean,
  sites: readonly SiteVote[],
  down: readonly SiteVote[],
  needed: number,
  rule: QuorumRule,
): string {
  if (!known) return 'no site reporting';
  const tally = `${down.length}/${sites.length} sites (${rule}, ${needed} needed)`;
  if (down.length === 0) return `up at every site reporting (${sites.length})`;
  const first = down[0]!;
  const why = first.observations.find((o) => !o.up)?.reason ?? '';
  return `${up ? 'up' : 'down'}: down at ${tally}; ${first.site}: ${why}`;
}
