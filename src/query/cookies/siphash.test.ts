import { describe, expect, it } from 'vitest';
import { sipHash24 } from './siphash.js';

/** The reference implementation's vectors: key 00..0f, message 00..(n-1). */
function hashOfPrefix(n: number): string {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const message = Uint8Array.from({ length: n }, (_, i) => i);
  const out = new Uint8Array(8);
  sipHash24(key, message, n, out, 0);
  return Buffer.from(out).toString('hex');
}

describe('SipHash-2-4', () => {
  it('matches the reference vectors (empty, one byte, the paper’s 15 bytes, 63 bytes)', () => {
    expect(hashOfPrefix(0)).toBe('310e0edd47db6f72');
    expect(hashOfPrefix(1)).toBe('fd67dc93c539f874');
    // The paper's Appendix A: 0xa129ca6149be45e5, written little-endian.
    expect(hashOfPrefix(15)).toBe('e545be4961ca29a1');
    expect(hashOfPrefix(63)).toBe('724506eb4c328a95');
  });

  it('hashes only the first `length` bytes and writes at the offset given', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const message = Uint8Array.from({ length: 20 }, (_, i) => i);
    const out = new Uint8Array(12).fill(0xaa);
    sipHash24(key, message, 15, out, 4);
    expect(Buffer.from(out.subarray(4)).toString('hex')).toBe('e545be4961ca29a1');
    expect([...out.subarray(0, 4)]).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
  });
});
