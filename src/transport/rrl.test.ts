import net from 'node:net';
import { clientIpOf } from '../net/client-ip.js';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SteerError } from '../errors.js';
import { parseClientIpInto } from '../net/ip.js';
import { parseNetwork } from '../net/parse.js';
import type { Query, Reply } from '../wire/types.js';
import { resolveRrlOptions, ResponseRateLimiter, RrlVerdict, slipReply, type RrlOptions, type RrlResponse } from './rrl.js';

const soa = { mname: 'ns1.example.com', rname: 'h.example.com', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 };

/** An NXDOMAIN reply as encoded, built with dns-packet (an independent encoder), for slipReply. */
function nxdomainBytes(name: string, zone = 'example.com'): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | 3,
    questions: [{ name, type: 'A', class: 'IN' }],
    authorities: [{ name: zone, type: 'SOA', class: 'IN', ttl: 60, data: soa }],
  });
}

/** Responses of each class, as the pipeline describes them (names in the decoder's lower case). */
function response(kind: RrlResponse['kind'], qname: string, zone: string | null, more: Partial<RrlResponse> = {}): RrlResponse {
  return { kind, query: { qname } as Query, zone, wildcard: null, reply: null, ...more };
}
const positive = (name = 'www.example.com'): RrlResponse => response('answer', name, 'example.com');
const nxdomain = (name: string, zone = 'example.com'): RrlResponse => response('nxdomain', name, zone);
const nodata = (name: string, zone = 'example.com'): RrlResponse => response('nodata', name, zone);
const refused = (name: string): RrlResponse => response('refused', name, null);
const fromWildcard = (name: string, owner = '*.example.com'): RrlResponse => response('answer', name, 'example.com', { wildcard: owner });

function limiter(opts: Partial<RrlOptions> = {}): { rrl: ResponseRateLimiter; clock: { now: number } } {
  const clock = { now: 1000 };
  const rrl = new ResponseRateLimiter({ rate: 10, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56, exempt: [], ...opts }, () => clock.now);
  return { rrl, clock };
}

/** How many of `n` responses in a row go out in full. */
function sends(rrl: ResponseRateLimiter, ip: string, reply: RrlResponse, n: number): number {
  let sent = 0;
  for (let i = 0; i < n; i++) if (rrl.check(clientIpOf(ip), reply) === RrlVerdict.SEND) sent++;
  return sent;
}

describe('token bucket', () => {
  it('sends a burst, then limits; tokens come back at `rate` per second', () => {
    const { rrl, clock } = limiter({ rate: 10, burst: 5 });
    const r = positive();
    expect(sends(rrl, '192.0.2.1', r, 20)).toBe(5);
    clock.now += 100; // one token
    expect(sends(rrl, '192.0.2.1', r, 5)).toBe(1);
    clock.now += 350; // three and a half
    expect(sends(rrl, '192.0.2.1', r, 5)).toBe(3);
    clock.now += 60_000; // refills only up to the burst
    expect(sends(rrl, '192.0.2.1', r, 20)).toBe(5);
  });

  it('burst defaults to one second of rate', () => {
    const { rrl } = limiter({ rate: 7 });
    expect(sends(rrl, '192.0.2.1', positive(), 50)).toBe(7);
  });

  it.each([
    [2, ['D', 'S', 'D', 'S', 'D', 'S']],
    [3, ['D', 'D', 'S', 'D', 'D', 'S']],
    [1, ['S', 'S', 'S', 'S', 'S', 'S']],
    [0, ['D', 'D', 'D', 'D', 'D', 'D']],
  ])('slip %i: every slip-th limited response goes out as TC', (slip, pattern) => {
    const { rrl } = limiter({ rate: 1, slip });
    const r = positive();
    expect(rrl.check(clientIpOf('192.0.2.1'), r)).toBe(RrlVerdict.SEND);
    const got = pattern.map(() => ['send', 'S', 'D'][rrl.check(clientIpOf('192.0.2.1'), r)]);
    expect(got).toEqual(pattern);
    const s = rrl.stats();
    expect(s.responses).toBe(7);
    expect(s.slipped).toBe(pattern.filter((p) => p === 'S').length);
    expect(s.dropped).toBe(pattern.filter((p) => p === 'D').length);
    expect(s.limited).toBe(6);
  });
});

