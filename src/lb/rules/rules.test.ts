import { describe, expect, it } from 'vitest';
import { RRType } from '../../wire/types.js';
import { prepareLb } from '../prepare.js';
import { createTrace, formatTrace, steer, type SteerContext } from '../steer.js';
import type { ClientAddress } from '../../geo/types.js';
import { answerText, client, fakeGeo, healthWithDown, lbConfig, seededRandom } from '../../../test/support/lb-fixtures.js';
import { fakeAsn } from '../../../test/support/asn-fixtures.js';

const geo = fakeGeo([
  { cidr: '81.2.69.0/24', continent: 'EU', country: 'GB', subdivision: 'GB-ENG' },
  { cidr: '185.0.0.0/16', continent: 'EU', country: 'FR' },
  { cidr: '8.8.8.0/24', continent: 'NA', country: 'US', subdivision: 'US-CA' },
  { cidr: '2a02:c7f::/32', continent: 'EU', country: 'GB' },
]);
const asn = fakeAsn([
  { cidr: '104.16.0.0/13', asn: 13335, organization: 'CLOUDFLARENET' },
  { cidr: '81.2.69.0/24', asn: 20712, organization: 'Andrews & Arnold' },
]);

const POOLS = `monitors:
  web: { port: 8080 }
pools:
  us: { monitor: web, origins: [{ name: us1, address: 192.0.2.1 }, { name: us6, address: "2001:db8:1::1" }] }
  eu: { monitor: web, origins: [{ name: eu1, address: 192.0.2.2 }, { name: eu2, address: 192.0.2.12 }] }
  ap: { monitor: web, origins: [{ name: ap1, address: 192.0.2.3 }] }
  cf: { monitor: web, origins: [{ name: cf1, address: 192.0.2.4 }] }
`;

const config = lbConfig(`${POOLS}load_balancers:
  www:
    steering_policy: off
    default_pools: [us, eu]
    rules:
      - name: office
        condition: { client_subnet: ["203.0.0.0/16"] }
        overrides: { default_pools: [ap] }
      - name: europe
        condition: { continent: EU, not: { country: FR } }
        overrides: { default_pools: [eu, us], ttl: 60 }
      - name: v6-or-cloudflare
        condition: { any: [{ qtype: AAAA }, { asn: [13335] }] }
        overrides: { default_pools: [cf, us] }
  layered:
    default_pools: [us, eu]
    rules:
      - name: short-ttl
        condition: { ecs: present }
        overrides: { ttl: 5 }
        continue: true
      - name: gb
        condition: { country: [GB] }
        overrides: { default_pools: [eu] }
      - name: never
        condition: { country: [JP] }
        overrides: { default_pools: [ap] }
  by-resolver:
    default_pools: [us]
    rules:
      - name: isp-resolvers
        condition: { resolver_subnet: ["198.51.100.0/24"] }
        overrides: { default_pools: [eu] }
  skew:
    default_pools: [eu]
    rules:
      - name: canary
        condition: { qtype: A }
        overrides: { origin_weights: { eu: { eu2: 9 } } }
  by-asn:
    steering_policy: geo
    default_pools: [us]
    asn_pools: { "20712": [cf] }
    country_pools: { GB: [eu] }
`);

const POOL_OF: Record<string, string> = {
  'A 192.0.2.1': 'us',
  'AAAA 2001:db8:1::1': 'us',
  'A 192.0.2.2': 'eu',
  'A 192.0.2.12': 'eu',
  'A 192.0.2.3': 'ap',
  'A 192.0.2.4': 'cf',
};

function ask(owner: string, who: string | ClientAddress, opts: { qtype?: number; resolver?: string; down?: string[]; seed?: number } = {}) {
  const c = typeof who === 'string' ? client(who) : who;
  const resolver = client(opts.resolver ?? '192.0.2.53');
  const health = healthWithDown((opts.down ?? []).flatMap((p) => config.pools.get(p)!.origins.map((o) => o.healthKey!)));
  const trace = createTrace();
  const ctx: SteerContext = {
    client: c,
    geo,
    asn,
    random: seededRandom(opts.seed ?? 1),
    trace,
    clientFor: (preferEcs) => (preferEcs ? c : resolver),
  };
  const out = steer(prepareLb(config, health), `${owner}.example.com`, opts.qtype ?? RRType.A, ctx);
  const text = answerText(out.rrset);
  return {
    pool: text.length === 0 ? null : POOL_OF[text[0]!],
    rule: out.rule ?? null,
    scope: out.scope,
    ttl: out.ttl,
    trace: formatTrace(trace),
  };
}

