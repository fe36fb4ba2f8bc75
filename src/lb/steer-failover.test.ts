import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { prepareLb } from './prepare.js';
import { createTrace, formatTrace, steer, type SteerContext } from './steer.js';
import { answerText, client, healthWithDown, lbConfig, seededRandom } from '../../test/support/lb-fixtures.js';

const config = lbConfig(`monitors:
  web: { port: 8080 }
pools:
  primary:
    monitor: web
    minimum_origins: 2
    origins:
      - { name: p1, address: 192.0.2.1 }
      - { name: p2, address: 192.0.2.2 }
      - { name: p6, address: "2001:db8::1" }
      - { name: p-drained, address: 192.0.2.9, enabled: false }
  secondary:
    monitor: web
    origins:
      - { name: s1, address: 198.51.100.1 }
  backup:
    monitor: web
    origins:
      - { name: b1, address: 203.0.113.1 }
      - { name: b-drained, address: 203.0.113.2, enabled: false }
  off-pool:
    enabled: false
    origins: [{ name: o1, address: 192.0.2.200 }]
load_balancers:
  api:
    ttl: 20
    default_pools: [primary, secondary]
    fallback_pool: backup
  strict:
    default_pools: [primary, secondary]
    fallback: none
  disabled-fallback:
    default_pools: [off-pool, secondary]
    fallback_pool: off-pool
`);

const key = (ip: string) => `example.com/web@${ip.includes(':') ? `[${ip}]` : ip}:8080`;
const resolver = client('192.0.2.53');

function ctx(random = seededRandom(1), trace: SteerContext['trace'] = null): SteerContext {
  return { client: resolver, geo: null, random, trace };
}

function answers(down: string[], owner: string, qtype: number, draws = 1): Set<string> {
  const prepared = prepareLb(config, healthWithDown(down.map(key)));
  const c = ctx();
  const seen = new Set<string>();
  for (let i = 0; i < draws; i++) for (const a of answerText(steer(prepared, owner, qtype, c).rrset)) seen.add(a);
  return seen;
}

describe('failover (steering_policy off)', () => {
  it('answers from the first healthy pool, with owner and TTL of the load balancer', () => {
    const prepared = prepareLb(config, healthWithDown());
    const out = steer(prepared, 'api.example.com', RRType.A, ctx());
    expect(out.ttl).toBe(20);
    expect(out.scope).toBe(0);
    expect(out.rrset).toHaveLength(1);
    expect(out.rrset![0]).toMatchObject({ name: 'api.example.com', type: RRType.A, ttl: 20 });
    expect(answers([], 'api.example.com', RRType.A, 200)).toEqual(new Set(['A 192.0.2.1', 'A 192.0.2.2']));
  });

  it('a pool below minimum_origins is unhealthy: the next pool answers', () => {
    expect(answers(['192.0.2.1', '2001:db8::1'], 'api.example.com', RRType.A, 50)).toEqual(new Set(['A 198.51.100.1']));
  });

  it('no healthy pool: the fallback pool answers with its enabled origins, health ignored (fail open)', () => {
    const down = ['192.0.2.1', '192.0.2.2', '198.51.100.1', '203.0.113.1'];
    expect(answers(down, 'api.example.com', RRType.A, 500)).toEqual(new Set(['A 203.0.113.1']));
  });

  it('`fallback: none` fails closed: NODATA', () => {
    const prepared = prepareLb(config, healthWithDown(['192.0.2.1', '192.0.2.2', '198.51.100.1'].map(key)));
    expect(steer(prepared, 'strict.example.com', RRType.A, ctx())).toMatchObject({ rrset: null, scope: 0, ttl: 30, rule: null });
  });

  it('a disabled pool never answers, not even as the fallback', () => {
    expect(answers([], 'disabled-fallback.example.com', RRType.A, 50)).toEqual(new Set(['A 198.51.100.1']));
    expect(answers(['198.51.100.1'], 'disabled-fallback.example.com', RRType.A)).toEqual(new Set());
  });

  it('a drained origin is never answered', () => {
    expect(answers([], 'api.example.com', RRType.A, 2000).has('A 192.0.2.9')).toBe(false);
    const allDown = ['192.0.2.1', '192.0.2.2', '198.51.100.1', '203.0.113.1'];
    expect(answers(allDown, 'api.example.com', RRType.A, 2000).has('A 203.0.113.2')).toBe(false);
  });

  it('answers only the requested family; a chosen pool without it gives NODATA', () => {
    expect(answers([], 'api.example.com', RRType.AAAA, 50)).toEqual(new Set(['AAAA 2001:db8::1']));
    // The IPv6 origin being down leaves primary healthy (2 of 3 up): AAAA is NODATA rather
    // than jumping to another pool; A still answers from primary.
    expect(answers(['2001:db8::1'], 'api.example.com', RRType.AAAA)).toEqual(new Set());
    expect(answers(['2001:db8::1'], 'api.example.com', RRType.A, 50)).toEqual(new Set(['A 192.0.2.1', 'A 192.0.2.2']));
    // primary unhealthy → secondary, which has no IPv6 at all.
    expect(answers(['192.0.2.1', '192.0.2.2'], 'api.example.com', RRType.AAAA)).toEqual(new Set());
  });

  it('types the load balancer does not own, and names without one, are not steered', () => {
    const prepared = prepareLb(config, healthWithDown());
    expect(steer(prepared, 'api.example.com', RRType.MX, ctx())).toEqual({ rrset: null, scope: 0, ttl: 20 });
    expect(steer(prepared, 'api.example.com', RRType.CNAME, ctx()).rrset).toBeNull();
    expect(steer(prepared, 'nope.example.com', RRType.A, ctx())).toEqual({ rrset: null, scope: 0, ttl: 0 });
  });

  it('records are prebuilt and frozen: the same origin returns the same RRset object', () => {
    const prepared = prepareLb(config, healthWithDown([key('192.0.2.2')]));
    const c = ctx();
    const first = steer(prepared, 'strict.example.com', RRType.AAAA, c).rrset;
    const second = steer(prepared, 'strict.example.com', RRType.AAAA, c).rrset;
    expect(first).not.toBeNull();
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first![0])).toBe(true);
  });

  it('prepare records the health generation and pool health', () => {
    const prepared = prepareLb(config, healthWithDown([key('192.0.2.1'), key('2001:db8::1')], 42));
    expect(prepared.healthGeneration).toBe(42);
    const lb = prepared.loadBalancers.get('api.example.com')!;
    expect(lb.pools.map((p) => [p.name, p.healthy, p.health.upOrigins.length])).toEqual([
      ['primary', false, 1],
      ['secondary', true, 1],
      ['backup', true, 1],
    ]);
  });

  it('records a readable trace, and none when trace is null', () => {
    const trace = createTrace();
    const prepared = prepareLb(config, healthWithDown(['192.0.2.1', '192.0.2.2', '198.51.100.1', '203.0.113.1'].map(key)));
    steer(prepared, 'api.example.com', RRType.A, ctx(seededRandom(1), trace));
    const text = formatTrace(trace);
    expect(trace.steps.map((s) => s.stage)).toEqual(['lookup', 'pools', 'fallback', 'origin', 'answer']);
    expect(text).toContain('load balancer "api" (off, address, ttl 20)');
    expect(text).toContain('primary unhealthy (1/3 origins up, minimum 2); secondary unhealthy (0/1 origins up, minimum 1)');
    expect(text).toContain('fallback pool backup, health ignored (fail open)');
    expect(text).toContain('A 203.0.113.1; ttl 20; ECS scope /0');
  });
});

