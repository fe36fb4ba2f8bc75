// Allocation-free IP arithmetic for the steering hot path: parse a text address into 32-bit
// words, mask to a prefix, compare prefixes. IPv4 lives in word 0; IPv6 uses words 0-3
// (big-endian order, word 0 holds the first 32 bits).

const hextets = new Uint16Array(8);

/** Parses `ip` into `out` (length >= 4). Returns 4 or 6, or 0 when the text is not an address. */
export function parseIpInto(ip: string, out: Uint32Array): 0 | 4 | 6 {
  for (let i = 0; i < ip.length; i++) {
    if (ip.charCodeAt(i) === 58 /* : */) return parseV6(ip, out) ? 6 : 0;
  }
  const v = parseV4(ip, 0, ip.length);
  if (v < 0) return 0;
  out[0] = v;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  return 4;
}

/** Dotted quad in s[start, end) as an unsigned 32-bit number, or -1. */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros ("01" is ambiguous octal in some parsers).
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + part;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseV6(s: string, out: Uint32Array): boolean {
  const len = s.length;
  let n = 0;
  let gap = -1; // index in hextets where "::" stands
  let i = 0;
  if (len < 2) return false;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    const start = i;
    let v = 0;
    let digits = 0;
    while (i < len) {
      const d = hexValue(s.charCodeAt(i));
      if (d < 0) break;
      v = v * 16 + d;
      i++;
      if (++digits > 4) return false;
    }
    if (i < len && s.charCodeAt(i) === 46) {
      // Embedded IPv4 tail: must be the last thing and fit in two hextets.
      if (n > 6) return false;
      const v4 = parseV4(s, start, len);
      if (v4 < 0) return false;
      hextets[n++] = Math.floor(v4 / 65536);
      hextets[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (digits === 0 || n >= 8) return false;
    hextets[n++] = v;
    if (i === len) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < len && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === len) {
      return false; // a single trailing colon
    }
  }
  if (gap >= 0) {
    if (n > 7) return false;
    const move = n - gap;
    for (let k = 0; k < move; k++) hextets[7 - k] = hextets[n - 1 - k]!;
    for (let k = gap; k < 8 - move; k++) hextets[k] = 0;
  } else if (n !== 8) {
    return false;
  }
  for (let w = 0; w < 4; w++) out[w] = ((hextets[w * 2]! << 16) | hextets[w * 2 + 1]!) >>> 0;
  return true;
}

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

/** True when `addr` lies inside network/prefix (network already masked). */
export function inPrefix(addr: Uint32Array, network: Uint32Array, family: 4 | 6, prefix: number): boolean {
  return commonPrefixLength(addr, network, family) >= prefix;
}
