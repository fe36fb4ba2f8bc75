// NSEC records for compact denial of existence (RFC 9824) and the minimally covering NSEC that
// proves a wildcard expansion (RFC 4470 style): RDATA = next owner name | type bitmap (RFC 4034 §4.1).
import { nameToWire } from '../wire/name.js';
import type { RR } from '../wire/types.js';

export const RRTYPE_NSEC = 47;
export const RRTYPE_RRSIG = 46;
/** RFC 9824 §2: the pseudo-type that marks a nonexistent name in a compact-denial NSEC. */
export const RRTYPE_NXNAME = 128;

/** Type bitmap (RFC 4034 §4.1.2): windows of up to 32 bytes, in window order. */
export function typeBitmap(types: Iterable<number>): Buffer {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >> 8;
    const bits = Buffer.alloc(32);
    let used = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === window; i++) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      used = (low >> 3) + 1;
    }
    parts.push(Buffer.from([window, used]), bits.subarray(0, used));
  }
  return Buffer.concat(parts);
}

export function nsecRecord(owner: string, next: string, types: Iterable<number>, ttl: number): RR {
  const bytes = Buffer.concat([nameToWire(next), typeBitmap(types)]);
  return { name: owner, type: RRTYPE_NSEC, ttl, data: { kind: 'raw', bytes } };
}

/** `\000.name`: the name right after `name` in canonical order (RFC 4471 §3.1.1). */
export function immediateSuccessor(name: string): string {
  return name === '' ? '\\000' : `\\000.${name}`;
}

/**
 * The NSEC owner/next pair covering `label.parent` and everything below it, and nothing else
 * that could exist at that level: owner is the label decremented in its last byte and filled to
 * 63 bytes with \255, next is the label with a \000 byte appended. Both share only `parent` with
 * the name, so a validator sees `parent` as the closest encloser (the wildcard's parent).
 * Null when the label cannot be shifted that way (its last byte is 0 or it is already 63 bytes).
 */
export function coveringPair(labelBytes: Uint8Array, parent: string): { owner: string; next: string } | null {
  const n = labelBytes.length;
  if (n === 0 || n >= 63 || labelBytes[n - 1] === 0) return null;
  const lower = Buffer.alloc(63, 0xff);
  labelBytes.slice(0, n - 1).forEach((b, i) => {
    lower[i] = b;
  });
  let last = labelBytes[n - 1]! - 1;
  // Upper-case letters sort as lower case: step below 'A' so the order stays right.
  if (last >= 0x41 && last <= 0x5a) last = 0x40;
  lower[n - 1] = last;
  const higher = Buffer.concat([labelBytes, Buffer.of(0)]);
  const suffix = parent === '' ? '' : `.${parent}`;
  return { owner: `${labelToText(lower)}${suffix}`, next: `${labelToText(higher)}${suffix}` };
}

/** Canonical text of a label's bytes (the escaping of wire/types.ts). */
export function labelToText(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b >= 0x41 && b <= 0x5a) out += String.fromCharCode(b + 0x20);
    else if (b === 0x2e) out += '\\.';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x21 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}
