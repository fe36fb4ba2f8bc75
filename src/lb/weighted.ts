// Weighted choice, two ways: random (a draw against cumulative weights) and stable
// (weighted rendezvous hashing). Rendezvous hashing gives every (client, candidate) pair an
// independent score; the best score wins. Removing a candidate changes the winner only for
// clients whose winner it was, so when one of N pools dies only its share of clients moves.

/** murmur3's 32-bit finaliser: a cheap bijection with full avalanche. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable 32-bit hash of a string (FNV-1a, finalised): seeds candidates by name, so a reload keeps them. */
export function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Hash of a client subnet: the masked address words plus family and prefix length. */
export function subnetHash(words: Uint32Array, family: 4 | 6, prefix: number): number {
  let h = fmix32(0x9e3779b9 ^ (family << 8) ^ prefix);
  const count = family === 4 ? 1 : 4;
  for (let w = 0; w < count; w++) h = fmix32(Math.imul(h ^ words[w]!, 0xcc9e2d51) + 0x1b873593);
  return h;
}

/**
 * Weighted rendezvous score of a candidate for a client: weight / -ln(u) with u uniform in
 * (0, 1) from the pair's hash. The best score wins with probability weight / total weight.
 */
export function rendezvousScore(clientHash: number, candidateSeed: number, weight: number): number {
  const h = fmix32(fmix32((clientHash ^ candidateSeed) >>> 0) + candidateSeed);
  const u = (h + 0.5) / 4294967296;
  return weight / -Math.log(u);
}

/** Index of the best-scoring candidate (weights > 0 assumed); -1 when there is none. */
export function rendezvousPick(clientHash: number, seeds: Uint32Array, weights: Float64Array, count: number): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < count; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    const score = rendezvousScore(clientHash, seeds[i]!, w);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/**
 * Index drawn with probability weight / total, from a cumulative-weight table
 * (cumulative[i] = sum of weights[0..i]). -1 when the table is empty or sums to 0 (nothing is drawn then).
 */
export function weightedPick(cumulative: Float64Array, count: number, random: () => number): number {
  if (count === 0) return -1;
  const total = cumulative[count - 1]!;
  if (!(total > 0)) return -1;
  return indexAt(cumulative, count, random());
}

/** The index weightedPick gives when its draw is `u` (uniform in [0, 1)); the table must sum above 0. */
export function indexAt(cumulative: Float64Array, count: number, u: number): number {
  const r = u * cumulative[count - 1]!;
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Cumulative sums of `weights`. */
export function cumulativeOf(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i]!;
    out[i] = sum;
  }
  return out;
}
