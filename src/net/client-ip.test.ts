import { describe, expect, it } from 'vitest';
import { BytesClientIp, clientIpOf, TextClientIp } from './client-ip.js';
import { formatIp, parseClientIpInto } from './ip.js';

const bytesOf = (c: { into(out: Uint8Array): 0 | 4 | 6 }): { family: number; bytes: number[] } => {
  const out = new Uint8Array(16).fill(0xee);
  const family = c.into(out);
  return { family, bytes: [...out.subarray(0, family === 6 ? 16 : family === 4 ? 4 : 0)] };
};

describe('BytesClientIp', () => {
  it('reads IPv4 and IPv6 in place, an IPv4-mapped address as IPv4', () => {
    const meta = Uint8Array.from([7, 7, 7, 7, 192, 0, 2, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53]);
    const c = new BytesClientIp();
    expect(bytesOf(c.set(meta, 4, 4))).toEqual({ family: 4, bytes: [192, 0, 2, 1] });
    expect(c.text()).toBe('192.0.2.1');
    expect(bytesOf(c.set(meta, 8, 6))).toEqual({ family: 6, bytes: [...meta.subarray(8, 24)] });
    expect(c.text()).toBe('2001:db8::53');
    const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7]);
    expect(bytesOf(c.set(mapped, 0, 6))).toEqual({ family: 4, bytes: [198, 51, 100, 7] });
    expect(c.text()).toBe('::ffff:198.51.100.7');
  });

  it('makes its text once per address, and again after set()', () => {
    const meta = Uint8Array.from([10, 0, 0, 1]);
    const c = new BytesClientIp().set(meta, 0, 4);
    const first = c.text();
    expect(c.text()).toBe(first);
    meta[3] = 2;
    expect(c.text()).toBe('10.0.0.1');
    expect(c.set(meta, 0, 4).text()).toBe('10.0.0.2');
  });

  it('says what the text path says for the same address: family, bytes and text (the dgram and batched paths agree)', () => {
    let x = 0x2545f491;
    const next = (): number => {
      x = (Math.imul(x ^ (x >>> 13), 0x5bd1e995) + 0x6b43a9b5) >>> 0;
      return x;
    };
    for (let n = 0; n < 3000; n++) {
      const b = new Uint8Array(16);
      const shape = n % 4;
      for (let i = 0; i < 16; i++) b[i] = next() & 0xff;
      // Zero runs (compressed text) and mapped addresses as well as random ones.
      if (shape === 1) b.fill(0, next() % 16, next() % 17);
      if (shape === 2) b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
      const family = shape === 3 ? 4 : 6;
      const view = family === 4 ? b.subarray(0, 4) : b;
      const fromBytes = new BytesClientIp().set(b, 0, family);
      const fromText = clientIpOf(formatIp(view));
      expect(fromBytes.text()).toBe(fromText.text());
      expect(bytesOf(fromBytes)).toEqual(bytesOf(fromText));
    }
  });
});

describe('TextClientIp', () => {
  it('keeps the text as given and reads it by parseClientIpInto rules', () => {
    for (const text of ['192.0.2.1', '::ffff:192.0.2.1', 'fe80::1%eth0', '2001:db8::1', 'not an address']) {
      const c = new TextClientIp().set(text);
      expect(c.text()).toBe(text);
      const want = new Uint8Array(16).fill(0xee);
      const family = parseClientIpInto(text, want);
      expect(bytesOf(c)).toEqual({ family, bytes: [...want.subarray(0, family === 6 ? 16 : family === 4 ? 4 : 0)] });
    }
  });
});
