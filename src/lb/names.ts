// Domain names as the LB file writes them → the canonical form used everywhere inside
// (lowercase, no trailing dot; see src/wire/types.ts). The file only accepts plain
// letter-digit-hyphen-underscore labels, so no escaping is ever needed.

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Why `name` (canonical, no trailing dot) is not a usable host name, or null when it is. */
function labelProblem(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.length > 253) return 'name longer than 253 characters';
  for (const label of name.split('.')) {
    if (label.length === 0) return 'empty label';
    if (label.length > 63) return `label "${label}" longer than 63 characters`;
    if (!LABEL.test(label)) return `label "${label}" may hold only letters, digits, '-' and '_' (and not start or end with '-')`;
  }
  return null;
}

/** A hostname origin or target (always absolute; the trailing dot is optional). */
export function canonicalHostname(text: string): { name: string } | { problem: string } {
  const name = text.toLowerCase().replace(/\.$/, '');
  const problem = labelProblem(name);
  if (problem) return { problem };
  if (/^[0-9.]+$/.test(name)) return { problem: 'looks like a malformed IPv4 address' };
  return { name };
}

/** Zone origin as given by the caller ("Example.COM." → "example.com"). */
export function canonicalOrigin(origin: string): string {
  return origin.toLowerCase().replace(/\.$/, '');
}

/**
 * The absolute owner name of a load balancer key: "@" is the apex, a name ending in '.' is
 * absolute and must lie inside the origin, anything else is relative to the origin.
 */
export function ownerName(key: string, origin: string): { name: string } | { problem: string } {
  if (key === '@') return { name: origin };
  const lower = key.toLowerCase();
  let name: string;
  if (lower.endsWith('.')) {
    name = lower.slice(0, -1);
    const inside = origin === '' || name === origin || name.endsWith(`.${origin}`);
    if (!inside) return { problem: `absolute name ${key} is outside the zone ${origin}.` };
  } else {
    if (lower.includes('*')) return { problem: 'wildcard load balancer names are not supported' };
    name = origin === '' ? lower : `${lower}.${origin}`;
  }
  if (name.includes('*')) return { problem: 'wildcard load balancer names are not supported' };
  const problem = labelProblem(name);
  return problem ? { problem } : { name };
}
