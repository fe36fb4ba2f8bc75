// What a fleet keeps in etcd, and where. Everything a node writes is under its lease, so a
// dead node's records disappear with it. Zones and LB files never go to the store: every node
// has the same files (GitOps); the store carries health, membership and config fingerprints.
//
//   <prefix>members/<node>              MemberRecord (JSON)
//   <prefix>obs/<target key>/<node>     ObservationRecord (JSON): this node's settled state of a target
//   <prefix>overrides/<id>              Override (JSON, overrides-record.ts): an operator override of the
//                                       fleet; under no lease (it outlives the node that made it)
import type { Observation, SmoothedRtt } from './quorum.js';

export interface MemberRecord {
  readonly node: string;
  readonly site: string;
  readonly version: string;
  /** configFingerprint of the zones and LB files this node serves. */
  readonly fingerprint: string;
  /** DNS listen addresses. */
  readonly listen: readonly string[];
  /** Epoch ms: process start, and the last heartbeat (as the node's clock says; display only). */
  readonly started: number;
  readonly heartbeat: number;
  /** Generation of the health this node serves. */
  readonly generation: number;
  /** Targets this node probes now. */
  readonly probing: number;
  /** The node could not reach the store for a while and decides alone (see fleet.ts). */
  readonly degraded: boolean;
  /** Where the node's site is (--site-location), for dynamic steering; null when not given. */
  readonly location: SiteLocation | null;
}

/** Degrees, WGS 84 as GeoIP gives them. */
export interface SiteLocation {
  readonly latitude: number;
  readonly longitude: number;
}

export interface ObservationRecord {
  readonly site: string;
  readonly up: boolean;
  readonly reason: string;
  readonly rttMs: number;
  /** Epoch ms of the probe, as the prober's clock says (display only: ordering uses revisions). */
  readonly at: number;
  /**
   * Targets of dynamic load balancers: the smoothed RTT as last published. Refreshed under the
   * rule of rtt-publish.ts, not per probe; absent from older nodes and for other targets.
   */
  readonly smoothed?: SmoothedRtt | null;
}

export interface KeyLayout {
  readonly prefix: string;
  member(node: string): string;
  observation(targetKey: string, node: string): string;
  /** Parses an observation key: null when the key is something else. */
  parseObservation(key: string): { targetKey: string; node: string } | null;
  /** Parses a member key: the node name, or null. */
  parseMember(key: string): string | null;
  override(id: string): string;
  /** Parses an override key: the override id, or null. */
  parseOverride(key: string): string | null;
}

/** `prefix` ends with "/" (added when missing). Target keys are URI-encoded: they hold ":" and "[". */
export function keyLayout(prefixText: string): KeyLayout {
  const prefix = prefixText.endsWith('/') ? prefixText : `${prefixText}/`;
  const members = `${prefix}members/`;
  const obs = `${prefix}obs/`;
  const overrides = `${prefix}overrides/`;
  return {
    prefix,
    member: (node) => `${members}${node}`,
    observation: (targetKey, node) => `${obs}${encodeURIComponent(targetKey)}/${node}`,
    parseObservation(key) {
      if (!key.startsWith(obs)) return null;
      const rest = key.slice(obs.length);
      const slash = rest.lastIndexOf('/');
      if (slash <= 0) return null;
      try {
        return { targetKey: decodeURIComponent(rest.slice(0, slash)), node: rest.slice(slash + 1) };
      } catch {
        return null;
      }
    },
    parseMember: (key) => (key.startsWith(members) && key.length > members.length ? key.slice(members.length) : null),
    override: (id) => `${overrides}${id}`,
    parseOverride: (key) => (key.startsWith(overrides) && key.length > overrides.length ? key.slice(overrides.length) : null),
  };
}

/** Node and site names: they are parts of store keys and metric labels. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function parseMemberRecord(text: string): MemberRecord | null {
  try {
    const v = JSON.parse(text) as Partial<MemberRecord>;
    if (typeof v.node !== 'string' || typeof v.site !== 'string' || typeof v.fingerprint !== 'string') return null;
    return {
      node: v.node,
      site: v.site,
      version: String(v.version ?? ''),
      fingerprint: v.fingerprint,
      listen: Array.isArray(v.listen) ? v.listen.map(String) : [],
      started: Number(v.started) || 0,
      heartbeat: Number(v.heartbeat) || 0,
      generation: Number(v.generation) || 0,
      probing: Number(v.probing) || 0,
      degraded: v.degraded === true,
      location: parseLocation(v.location),
    };
  } catch {
    return null;
  }
}

export function parseObservation(text: string, node: string, revision: number): (Observation & { readonly at: number }) | null {
  try {
    const v = JSON.parse(text) as Partial<ObservationRecord>;
    if (typeof v.site !== 'string' || typeof v.up !== 'boolean') return null;
    return {
      node,
      site: v.site,
      up: v.up,
      reason: String(v.reason ?? ''),
      rttMs: Number(v.rttMs) || 0,
      at: Number(v.at) || 0,
      revision,
      smoothed: parseSmoothed(v.smoothed),
    };
  } catch {
    return null;
  }
}

function parseLocation(v: unknown): SiteLocation | null {
  if (typeof v !== 'object' || v === null) return null;
  const { latitude, longitude } = v as Partial<SiteLocation>;
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return null;
  if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return null;
  return { latitude, longitude };
}

function parseSmoothed(v: unknown): SmoothedRtt | null {
  if (typeof v !== 'object' || v === null) return null;
  const { rttMs, samples } = v as Partial<SmoothedRtt>;
  if (typeof rttMs !== 'number' || !Number.isFinite(rttMs) || rttMs < 0) return null;
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1) return null;
  return { rttMs, samples };
}
