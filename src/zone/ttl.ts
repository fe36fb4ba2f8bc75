// TTL text as BIND accepts it: plain seconds ("3600") or unit groups ("1h30m", "1w2d", case
// insensitive, units may repeat). A bare number after a unit group ("1h30") is an error.

const UNIT_SECONDS: Readonly<Record<string, number>> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/** Largest TTL a zone may hold (RFC 2181 §8: 31 bits). */
export const MAX_TTL = 0x7fffffff;

/** Seconds for a TTL-style duration, or null when the text is not one. No range check. */
export function parseDuration(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const groups = /^(?:\d+[wdhmsWDHMS])+$/.test(text) ? text.match(/\d+[a-zA-Z]/g) : null;
  if (groups === null) return null;
  let total = 0;
  for (const g of groups) total += Number(g.slice(0, -1)) * UNIT_SECONDS[g.slice(-1).toLowerCase()]!;
  return total;
}

/** A record TTL: a duration within 0..2^31-1, else an error text. */
export function parseTtl(text: string): number | string {
  const seconds = parseDuration(text);
  if (seconds === null) return `bad TTL "${text}"`;
  if (seconds > MAX_TTL) return `TTL ${text} is larger than ${MAX_TTL} (RFC 2181 §8)`;
  return seconds;
}