describe('hostname origins answer CNAME', () => {
  const cfg = lbConfig(`pools:
  cdn:
    origins:
      - { name: edge, address: Edge.CDN.example.net. }
  mixed:
    origins:
      - { name: ip, address: 192.0.2.1, weight: 3 }
      - { name: host, address: edge.example.net, weight: 1 }
  mixed-all:
    origin_steering: { policy: all }
    origins:
      - { name: ip1, address: 192.0.2.1 }
      - { name: ip2, address: 192.0.2.2 }
      - { name: host, address: edge.example.net }
  hosts-all:
    origin_steering: { policy: all }
    origins:
      - { name: h1, address: a.example.net }
      - { name: h2, address: b.example.net }
  ips:
    origins: [{ name: x, address: 192.0.2.7 }]
load_balancers:
  cdn: { default_pools: [cdn] }
  mixed: { default_pools: [mixed] }
  mixed-all: { default_pools: [mixed-all] }
  hosts-all: { default_pools: [hosts-all] }
  ips: { default_pools: [ips] }
`);
  const prepared = prepareLb(cfg, healthWithDown());
  const run = (owner: string, qtype: number, draws = 1) => {
    const c = ctx(seededRandom(9));
    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const text = answerText(steer(prepared, `${owner}.example.com`, qtype, c).rrset).join(' + ');
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    return counts;
  };

  it('for A, AAAA and CNAME queries', () => {
    for (const qtype of [RRType.A, RRType.AAAA, RRType.CNAME]) {
      const out = steer(prepared, 'cdn.example.com', qtype, ctx());
      expect(out.rrset).toEqual([
        { name: 'cdn.example.com', type: RRType.CNAME, ttl: 30, data: { kind: 'name', name: 'edge.cdn.example.net' } },
      ]);
    }
  });

  it('a CNAME query at a name that answers addresses is NODATA', () => {
    expect(steer(prepared, 'ips.example.com', RRType.CNAME, ctx()).rrset).toBeNull();
  });

  it('a mixed pool draws IPs and hostnames by weight; AAAA only sees the hostname', () => {
    const a = run('mixed', RRType.A, 4000);
    expect([...a.keys()].sort()).toEqual(['A 192.0.2.1', 'CNAME edge.example.net.']);
    expect(a.get('A 192.0.2.1')! / 4000).toBeGreaterThan(0.7);
    expect(a.get('A 192.0.2.1')! / 4000).toBeLessThan(0.8);
    expect([...run('mixed', RRType.AAAA, 100).keys()]).toEqual(['CNAME edge.example.net.']);
    expect([...run('mixed', RRType.CNAME, 100).keys()]).toEqual(['CNAME edge.example.net.']);
  });

  it('`all` answers every IP of the family, never a CNAME beside them; hostnames alone give one CNAME', () => {
    expect([...run('mixed-all', RRType.A, 50).keys()]).toEqual(['A 192.0.2.1 + A 192.0.2.2']);
    expect([...run('mixed-all', RRType.AAAA, 50).keys()]).toEqual(['CNAME edge.example.net.']);
    expect([...run('hosts-all', RRType.A, 200).keys()].sort()).toEqual(['CNAME a.example.net.', 'CNAME b.example.net.']);
  });
});

