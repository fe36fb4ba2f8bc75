// The health-source half of building an LB file: which target an origin's health is read from
// once probe overrides apply, the targets a calculated monitor counts, and the monitor fields
// of external, calculated and inverted monitors.
import path from 'node:path';
import { targetKey, type MonitorSpec, type ProbeTarget } from '../health/types.js';
import { parseAddress } from '../net/parse.js';
import { canonicalHostname } from './names.js';
import type { ProbeOverrideInput } from './schema-health.js';
import type { MonitorInput } from './schema.js';

/** Seconds an external report holds when neither the report nor the monitor says. */
export const DEFAULT_EXPIRE_AFTER = 300;

/** Monitor ids carry the zone, so equal monitor names in two zones are different targets. */
const idOf = (origin: string, monitorName: string): string => `${origin}/${monitorName}`;

/** The MonitorSpec fields for invert, external and calculated. */
export function healthSourceSpec(m: MonitorInput, origin: string, file: string): Pick<MonitorSpec, 'invert' | 'external' | 'calculated'> {
  return {
    ...(m.invert === true ? { invert: true } : {}),
    ...(m.type === 'external'
      ? {
          external: {
            expireTo: m.expire_to ?? 'down',
            expireAfter: m.expire_after ?? DEFAULT_EXPIRE_AFTER,
            healthFile: m.health_file === undefined ? null : path.resolve(path.dirname(file), m.health_file),
          },
        }
      : {}),
    ...(m.type === 'calculated'
      ? {
          calculated: {
            children: (m.children ?? []).map((c) => idOf(origin, c)),
            healthyThreshold: m.healthy_threshold ?? (m.children ?? []).length,
          },
        }
      : {}),
  };
}

/** Origin `probe` keys override the pool's one by one. */
export function mergeProbe(pool: ProbeOverrideInput | undefined, origin: ProbeOverrideInput | undefined): ProbeOverrideInput | undefined {
  if (pool === undefined) return origin;
  if (origin === undefined) return pool;
  return { ...pool, ...origin };
}

export interface OriginProbe {
  /** Canonical answered address. */
  readonly address: string;
  readonly port: number | null;
  readonly probe: ProbeOverrideInput | undefined;
}

/**
 * Adds the target `monitorName` probes for this origin (and, for a calculated monitor, its
 * children's targets) to `targets`; returns its key. Equal (monitor, address, port, host) share
 * one target. check.ts rejects unknown names and cycles first.
 */
export function addProbeTarget(
  monitorName: string,
  o: OriginProbe,
  origin: string,
  monitors: ReadonlyMap<string, MonitorSpec>,
  targets: Map<string, ProbeTarget>,
  depth = 0,
): string {
  const monitor = monitors.get(monitorName);
  if (monitor === undefined || depth > monitors.size) throw new Error(`unchecked monitor reference ${monitorName}`);
  const address = o.probe?.address === undefined ? o.address : canonicalAddress(o.probe.address);
  const port = o.probe?.port ?? o.port ?? monitor.port;
  const host = o.probe?.host;
  const key = targetKey(idOf(origin, monitorName), address, port) + (host === undefined ? '' : `#${host}`);
  if (targets.has(key)) return key;
  let children: string[] | undefined;
  if (monitor.calculated) {
    const prefix = `${origin}/`;
    children = monitor.calculated.children.map((id) => addProbeTarget(id.slice(prefix.length), o, origin, monitors, targets, depth + 1));
  }
  targets.set(key, {
    key,
    monitor,
    address,
    port,
    ...(host === undefined ? {} : { host }),
    ...(children === undefined ? {} : { children }),
  });
  return key;
}

function canonicalAddress(text: string): string {
  const ip = parseAddress(text);
  if (!('problem' in ip)) return ip.text;
  const host = canonicalHostname(text);
  return 'problem' in host ? text : host.name;
}
