// LB-file keys for health sources beyond probing the answered address: a probe override per
// pool or origin, inverted monitors, external (pushed) health and calculated monitors. Kept
// apart from schema.ts so the shapes there only gain one line per key.
import { z } from 'zod';
import { looksLikeIp, parseAddress } from '../net/parse.js';
import { canonicalHostname } from './names.js';

/** Monitor types that are not probes: the health table is fed by something else. */
export const PUSHED_MONITOR_TYPES = ['external', 'calculated'] as const;

/** Keys that apply only to `type: external` monitors. */
export const EXTERNAL_ONLY_KEYS = ['expire_to', 'expire_after', 'health_file'] as const;
/** Keys that apply only to `type: calculated` monitors. */
export const CALCULATED_ONLY_KEYS = ['children', 'healthy_threshold'] as const;

const hostOrIp = z.string().superRefine((a, ctx) => {
  const ip = parseAddress(a);
  if (!('problem' in ip)) return;
  if (looksLikeIp(a)) {
    ctx.addIssue({ code: 'custom', message: ip.problem });
    return;
  }
  const host = canonicalHostname(a);
  if ('problem' in host) ctx.addIssue({ code: 'custom', message: `"${a}" is neither an IP address nor a hostname: ${host.problem}` });
});

/**
 * `probe: { address, port, host }` on a pool or an origin: probe somewhere else than the
 * address answered (behind NAT, a health endpoint on a side port, another virtual host).
 * Origin keys override pool keys one by one.
 */
export const probeOverrideSchema = z
  .strictObject({
    address: hostOrIp.optional(),
    port: z.number().int().min(1).max(65535).optional(),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/, { error: 'host is a Host header value: name[:port]' })
      .optional(),
  })
  .refine((p) => p.address !== undefined || p.port !== undefined || p.host !== undefined, {
    error: 'probe needs at least one of address, port, host',
  });

export type ProbeOverrideInput = z.output<typeof probeOverrideSchema>;

/** The monitor keys this file adds (all optional; defaults are applied in build.ts). */
export const healthMonitorShape = {
  /** Route 53 inverted checks: a passing probe means down. */
  invert: z.boolean().optional(),
  /** external: the state a report falls back to when its TTL runs out (and before any report). */
  expire_to: z.enum(['up', 'down']).optional(),
  /** external: seconds a report holds when it names no ttl of its own; 0 = until replaced. */
  expire_after: z.number().min(0).max(31_536_000).optional(),
  /** external: a watched file of "origin up|down [reason]" lines, relative to the LB file. */
  health_file: z.string().min(1).optional(),
  /** calculated: monitor names whose results for the same origin are counted. */
  children: z.array(z.string().min(1)).min(1, { error: 'list at least one child monitor' }).optional(),
  /** calculated: how many children must pass for the origin to be up (default: all). */
  healthy_threshold: z.number().int().min(1).optional(),
};
