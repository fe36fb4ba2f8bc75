// SvcParamKeys of SVCB and HTTPS (RFC 9460 §14.3.2 registry): number ↔ presentation name.

export const SvcKey = {
  mandatory: 0,
  alpn: 1,
  'no-default-alpn': 2,
  port: 3,
  ipv4hint: 4,
  ech: 5,
  ipv6hint: 6,
  dohpath: 7,
} as const;

/** 65535 is reserved ("Invalid key", RFC 9460 §14.3.2). */
export const INVALID_SVC_KEY = 65535;

const keyNames = new Map<number, string>(Object.entries(SvcKey).map(([name, n]) => [n, name]));
const keyNumbers = new Map<string, number>(Object.entries(SvcKey));

/** "alpn", or "key65000" for keys without a name. */
export function svcKeyName(key: number): string {
  return keyNames.get(key) ?? `key${key}`;
}

/** "alpn" → 1, "key65000" → 65000 (no leading zeros); undefined for anything else. */
export function svcKeyFromName(text: string): number | undefined {
  const known = keyNumbers.get(text);
  if (known !== undefined) return known;
  const m = /^key(0|[1-9]\d{0,4})$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n < INVALID_SVC_KEY ? n : undefined;
}
