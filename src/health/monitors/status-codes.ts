// expected_codes: "200", "2xx", "200,301", "2xx,404" → a predicate on the status code.

export interface StatusMatcher {
  matches(status: number): boolean;
  /** The spec as written (normalised), for reasons like "HTTP 503 (expected 2xx)". */
  readonly text: string;
}

const cache = new Map<string, StatusMatcher>();

/**
 * Parses an expected_codes spec. Tokens are exact codes ("301") or a class ("2xx").
 * Invalid tokens are ignored (the config loader rejects them first); an empty spec means "200",
 * Cloudflare's default.
 */
export function statusMatcher(spec: string): StatusMatcher {
  const cached = cache.get(spec);
  if (cached) return cached;
  const exact = new Set<number>();
  const classes = new Set<number>();
  const kept: string[] = [];
  for (const raw of spec.split(',')) {
    const token = raw.trim().toLowerCase();
    if (/^[1-5]xx$/.test(token)) {
      classes.add(Number(token[0]));
      kept.push(token);
    } else if (/^[1-5]\d\d$/.test(token)) {
      exact.add(Number(token));
      kept.push(token);
    }
  }
  if (kept.length === 0) {
    exact.add(200);
    kept.push('200');
  }
  const matcher: StatusMatcher = {
    text: kept.join(','),
    matches: (status) => exact.has(status) || classes.has(Math.floor(status / 100)),
  };
  // Specs come from config files, so the set of distinct strings is small.
  if (cache.size < 1024) cache.set(spec, matcher);
  return matcher;
}

/** True if the token list is well formed (for the config loader and tests). */
export function isValidExpectedCodes(spec: string): boolean {
  const tokens = spec.split(',').map((t) => t.trim().toLowerCase());
  return tokens.length > 0 && tokens.every((t) => /^[1-5](?:xx|\d\d)$/.test(t));
}
