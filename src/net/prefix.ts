// Prefix arithmetic on parsed addresses, allocation-free for the query path. Two layouts:
// 32-bit big-endian words (steering: clz32 finds the common prefix a word at a time) and bytes
// (RRL keys and exemptions). IPv4 uses word 0 / bytes 0-3.

/** Clears every bit past `prefix` in place. */
export function maskInPlace(words: Uint32Array, family: 4 | 6, prefix: number): void {
  const count = family === 4 ? 1 : 4;
  for (let w = 0; w < count; w++) {
    const bitsHere = prefix - w * 32;
    if (bitsHere >= 32) continue;
    words[w] = bitsHere <= 0 ? 0 : (words[w]! & (~0 << (32 - bitsHere))) >>> 0;
  }
}

/** Number of leading bits `a` and `b` share (up to 32 or 128). */
export function commonPrefixLength(a: Uint32Array, b: Uint32Array, family: 4 | 6): number {
  const count = family === 4 ? 1 : 4;
  for (let w = 0; w < count; w++) {
    const x = (a[w]! ^ b[w]!) >>> 0;
    if (x !== 0) return w * 32 + Math.clz32(x);
  }
  return count * 32;
}

/** True when the first `prefix` bits of the byte arrays `addr` and `network` agree. */
export function bytesInPrefix(addr: Uint8Array, network: Uint8Array, prefix: number): boolean {
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== network[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (addr[whole]! & m) === (network[whole]! & m);
}

/** Clears every bit of `bytes` past `prefix` in place. */
export function maskBytesInPlace(bytes: Uint8Array, prefix: number): void {
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3] = bytes[bit >> 3]! & ~(0x80 >> (bit & 7));
}
