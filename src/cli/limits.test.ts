import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { resolveRrlOptions } from '../transport/rrl.js';
import { LIMIT_FLAGS, parseLimitFlags } from './limits.js';

const parse = (...args: string[]) => parseLimitFlags(parseArgs({ args, options: LIMIT_FLAGS }).values);

describe('rate limiting and TCP limit flags', () => {
  it('nothing given: RRL off, TCP defaults untouched', () => {
    expect(parse()).toEqual({ rrl: null, tcp: {} });
  });

  it('--rrl-rate alone turns RRL on with the limiter defaults', () => {
    const { rrl } = parse('--rrl-rate', '200');
    expect(rrl).toEqual({ rate: 200, exempt: [] });
    expect(resolveRrlOptions(rrl)).toMatchObject({ rate: 200, burst: 200, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 });
  });

  it('every RRL flag, exemptions repeatable', () => {
    const { rrl } = parse(
      '--rrl-rate',
      '10',
      '--rrl-burst',
      '40',
      '--rrl-slip',
      '0',
      '--rrl-ipv4-prefix',
      '32',
      '--rrl-ipv6-prefix',
      '64',
      '--rrl-exempt',
      '192.0.2.0/24',
      '--rrl-exempt',
      '2001:db8::/32',
      '--rrl-exempt',
      '198.51.100.7',
    );
    expect(rrl).toEqual({
      rate: 10,
      burst: 40,
      slip: 0,
      ipv4Prefix: 32,
      ipv6Prefix: 64,
      exempt: ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7'],
    });
  });

  it('--rrl-rate 0 is off, and then other RRL flags are accepted (kept for when the rate is raised)', () => {
    expect(parse('--rrl-rate', '0', '--rrl-slip', '1').rrl).toBeNull();
  });

  it('TCP limits, timeouts in seconds', () => {
    expect(
      parse(
        '--tcp-max-connections',
        '2000',
        '--tcp-max-per-client',
        '8',
        '--tcp-idle-timeout',
        '2.5',
        '--tcp-message-timeout',
        '1',
        '--tcp-max-queries',
        '100',
      ).tcp,
    ).toEqual({
      maxConnections: 2000,
      maxConnectionsPerClient: 8,
      idleTimeoutMs: 2500,
      messageTimeoutMs: 1000,
      maxQueriesPerConnection: 100,
    });
  });

  it.each([
    [['--rrl-rate=-1'], /--rrl-rate -1: expected a whole number from 0/],
    [['--rrl-rate', 'fast'], /--rrl-rate fast: expected a whole number/],
    [['--rrl-rate', '1.5'], /--rrl-rate 1\.5: expected a whole number/],
    [['--rrl-rate', ''], /--rrl-rate : expected a whole number/],
    [['--rrl-rate', '10', '--rrl-burst', '0'], /--rrl-burst 0: expected a whole number from 1/],
    [['--rrl-rate', '10', '--rrl-slip', '101'], /--rrl-slip 101: expected a whole number from 0 to 100/],
    [['--rrl-rate', '10', '--rrl-ipv4-prefix', '33'], /--rrl-ipv4-prefix 33: expected a whole number from 0 to 32/],
    [['--rrl-rate', '10', '--rrl-ipv6-prefix', '129'], /--rrl-ipv6-prefix 129: expected a whole number from 0 to 128/],
    [['--rrl-rate', '10', '--rrl-exempt', '10.0.0.0/33'], /--rrl-exempt 10\.0\.0\.0\/33: expected ADDRESS or ADDRESS\/PREFIX/],
    [['--rrl-rate', '10', '--rrl-exempt', 'example.com'], /--rrl-exempt example\.com/],
    [['--rrl-slip', '1'], /--rrl-slip needs --rrl-rate/],
    [['--rrl-exempt', '127.0.0.1'], /--rrl-exempt needs --rrl-rate/],
    [['--tcp-max-connections', '0'], /--tcp-max-connections 0: expected a whole number from 1/],
    [['--tcp-max-per-client', 'lots'], /--tcp-max-per-client lots/],
    [['--tcp-max-queries', '0'], /--tcp-max-queries 0/],
    [['--tcp-idle-timeout', '0'], /--tcp-idle-timeout 0: expected seconds from 0\.001 to 86400/],
    [['--tcp-idle-timeout', '10s'], /--tcp-idle-timeout 10s: expected seconds/],
    [['--tcp-message-timeout=-1'], /--tcp-message-timeout -1: expected seconds/],
  ])('%j is refused', (args, message) => {
    expect(() => parse(...args)).toThrow(message);
  });
});
