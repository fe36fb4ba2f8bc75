// Rendezvous (highest random weight) hashing: which live members of a site probe a target.
// Every node computes the same answer from the same member list, with no coordination; when a
// member joins or leaves, only the targets it wins or held move (about 1/N of them).

/** 32-bit FNV-1a of the text, then murmur3's finaliser so similar names spread well. */
function score(member: string, key: string): number {
  let h = 0x811c9dc5;
  const text = `${member}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The `count` members with the highest score for `key`, best first. Ties (astronomically rare)
 * go to the smaller name, so the order never depends on the input order.
 */
export function probersFor(key: string, members: readonly string[], count: number): string[] {
  const n = Math.max(0, Math.min(count, members.length));
  if (n === 0) return [];
  const scored = members.map((member) => ({ member, score: score(member, key) }));
  scored.sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  return scored.slice(0, n).map((s) => s.member);
}