describe('bucket keys', () => {
  it('an IPv4 /24 shares one bucket; the next /24 has its own', () => {
    const { rrl } = limiter({ rate: 4 });
    const r = positive();
    expect(sends(rrl, '198.51.100.1', r, 2) + sends(rrl, '198.51.100.254', r, 10)).toBe(4);
    expect(sends(rrl, '198.51.101.1', r, 10)).toBe(4);
  });

  it('the IPv4 prefix is configurable, including non-octet lengths', () => {
    const { rrl } = limiter({ rate: 4, ipv4Prefix: 20 });
    const r = positive();
    expect(sends(rrl, '198.51.96.1', r, 2) + sends(rrl, '198.51.111.9', r, 10)).toBe(4);
    expect(sends(rrl, '198.51.112.1', r, 10)).toBe(4);
  });

  it('an IPv6 /56 shares one bucket; the next /56 has its own', () => {
    const { rrl } = limiter({ rate: 4 });
    const r = positive();
    expect(sends(rrl, '2001:db8:0:1200::1', r, 2) + sends(rrl, '2001:db8::12ff:ffff:ffff:ffff:ffff', r, 10)).toBe(4);
    expect(sends(rrl, '2001:db8:0:1300::1', r, 10)).toBe(4);
  });

  it('an IPv4-mapped IPv6 client counts as its IPv4 network', () => {
    const { rrl } = limiter({ rate: 4 });
    const r = positive();
    expect(sends(rrl, '::ffff:192.0.2.7', r, 2) + sends(rrl, '192.0.2.8', r, 10)).toBe(4);
  });

  it('positive answers are limited per qname', () => {
    const { rrl } = limiter({ rate: 3 });
    expect(sends(rrl, '192.0.2.1', positive('www.example.com'), 10)).toBe(3);
    expect(sends(rrl, '192.0.2.1', positive('mail.example.com'), 10)).toBe(3);
  });

  it('answers synthesised from a wildcard are limited per wildcard owner, apart from positive answers', () => {
    const { rrl } = limiter({ rate: 4 });
    let sent = 0;
    for (let i = 0; i < 50; i++) if (rrl.check(clientIpOf('192.0.2.1'), fromWildcard(`r${i}.example.com`)) === RrlVerdict.SEND) sent++;
    expect(sent).toBe(4);
    // Another wildcard is another bucket; a name that exists keeps its own positive bucket.
    expect(sends(rrl, '192.0.2.1', fromWildcard('x.sub.example.com', '*.sub.example.com'), 10)).toBe(4);
    expect(sends(rrl, '192.0.2.1', positive('r0.example.com'), 10)).toBe(4);
    expect(rrl.stats().byClass.wildcard).toEqual({ slipped: 26, dropped: 26 });
  });

  it('NXDOMAIN and NODATA are limited per zone, so random names share one bucket', () => {
    const { rrl } = limiter({ rate: 5 });
    let sent = 0;
    for (let i = 0; i < 50; i++) if (rrl.check(clientIpOf('192.0.2.1'), nxdomain(`r${i}.example.com`)) === RrlVerdict.SEND) sent++;
    expect(sent).toBe(5);
    // Another zone is another bucket, and so is NODATA in the first zone.
    expect(sends(rrl, '192.0.2.1', nxdomain('x.example.net', 'example.net'), 10)).toBe(5);
    let nd = 0;
    for (let i = 0; i < 50; i++) if (rrl.check(clientIpOf('192.0.2.1'), nodata(`n${i}.example.com`)) === RrlVerdict.SEND) nd++;
    expect(nd).toBe(5);
  });

  it('classes are separate: a client flooding NXDOMAIN still gets positive answers and errors', () => {
    const { rrl } = limiter({ rate: 3 });
    expect(sends(rrl, '192.0.2.1', nxdomain('a.example.com'), 20)).toBe(3);
    expect(sends(rrl, '192.0.2.1', positive(), 20)).toBe(3);
    expect(sends(rrl, '192.0.2.1', refused('a.example.org'), 2) + sends(rrl, '192.0.2.1', refused('b.example.org'), 20)).toBe(3);
  });

  it('counts limited responses per class, slipped and dropped apart', () => {
    const { rrl } = limiter({ rate: 3, slip: 2 });
    sends(rrl, '192.0.2.1', nxdomain('a.example.com'), 13);
    sends(rrl, '192.0.2.1', positive(), 4);
    const { byClass, slipped, dropped } = rrl.stats();
    expect(byClass.nxdomain).toEqual({ slipped: 5, dropped: 5 });
    expect(byClass.positive).toEqual({ slipped: 0, dropped: 1 });
    expect([byClass.nodata, byClass.referral, byClass.error]).toEqual([0, 0, 0].map(() => ({ slipped: 0, dropped: 0 })));
    expect([slipped, dropped]).toEqual([5, 6]);
  });

  it('a referral is keyed by the delegation point', () => {
    const { rrl } = limiter({ rate: 3 });
    const ns = [{ name: 'sub.example.com' }];
    const referral = (name: string): RrlResponse =>
      response('referral', name, 'example.com', { reply: { authority: [ns] } as unknown as Reply });
    let sent = 0;
    for (let i = 0; i < 20; i++) if (rrl.check(clientIpOf('192.0.2.1'), referral(`h${i}.sub.example.com`)) === RrlVerdict.SEND) sent++;
    expect(sent).toBe(3);
    const other = { reply: { authority: [[{ name: 'other.example.com' }]] } as unknown as Reply };
    expect(sends(rrl, '192.0.2.1', response('referral', 'a.other.example.com', 'example.com', other), 10)).toBe(3);
  });
});