describe('load balancer rules', () => {
  it('the first matching rule picks the overrides; no match answers as the load balancer is written', () => {
    expect(ask('www', '203.0.7.0/24')).toMatchObject({ pool: 'ap', rule: 'office', ttl: 30 });
    expect(ask('www', '81.2.69.0/24')).toMatchObject({ pool: 'eu', rule: 'europe', ttl: 60 });
    expect(ask('www', '185.0.3.0/24')).toMatchObject({ pool: 'us', rule: null, ttl: 30 }); // EU but FR: `not` excludes it
    expect(ask('www', '8.8.8.0/24')).toMatchObject({ pool: 'us', rule: null });
    expect(ask('www', '104.17.1.0/24')).toMatchObject({ pool: 'cf', rule: 'v6-or-cloudflare' }); // any: the ASN
    expect(ask('www', '8.8.8.0/24', { qtype: RRType.AAAA }).rule).toBe('v6-or-cloudflare'); // any: the qtype
  });

  it('the overrides see pool health: the rule’s own list fails over in its order', () => {
    expect(ask('www', '81.2.69.0/24', { down: ['eu'] })).toMatchObject({ pool: 'us', rule: 'europe' });
  });

  it('continue: true merges its overrides and goes on to the next rules', () => {
    expect(ask('layered', '81.2.69.0/24')).toMatchObject({ pool: 'eu', rule: 'short-ttl+gb', ttl: 5 });
    expect(ask('layered', '8.8.8.0/24')).toMatchObject({ pool: 'us', rule: 'short-ttl', ttl: 5 });
    // No ECS: the first rule does not match, the second is tried on the resolver's location.
    expect(ask('layered', '81.2.69.53')).toMatchObject({ pool: 'eu', rule: 'gb', ttl: 30 });
  });

  it('resolver_subnet tests the resolver, not the ECS subnet', () => {
    expect(ask('by-resolver', '81.2.69.0/24', { resolver: '198.51.100.7' })).toMatchObject({ pool: 'eu', rule: 'isp-resolvers', scope: 0 });
    expect(ask('by-resolver', '198.51.100.0/24', { resolver: '192.0.2.53' })).toMatchObject({ pool: 'us', rule: null });
  });

  it('origin_weights in overrides reweigh the origins of a pool', () => {
    const prepared = prepareLb(config, healthWithDown());
    const ctx = { client: client('81.2.69.0/24'), geo, asn, random: seededRandom(7), trace: null };
    let eu2 = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) if (answerText(steer(prepared, 'skew.example.com', RRType.A, ctx).rrset)[0] === 'A 192.0.2.12') eu2++;
    // Weight 9 against 1: 90% expected; 2000 draws put 4 standard deviations at about ±2.7%.
    expect(eu2 / n).toBeGreaterThan(0.85);
    expect(eu2 / n).toBeLessThan(0.95);
    // AAAA does not match the rule, and the pool has no IPv6 origin: NODATA, untouched weights.
    expect(ask('skew', '8.8.8.0/24', { qtype: RRType.AAAA }).rule).toBeNull();
  });

  it('asn_pools sit between subnet_pools and the GeoIP maps', () => {
    expect(ask('by-asn', '81.2.69.0/24')).toMatchObject({ pool: 'cf', scope: 24 }); // AS20712 beats GB
    expect(ask('by-asn', '81.2.69.0/24', { down: ['cf'] })).toMatchObject({ pool: 'eu' }); // dead: falls to country
    expect(ask('by-asn', '2a02:c7f::/48', { qtype: RRType.A })).toMatchObject({ pool: 'eu' });
  });

  it('ECS scope covers exactly the networks the conditions looked at', () => {
    expect(ask('www', '203.0.7.0/24').scope).toBe(16); // matched the /16
    // 198.51.100.0 shares 4 bits with 203.0.0.0, so the miss holds for its /5; then GeoIP (unknown, /16) decides.
    expect(ask('www', '198.51.100.0/24').scope).toBe(16);
    // A qtype-only rule depends on no subnet at all.
    expect(ask('skew', '81.2.69.0/24').scope).toBe(0);
  });

  it('the trace names each rule tried and the one that steered', () => {
    const { trace } = ask('www', '81.2.69.0/24');
    expect(trace).toContain('rule "office" (client_subnet [203.0.0.0/16]): no match');
    expect(trace).toContain('rule "europe" (continent [EU] and not (country [FR])): matches');
    expect(trace).toContain('steering as "www" with rule europe');
    expect(trace).not.toContain('v6-or-cloudflare');
  });
});
