import { describe, expect, it } from 'vitest';
import { BytesClientIp, clientIpOf } from '../net/client-ip.js';
import type { ClientSubnet } from '../wire/types.js';
import { clientAddress } from './client.js';
import type { ClientAddress } from './types.js';

const ecs4 = (bytes: number[], sourcePrefix: number): ClientSubnet => ({
  family: 1,
  sourcePrefix,
  scopePrefix: 0,
  address: Uint8Array.from(bytes),
});
/** The fields a caller reads (an IPv4 client makes its text on demand). */
const fields = (c: ClientAddress): object => ({
  ip: c.ip,
  family: c.family,
  sourcePrefix: c.sourcePrefix,
  fromEcs: c.fromEcs,
  net24: c.net24,
});
const ecs6 = (bytes: number[], sourcePrefix: number): ClientSubnet => ({
  family: 2,
  sourcePrefix,
  scopePrefix: 0,
  address: Uint8Array.from(bytes),
});

describe('clientAddress', () => {
  it('uses an IPv4 ECS subnet, padded to a full address', () => {
    expect(fields(clientAddress(ecs4([198, 51, 100], 24), clientIpOf('127.0.0.1'), true))).toEqual({
      ip: '198.51.100.0',
      family: 4,
      sourcePrefix: 24,
      fromEcs: true,
      net24: (198 << 16) | (51 << 8) | 100,
    });
    expect(fields(clientAddress(ecs4([10], 7), clientIpOf('127.0.0.1'), true))).toEqual({
      ip: '10.0.0.0',
      family: 4,
      sourcePrefix: 7,
      fromEcs: true,
      net24: 10 << 16,
    });
    expect(fields(clientAddress(ecs4([203, 0, 113, 9], 32), clientIpOf('127.0.0.1'), true))).toEqual({
      ip: '203.0.113.9',
      family: 4,
      sourcePrefix: 32,
      fromEcs: true,
      net24: (203 << 16) | 113,
    });
    // The top bit set: the number stays unsigned, the /24 positive.
    expect(fields(clientAddress(ecs4([223, 255, 255, 1], 32), clientIpOf('127.0.0.1'), true))).toMatchObject({
      ip: '223.255.255.1',
      net24: 0xdfffff,
    });
    // The text is made once and kept.
    const c = clientAddress(ecs4([192, 0, 2], 24), clientIpOf('127.0.0.1'), true);
    expect(c.ip).toBe(c.ip);
  });

  it('uses an IPv6 ECS subnet, padded and compressed', () => {
    expect(clientAddress(ecs6([0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01], 48), clientIpOf('::1'), true)).toEqual({
      ip: '2001:db8:1::',
      family: 6,
      sourcePrefix: 48,
      fromEcs: true,
    });
    expect(clientAddress(ecs6([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0], 56), clientIpOf('::1'), true).ip).toBe('2001:db8:2::');
    // The scratch buffer is cleared between calls: a shorter address after a longer one.
    clientAddress(ecs6(new Array<number>(16).fill(0xff), 128), clientIpOf('::1'), true);
    expect(clientAddress(ecs6([0x20, 0x01], 16), clientIpOf('::1'), true).ip).toBe('2001::');
  });

  it('uses the resolver address when ECS is absent, has source prefix 0, or is not preferred', () => {
    // An IPv4 resolver is kept as a number too: its /24 probes the GeoIP cache without text.
    const resolver = { ip: '192.0.2.53', family: 4, sourcePrefix: 32, fromEcs: false, net24: (192 << 16) | 2 };
    expect(fields(clientAddress(null, clientIpOf('192.0.2.53'), true))).toEqual(resolver);
    expect(fields(clientAddress(ecs4([], 0), clientIpOf('192.0.2.53'), true))).toEqual(resolver);
    expect(fields(clientAddress(ecs4([198, 51, 100], 24), clientIpOf('192.0.2.53'), false))).toEqual(resolver);
    // The same from the bytes a batched socket reports, and its text is made only when read.
    const peer = new BytesClientIp().set(Uint8Array.from([9, 9, 192, 0, 2, 53]), 2, 4);
    expect(fields(clientAddress(null, peer, true))).toEqual(resolver);
    expect(clientAddress(null, clientIpOf('2001:db8::53'), true)).toEqual({
      ip: '2001:db8::53',
      family: 6,
      sourcePrefix: 128,
      fromEcs: false,
    });
  });

  it('normalises dual-stack and zoned resolver addresses', () => {
    expect(fields(clientAddress(null, clientIpOf('::ffff:192.0.2.1'), true))).toEqual({
      ip: '192.0.2.1',
      family: 4,
      sourcePrefix: 32,
      fromEcs: false,
      net24: (192 << 16) | 2,
    });
    const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    expect(clientAddress(null, new BytesClientIp().set(mapped, 0, 6), true).ip).toBe('192.0.2.1');
    expect(clientAddress(null, clientIpOf('::FFFF:192.0.2.1'), true).ip).toBe('192.0.2.1');
    expect(clientAddress(null, clientIpOf('fe80::1%eth0'), true)).toEqual({ ip: 'fe80::1', family: 6, sourcePrefix: 128, fromEcs: false });
  });
});