describe('exemptions', () => {
  it('exempt networks are never limited and are counted apart', () => {
    const { rrl } = limiter({ rate: 2, exempt: ['127.0.0.0/8', '2001:db8:ffff::/48', '192.0.2.77'] });
    const r = positive();
    expect(sends(rrl, '127.0.0.1', r, 50)).toBe(50);
    expect(sends(rrl, '::ffff:127.1.2.3', r, 10)).toBe(10);
    expect(sends(rrl, '2001:db8:ffff:1::1', r, 10)).toBe(10);
    expect(sends(rrl, '192.0.2.77', r, 10)).toBe(10);
    expect(sends(rrl, '192.0.2.78', r, 10)).toBe(2);
    expect(sends(rrl, '::1', r, 10)).toBe(2);
    expect(rrl.stats().exempt).toBe(80);
  });

  it('loopback is not exempt unless configured', () => {
    const { rrl } = limiter({ rate: 2 });
    expect(sends(rrl, '127.0.0.1', positive(), 10)).toBe(2);
  });
});

describe('table', () => {
  it('stays within its fixed size however many networks ask; evicted buckets start full', () => {
    const { rrl, clock } = limiter({ rate: 2, tableSize: 64 });
    const r = positive();
    for (let i = 0; i < 5000; i++) {
      rrl.check(clientIpOf(`10.${(i >> 8) & 255}.${i & 255}.1`), r);
      clock.now += 0.01;
    }
    const s = rrl.stats();
    expect(s.capacity).toBe(64);
    expect(s.buckets).toBeLessThanOrEqual(64);
    expect(s.evicted).toBeGreaterThan(4000);
    // Under that churn, a new network still gets its own full bucket.
    expect(sends(rrl, '203.0.113.1', r, 10)).toBe(2);
  });

  it('a refilled bucket is reused without counting as an eviction', () => {
    const { rrl, clock } = limiter({ rate: 10, burst: 10, tableSize: 16 });
    const r = positive();
    // Each network asks once, then stays quiet long enough for its bucket to refill.
    for (let i = 0; i < 200; i++) {
      rrl.check(clientIpOf(`10.0.${i}.1`), r);
      clock.now += 1000;
    }
    expect(rrl.stats().evicted).toBe(0);
    expect(rrl.stats().buckets).toBeLessThanOrEqual(16);
  });

  // That a check allocates nothing is tested on the shipped build, in a plain node process
  // (test/hardening/process.test.ts): vitest's module transform changes what the JIT does.
});

