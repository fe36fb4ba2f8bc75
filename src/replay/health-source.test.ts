import { describe, expect, it } from 'vitest';
import { healthOfStatus, loadReplayHealth } from './health-source.js';

describe('replay health', () => {
  it('all-up counts every target healthy', async () => {
    const h = await loadReplayHealth('all-up');
    expect(h.snapshot.isUp('example.com/web@127.0.0.10:18080')).toBe(true);
  });

  it('reads the targets marked down in a saved status document; unknown ones count as up', () => {
    const status = {
      loadBalancers: [
        {
          pools: [
            {
              origins: [
                { target: 'z/web@127.0.0.10:80', health: 'down', reason: 'ECONNREFUSED' },
                { target: 'z/web@127.0.0.11:80', health: 'up' },
                { target: null, health: 'unmonitored' },
              ],
            },
          ],
        },
      ],
    };
    const h = healthOfStatus(JSON.stringify(status), 'file:s.json');
    expect(h.down).toEqual(['z/web@127.0.0.10:80']);
    expect(h.snapshot.isUp('z/web@127.0.0.10:80')).toBe(false);
    expect(h.snapshot.isUp('z/web@127.0.0.11:80')).toBe(true);
    expect(h.snapshot.isUp('z/other@127.0.0.12:80')).toBe(true);
    expect(() => healthOfStatus('{}', 'file:s.json')).toThrow(/loadBalancers/);
    expect(() => healthOfStatus('nope', 'file:s.json')).toThrow(/not JSON/);
  });
});
