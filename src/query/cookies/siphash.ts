// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, the MAC of RFC 9018 server
// cookies. Written on 32-bit halves because BigInt arithmetic allocates on every operation;
// the state lives in module variables so a hash allocates nothing but its 8-byte result view.

// v0..v3 as (high, low) 32-bit halves.
let v0h = 0;
let v0l = 0;
let v1h = 0;
let v1l = 0;
let v2h = 0;
let v2l = 0;
let v3h = 0;
let v3l = 0;

function sipRound(): void {
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  let lo = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  let h = v1h;
  let l = v1l;
  v1h = ((h << 13) | (l >>> 19)) >>> 0;
  v1l = ((l << 13) | (h >>> 19)) >>> 0;
  v1h = (v1h ^ v0h) >>> 0;
  v1l = (v1l ^ v0l) >>> 0;
  h = v0h;
  v0h = v0l;
  v0l = h;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  lo = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  h = v3h;
  l = v3l;
  v3h = ((h << 16) | (l >>> 16)) >>> 0;
  v3l = ((l << 16) | (h >>> 16)) >>> 0;
  v3h = (v3h ^ v2h) >>> 0;
  v3l = (v3l ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  lo = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  h = v3h;
  l = v3l;
  v3h = ((h << 21) | (l >>> 11)) >>> 0;
  v3l = ((l << 21) | (h >>> 11)) >>> 0;
  v3h = (v3h ^ v0h) >>> 0;
  v3l = (v3l ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  lo = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  h = v1h;
  l = v1l;
  v1h = ((h << 17) | (l >>> 15)) >>> 0;
  v1l = ((l << 17) | (h >>> 15)) >>> 0;
  v1h = (v1h ^ v2h) >>> 0;
  v1l = (v1l ^ v2l) >>> 0;
  h = v2h;
  v2h = v2l;
  v2l = h;
}

function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** One message word (high, low) through the compression rounds. */
function compress(mh: number, ml: number): void {
  v3h = (v3h ^ mh) >>> 0;
  v3l = (v3l ^ ml) >>> 0;
  sipRound();
  sipRound();
  v0h = (v0h ^ mh) >>> 0;
  v0l = (v0l ^ ml) >>> 0;
}

/**
 * SipHash-2-4 of `data[0..length)` under the 16-byte `key`, written as 8 little-endian bytes
 * (the byte order of the reference implementation) into `out` at `at`.
 */
export function sipHash24(key: Uint8Array, data: Uint8Array, length: number, out: Uint8Array, at: number): void {
  const k0l = le32(key, 0);
  const k0h = le32(key, 4);
  const k1l = le32(key, 8);
  const k1h = le32(key, 12);
  // "somepseudorandomlygeneratedbytes"
  v0h = (k0h ^ 0x736f6d65) >>> 0;
  v0l = (k0l ^ 0x70736575) >>> 0;
  v1h = (k1h ^ 0x646f7261) >>> 0;
  v1l = (k1l ^ 0x6e646f6d) >>> 0;
  v2h = (k0h ^ 0x6c796765) >>> 0;
  v2l = (k0l ^ 0x6e657261) >>> 0;
  v3h = (k1h ^ 0x74656462) >>> 0;
  v3l = (k1l ^ 0x79746573) >>> 0;

  const whole = length & ~7;
  for (let i = 0; i < whole; i += 8) compress(le32(data, i + 4), le32(data, i));
  // The last word: the remaining bytes, and the length (mod 256) in the top byte.
  let ml = 0;
  let mh = (length & 0xff) << 24;
  const rest = length - whole;
  for (let i = 0; i < rest; i++) {
    const b = data[whole + i]!;
    if (i < 4) ml |= b << (8 * i);
    else mh |= b << (8 * (i - 4));
  }
  compress(mh >>> 0, ml >>> 0);

  v2l = (v2l ^ 0xff) >>> 0;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  const rh = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  const rl = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  out[at] = rl;
  out[at + 1] = rl >>> 8;
  out[at + 2] = rl >>> 16;
  out[at + 3] = rl >>> 24;
  out[at + 4] = rh;
  out[at + 5] = rh >>> 8;
  out[at + 6] = rh >>> 16;
  out[at + 7] = rh >>> 24;
}