describe('origin_steering all and max_records', () => {
  const origins = Array.from({ length: 10 }, (_, i) => `      - { name: o${i}, address: 192.0.2.${i + 1} }`).join('\n');
  const cfg = lbConfig(`monitors: { web: { port: 8080 } }
pools:
  many:
    monitor: web
    origin_steering: { policy: all }
    origins:
${origins}
load_balancers:
  three: { default_pools: [many], max_records: 3 }
  all: { default_pools: [many] }
`);

  it('answers every healthy origin in config order when they fit', () => {
    const prepared = prepareLb(cfg, healthWithDown(['192.0.2.1', '192.0.2.5', '192.0.2.6'].map(key)));
    expect(answerText(steer(prepared, 'all.example.com', RRType.A, ctx()).rrset)).toEqual(
      ['2', '3', '4', '7', '8', '9', '10'].map((n) => `A 192.0.2.${n}`),
    );
  });

  it('at most max_records, a rotating window over all healthy origins', () => {
    const prepared = prepareLb(cfg, healthWithDown());
    const c = ctx(seededRandom(3));
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const out = answerText(steer(prepared, 'three.example.com', RRType.A, c).rrset);
      expect(out).toHaveLength(3);
      expect(new Set(out).size).toBe(3);
      for (const a of out) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const n of counts.values()) expect(Math.abs(n - 900)).toBeLessThan(150);
  });
});

describe('MX and SRV load balancers', () => {
  const cfg = lbConfig(`monitors:
  smtp: { type: smtp }
  sip: { type: tcp }
pools:
  mail:
    monitor: smtp
    origins:
      - { name: mx1, address: mx1.example.net, priority: 10 }
      - { name: mx2, address: mx2.example.net, priority: 20 }
      - { name: mx3, address: mx3.example.net, priority: 30, enabled: false }
  sip:
    monitor: sip
    origins:
      - { name: s1, address: sip1.example.net, priority: 10, weight: 60, port: 5060 }
      - { name: s2, address: sip2.example.net, priority: 10, weight: 40, port: 5062 }
load_balancers:
  "@": { record_type: MX, default_pools: [mail], ttl: 300 }
  _sip._udp: { record_type: SRV, default_pools: [sip] }
`);

  it('answer every healthy target with priority, weight and port from the config', () => {
    const prepared = prepareLb(cfg, healthWithDown());
    const mx = steer(prepared, 'example.com', RRType.MX, ctx());
    expect(answerText(mx.rrset)).toEqual(['MX 10 mx1.example.net.', 'MX 20 mx2.example.net.']);
    expect(mx.rrset![0]).toMatchObject({ name: 'example.com', ttl: 300 });
    expect(answerText(steer(prepared, '_sip._udp.example.com', RRType.SRV, ctx()).rrset)).toEqual([
      'SRV 10 60 5060 sip1.example.net.',
      'SRV 10 40 5062 sip2.example.net.',
    ]);
    expect(steer(prepared, 'example.com', RRType.A, ctx()).rrset).toBeNull();
  });

  it('drop dead targets (probed at the SRV port when the monitor has none)', () => {
    const prepared = prepareLb(cfg, healthWithDown(['example.com/smtp@mx1.example.net:25', 'example.com/sip@sip2.example.net:5062']));
    expect(answerText(steer(prepared, 'example.com', RRType.MX, ctx()).rrset)).toEqual(['MX 20 mx2.example.net.']);
    expect(answerText(steer(prepared, '_sip._udp.example.com', RRType.SRV, ctx()).rrset)).toEqual(['SRV 10 60 5060 sip1.example.net.']);
  });

  it('fail open to every enabled target when all are dead', () => {
    const prepared = prepareLb(cfg, healthWithDown(['example.com/smtp@mx1.example.net:25', 'example.com/smtp@mx2.example.net:25']));
    expect(answerText(steer(prepared, 'example.com', RRType.MX, ctx()).rrset)).toEqual([
      'MX 10 mx1.example.net.',
      'MX 20 mx2.example.net.',
    ]);
  });
});
