// The /api/v1/fleet document: who is in the fleet, what each node serves and probes, whether
// their files agree, and the votes behind every target's verdict.
import type { Fleet } from '../fleet/fleet.js';
import type { Verdict } from '../fleet/quorum.js';
import type { RunningServer } from '../server/server.js';
import type { OriginStatus } from './status-schema.js';

export type VotesView = NonNullable<OriginStatus['votes']>;

export function votesView(v: Verdict): VotesView {
  return {
    rule: String(v.rule),
    needed: v.needed,
    downSites: v.downSites,
    sites: v.sites.map((s) => ({
      site: s.site,
      up: s.up,
      observations: s.observations.map((o) => ({
        node: o.node,
        up: o.up,
        reason: o.reason,
        rttMs: o.rttMs,
        smoothed: o.smoothed ?? null,
        revision: o.revision,
      })),
    })),
  };
}

export function buildFleetView(fleet: Fleet, server: RunningServer, now = Date.now()) {
  const store = fleet.store.stats();
  const members = fleet.members();
  const probing = fleet.probing();
  const health = server.state.current.health;
  return {
    version: 1,
    generatedAt: now,
    node: fleet.node,
    site: fleet.site,
    status: fleet.degraded ? 'degraded: store unreachable' : store.reachable ? 'ok' : 'store unreachable (within grace)',
    degraded: fleet.degraded,
    store: {
      reachable: store.reachable,
      lastContact: store.lastContact,
      revision: store.revision,
      writes: store.writes,
      failures: store.failures,
    },
    fingerprint: server.fingerprint(),
    configMismatch: fleet.mismatches(),
    healthGeneration: health.generation,
    probersPerSite: fleet.options.probersPerSite,
    members: members.map((m) => ({ ...m, listen: [...m.listen] })),
    sites: [...new Set(members.map((m) => m.site))].map((site) => ({
      site,
      members: members.filter((m) => m.site === site).map((m) => m.node),
    })),
    targets: server.probeTargets().map((t) => {
      const v = fleet.verdict(t.key);
      const h = health.get(t.key);
      return {
        target: t.key,
        up: h?.up ?? true,
        known: h?.known ?? false,
        reason: h?.reason ?? '',
        probedHere: probing.has(t.key),
        votes: v ? votesView(v) : null,
      };
    }),
  };
}