describe('slipReply', () => {
  it('keeps header and question, sets TC, drops every record', () => {
    const full = Buffer.from(nxdomainBytes('Foo.Example.com'));
    const out = slipReply(full);
    const d = dnsPacket.decode(Buffer.from(out)) as unknown as {
      flags: number;
      rcode: string;
      questions: { name: string }[];
      answers: unknown[];
      authorities: unknown[];
      additionals: unknown[];
    };
    expect(d.flags & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(d.rcode).toBe('NXDOMAIN');
    expect(d.questions.map((q) => q.name)).toEqual(['Foo.Example.com']);
    expect([d.answers.length, d.authorities.length, d.additionals.length]).toEqual([0, 0, 0]);
    expect(out.length).toBe(12 + 'Foo.Example.com'.length + 2 + 4);
  });

  it('a reply without a question becomes a bare header', () => {
    const header = Buffer.from([0, 1, 0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(slipReply(header).length).toBe(12);
  });
});

describe('addresses', () => {
  const bytes = (text: string): number[] | null => {
    const out = new Uint8Array(16);
    const f = parseClientIpInto(text, out);
    return f === 0 ? null : Array.from(out.subarray(0, f === 4 ? 4 : 16));
  };

  it('reads IPv6 in every written form like the WHATWG URL parser does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (raw, zeroRun) => {
        if (zeroRun) raw.fill(0, 4, 10);
        const full = Array.from({ length: 8 }, (_, i) => ((raw[2 * i]! << 8) | raw[2 * i + 1]!).toString(16)).join(':');
        const compressed = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        const mapped = raw.subarray(0, 10).every((b) => b === 0) && raw[10] === 0xff && raw[11] === 0xff;
        const expected = mapped ? Array.from(raw.subarray(12)) : Array.from(raw);
        expect(bytes(full)).toEqual(expected);
        expect(bytes(compressed)).toEqual(expected);
        expect(bytes(full.toUpperCase())).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads IPv4, the dotted IPv6 tail and a zone id', () => {
    expect(bytes('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(bytes('255.255.255.255')).toEqual([255, 255, 255, 255]);
    expect(bytes('::ffff:10.1.2.3')).toEqual([10, 1, 2, 3]);
    expect(bytes('64:ff9b::192.0.2.33')).toEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]);
    expect(bytes('fe80::1%eth0')).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(bytes('::')).toEqual(new Array(16).fill(0));
  });

  it('rejects what node:net rejects', () => {
    const samples = [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '1.2.3.4 ',
      ':::',
      '1:2',
      '1::2::3',
      ':1::',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7::8',
      '::1.2.3',
      '1.2.3.4::',
    ];
    for (const s of samples) expect([s, bytes(s)]).toEqual([s, net.isIP(s) === 0 ? null : bytes(s)]);
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f:.]{0,24}$/), (s) => {
        expect(bytes(s) === null).toBe(net.isIP(s) === 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('parses exemptions: a network, or a bare address as a host', () => {
    const exempt = (text: string) => parseNetwork(text, { hostAllowed: true });
    expect(exempt('192.0.2.0/24')).toMatchObject({ family: 4, prefix: 24 });
    expect(exempt('2001:db8::/32')).toMatchObject({ family: 6, prefix: 32 });
    expect(exempt('192.0.2.1')).toMatchObject({ family: 4, prefix: 32 });
    for (const bad of ['192.0.2.0/33', '::/129', 'x/8', '192.0.2.0/', '192.0.2.0/-1', '', '010.0.0.0/8', '192.0.2.1/24']) {
      expect(exempt(bad), bad).toHaveProperty('problem');
    }
  });
});

describe('configuration', () => {
  it('is off without a config or with rate 0, and fills defaults otherwise', () => {
    expect(resolveRrlOptions(null)).toBeNull();
    expect(resolveRrlOptions(undefined)).toBeNull();
    expect(resolveRrlOptions({ rate: 0, slip: 2 })).toBeNull();
    expect(resolveRrlOptions({ rate: 50 })).toEqual({
      rate: 50,
      burst: 50,
      slip: 2,
      ipv4Prefix: 24,
      ipv6Prefix: 56,
      exempt: [],
      tableSize: 65536,
    });
  });

  it.each([
    [{ rate: -1 }, /rate -1/],
    [{ rate: 5, slip: 1.5 }, /slip 1\.5/],
    [{ rate: 5, burst: 0 }, /burst 0/],
    [{ rate: 5, ipv4Prefix: 33 }, /ipv4 prefix 33/],
    [{ rate: 5, ipv6Prefix: 129 }, /ipv6 prefix 129/],
    [{ rate: 5, exempt: ['10.0.0.0/8', 'nonsense'] }, /exempt nonsense/],
    [{ rate: 5, exempt: ['010.0.0.0/8'] }, /exempt 010\.0\.0\.0\/8: .*leading zeros/],
    [{ rate: 5, tableSize: 1 }, /table size 1/],
  ])('rejects %j with a coded error', (partial, message) => {
    let err: unknown;
    try {
      resolveRrlOptions(partial);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SteerError);
    expect((err as SteerError).code).toBe('STEER_RRL_CONFIG');
    expect((err as SteerError).message).toMatch(message);
  });
});
