import { describe, expect, it } from 'vitest';
import { compareNames } from './canonical.js';
import { coveringPair, immediateSuccessor, nsecRecord, typeBitmap } from './nsec.js';

describe('NSEC RDATA', () => {
  it('encodes the type bitmap of RFC 4034 §4.3 (A MX RRSIG NSEC TYPE1234)', () => {
    const expected = Buffer.from(`0006400100000003041b${'00'.repeat(26)}20`, 'hex');
    expect(typeBitmap([1, 15, 46, 47, 1234]).toString('hex')).toBe(expected.toString('hex'));
  });

  it('RFC 9824 §3.1: an NXDOMAIN NSEC names \\000.qname next, with RRSIG NSEC NXNAME', () => {
    const rr = nsecRecord('a.example.com', immediateSuccessor('a.example.com'), [46, 47, 128], 3600);
    const bytes = rr.data.kind === 'raw' ? Buffer.from(rr.data.bytes) : Buffer.alloc(0);
    // \000.a.example.com. then window 0 (RRSIG NSEC: bits 46, 47) and NXNAME in window 0 too (128).
    expect(bytes.toString('hex')).toBe(`01000161076578616d706c6503636f6d000011${bitmapHex([46, 47, 128])}`);
  });
});

function bitmapHex(types: number[]): string {
  const bits = Buffer.alloc(17);
  for (const t of types) bits[t >> 3]! |= 0x80 >> (t & 7);
  return bits.toString('hex');
}

describe('canonical order and covering names', () => {
  it('orders names as RFC 4034 §6.1 lists them', () => {
    const sorted = [
      'example',
      'a.example',
      'yljkjljk.a.example',
      'Z.a.example'.toLowerCase(),
      'zabc.a.example',
      'z.example',
      '\\001.z.example',
      '*.z.example',
      '\\200.z.example',
    ];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareNames)).toEqual(sorted);
  });

  it('the covering pair brackets the name and its subtree, and shares only the parent with it', () => {
    const pair = coveringPair(Buffer.from('host'), 'apps.example.com')!;
    expect(compareNames(pair.owner, 'host.apps.example.com')).toBeLessThan(0);
    expect(compareNames('x.y.host.apps.example.com', pair.next)).toBeLessThan(0);
    expect(compareNames(pair.next, 'host.apps.example.com')).toBeGreaterThan(0);
    // A real neighbour stays outside: "hos" and "hosta" are not covered.
    expect(compareNames(pair.owner, 'hos.apps.example.com')).toBeGreaterThan(0);
    expect(compareNames('hosta.apps.example.com', pair.next)).toBeGreaterThan(0);
    expect(pair.owner.endsWith('.apps.example.com')).toBe(true);
    expect(coveringPair(Buffer.from([0x61, 0]), 'example.com')).toBeNull();
  });
});
