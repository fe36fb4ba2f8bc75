import { describe, expect, it } from 'vitest';
import { parseRecord, parseTruncation, truncateAddress, truncateSubnet } from './record.js';

describe('query record', () => {
  it('truncates resolver addresses and ECS subnets to the configured prefixes, never widening a subnet', () => {
    const t = parseTruncation('24/56');
    expect(truncateAddress('192.0.2.77', t)).toBe('192.0.2.0/24');
    expect(truncateAddress('::ffff:192.0.2.77', t)).toBe('192.0.2.0/24');
    expect(truncateAddress('2001:db8:1:2:3::9', t)).toBe('2001:db8:1::/56');
    expect(truncateAddress('192.0.2.77', null)).toBe('192.0.2.77');
    expect(truncateSubnet('198.51.100.128/25', t)).toBe('198.51.100.0/24');
    expect(truncateSubnet('10.0.0.0/8', t)).toBe('10.0.0.0/8');
    expect(() => parseTruncation('33/56')).toThrow(/--query-log-truncate/);
    expect(() => parseTruncation('24')).toThrow(/--query-log-truncate/);
  });

  it('reads a record, defaulting what replay does not need, and says what is wrong with a bad line', () => {
    const ok = parseRecord('{"ts":5,"resolver":"192.0.2.0/24","qname":"www.example.com","qtype":"A"}');
    expect(ok).toMatchObject({ record: { transport: 'udp', ecs: null, sample: 1, lb: null, origins: [] } });
    expect(parseRecord('nope')).toEqual({ problem: 'not valid JSON' });
    expect(parseRecord('[1]')).toEqual({ problem: 'not a JSON object' });
    expect(parseRecord('{"resolver":"192.0.2.1","qname":"a","qtype":"A"}')).toMatchObject({ problem: expect.stringMatching(/ts/) });
    expect(parseRecord('{"ts":1,"resolver":"nowhere","qname":"a","qtype":"A"}')).toMatchObject({
      problem: expect.stringMatching(/resolver/),
    });
    expect(parseRecord('{"ts":1,"resolver":"192.0.2.1","qtype":"A"}')).toMatchObject({ problem: expect.stringMatching(/qname/) });
    expect(parseRecord('{"ts":1,"resolver":"192.0.2.1","qname":"a","qtype":"A","ecs":"x"}')).toMatchObject({
      problem: expect.stringMatching(/ecs/),
    });
    expect(parseRecord('{"v":99,"ts":1,"resolver":"192.0.2.1","qname":"a","qtype":"A"}')).toMatchObject({
      problem: expect.stringMatching(/newer/),
    });
  });
});
