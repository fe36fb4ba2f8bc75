import { describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { loadLbFile, loadLbText } from './load.js';
import { lbConfig } from '../../test/support/lb-fixtures.js';

const FILE = 'zones/example.com.lb.yaml';

function errorsOf(text: string, origin = 'example.com'): string[] {
  const r = loadLbText(text, { file: FILE, origin });
  if (!('errors' in r)) throw new Error('expected errors, got a config');
  return r.errors.map((e) => e.describe());
}

/** 1-based line of the first line containing `marker`. */
function lineOf(text: string, marker: string, nth = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.includes(marker) && ++seen === nth) return i + 1;
  throw new Error(`marker ${marker} not found`);
}

const BASE = `monitors:
  web:
    type: http
    port: 8080
pools:
  us-east:
    monitor: web
    origins:
      - { name: a, address: 192.0.2.10 }
  eu-west:
    origins:
      - { name: b, address: 198.51.100.10 }
load_balancers:
  www:
    steering_policy: geo
    default_pools: [us-east, eu-west]
`;

describe('loadLbText: schema errors name file, line and key path', () => {
  it('a misspelt key, with a suggestion', () => {
    const text = BASE.replace('    port: 8080\n', '    port: 8080\n    intervall: 10\n');
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'intervall')}: monitors.web.intervall: unknown key (did you mean "interval"?) [STEER_LB_SCHEMA]`,
    ]);
  });

  it('a misspelt key deep inside a flow mapping in a list', () => {
    const text = BASE.replace('{ name: b, address: 198.51.100.10 }', '{ name: b, adress: 198.51.100.10 }');
    const errors = errorsOf(text);
    expect(errors).toContain(
      `${FILE}:${lineOf(text, 'adress')}: pools.eu-west.origins[0].adress: unknown key (did you mean "address"?) [STEER_LB_SCHEMA]`,
    );
    // The required key it replaced is reported at the origin's line.
    expect(errors).toContain(`${FILE}:${lineOf(text, 'adress')}: pools.eu-west.origins[0].address: required [STEER_LB_SCHEMA]`);
  });

  it('a value of the wrong type', () => {
    const text = BASE.replace('port: 8080', 'port: eighty');
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'eighty')}: monitors.web.port: expected number, got "eighty" [STEER_LB_SCHEMA]`,
    ]);
  });

  it('an enum value out of range lists the choices', () => {
    const text = BASE.replace('steering_policy: geo', 'steering_policy: nearest');
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'nearest')}: load_balancers.www.steering_policy: must be one of off | random | geo | proximity | hash | dynamic, got "nearest" [STEER_LB_SCHEMA]`,
    ]);
  });

  it('a missing required key points at its parent key', () => {
    const text = `pools:\n  p:\n    monitor: web\nload_balancers: {}\n`;
    expect(errorsOf(text)).toEqual([`${FILE}:2: pools.p.origins: required [STEER_LB_SCHEMA]`]);
  });

  it('a number out of range', () => {
    const text = BASE.replace('    port: 8080\n', '    port: 70000\n');
    expect(errorsOf(text)).toEqual([`${FILE}:4: monitors.web.port: must be <= 65535, got 70000 [STEER_LB_SCHEMA]`]);
  });

  it('a CIDR with host bits set, a bad prefix, and a non-CIDR', () => {
    const text = `${BASE}    subnet_pools:
      "203.0.113.7/24": [eu-west]
      "2001:db8::/129": [eu-west]
      "10.0.0.1": [eu-west]
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, '203.0.113.7')}: load_balancers.www.subnet_pools["203.0.113.7/24"]: bad key: host bits set in 203.0.113.7/24; the network is 203.0.113.0/24 [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, '/129')}: load_balancers.www.subnet_pools["2001:db8::/129"]: bad key: prefix "/129" must be 0-128 for IPv6 [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, '10.0.0.1')}: load_balancers.www.subnet_pools["10.0.0.1"]: bad key: "10.0.0.1" is not a CIDR (expected ADDRESS/PREFIX, e.g. 203.0.113.0/24) [STEER_LB_SCHEMA]`,
    ]);
  });

  it('country, subdivision and continent code formats', () => {
    const text = `${BASE}    country_pools: { gb: [eu-west] }
    subdivision_pools: { USCA: [us-east] }
    continent_pools: { EUR: [eu-west] }
`;
    const errors = errorsOf(text);
    expect(errors).toEqual([
      `${FILE}:${lineOf(text, 'gb:')}: load_balancers.www.country_pools.gb: bad key: country codes are two uppercase letters (ISO 3166-1 alpha-2), e.g. GB [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, 'USCA')}: load_balancers.www.subdivision_pools.USCA: bad key: subdivision codes are ISO 3166-2 "<country>-<code>" in uppercase, e.g. US-CA [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, 'EUR')}: load_balancers.www.continent_pools.EUR: bad key: continent codes are AF AN AS EU NA OC SA [STEER_LB_SCHEMA]`,
    ]);
  });

  it('YAML syntax errors and duplicate keys carry their line', () => {
    expect(errorsOf('pools:\n  a: [1, 2\nload_balancers: {}\n')[0]).toMatch(new RegExp(`^${FILE}:\\d+: YAML: .*\\[STEER_LB_SCHEMA\\]$`));
    const dup = `${BASE}    ttl: 10\n    ttl: 20\n`;
    expect(errorsOf(dup)).toEqual([expect.stringMatching(new RegExp(`^${FILE}:${lineOf(dup, 'ttl: 20')}: YAML: .*unique`))]);
  });

  it('a broken alias is an error, not an exception', () => {
    expect(errorsOf('monitors: *nowhere\n')).toEqual([
      expect.stringMatching(new RegExp(`^${FILE}:1: YAML: Unresolved alias.*\\[STEER_LB_SCHEMA\\]$`)),
    ]);
  });

  it('a file that cannot be read', () => {
    const r = loadLbFile('/nonexistent/example.com.lb.yaml', 'example.com');
    expect('errors' in r && r.errors[0]!.code).toBe('STEER_FILE_READ');
  });

  it('keys that do not fit the monitor type, and a dns monitor without query_name', () => {
    const text = `monitors:
  t: { type: tcp, port: 22, path: /x }
  d:
    type: dns
    expected_rcode: NOERROR
  h: { type: http, expected_rcode: NOERROR }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:2: monitors.t.path: applies only to http and https monitors, not tcp [STEER_LB_SCHEMA]`,
      `${FILE}:3: monitors.d.query_name: a dns monitor needs query_name (the name it asks for) [STEER_LB_SCHEMA]`,
      `${FILE}:6: monitors.h.expected_rcode: applies only to dns monitors, not http [STEER_LB_SCHEMA]`,
    ]);
  });

  it('probe timing that would overlap, and a malformed expected_codes', () => {
    const text = `monitors:\n  m:\n    interval: 10\n    timeout: 4\n    retries: 2\n  n:\n    expected_codes: "2xx;301"\n`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:4: monitors.m.timeout: timeout × (retries + 1) = 12s exceeds interval 10s [STEER_LB_SCHEMA]`,
      `${FILE}:7: monitors.n.expected_codes: expected_codes must be status codes or classes separated by commas, e.g. "200", "2xx", "200,301" [STEER_LB_SCHEMA]`,
    ]);
  });

  it('pool-level shape rules: lat without lon, duplicate origin names and addresses, impossible minimum', () => {
    const text = `pools:
  p:
    latitude: 10
    minimum_origins: 4
    origins:
      - { name: a, address: 192.0.2.1 }
      - { name: a, address: 192.0.2.2 }
      - { name: c, address: 192.0.2.1 }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:2: pools.p: latitude and longitude go together; longitude is missing [STEER_LB_SCHEMA]`,
      `${FILE}:4: pools.p.minimum_origins: 4 exceeds the pool's 3 origin(s): the pool could never be healthy [STEER_LB_SCHEMA]`,
      `${FILE}:7: pools.p.origins[1].name: origin name "a" already used by origins[0] [STEER_LB_SCHEMA]`,
      `${FILE}:8: pools.p.origins[2].address: same address as origins[0] [STEER_LB_SCHEMA]`,
    ]);
  });

  it('rejects an origin address that is neither IP nor hostname', () => {
    const text = BASE.replace('192.0.2.10', '192.0.2.300');
    expect(errorsOf(text)).toEqual([
      `${FILE}:9: pools.us-east.origins[0].address: "192.0.2.300" is not an IPv4 or IPv6 address [STEER_LB_SCHEMA]`,
    ]);
  });

  it('rejects leading zeros and zone ids in addresses and networks, at their line', () => {
    const text = `${BASE.replace('192.0.2.10', '192.0.2.010')}    subnet_pools:
      "fe80::/10": [eu-west]
      "010.0.0.0/8": [eu-west]
`.replace('fe80::/10', 'fe80::%eth0/10');
    expect(errorsOf(text)).toEqual([
      `${FILE}:9: pools.us-east.origins[0].address: "192.0.2.010": leading zeros in IPv4 octets are not allowed (some parsers read them as octal); write 192.0.2.10 [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, 'fe80')}: load_balancers.www.subnet_pools["fe80::%eth0/10"]: bad key: "fe80::%eth0": zone ids (%interface) are not allowed; they name an interface of one host and mean nothing in DNS data or configuration [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, '010.0')}: load_balancers.www.subnet_pools["010.0.0.0/8"]: bad key: "010.0.0.0": leading zeros in IPv4 octets are not allowed (some parsers read them as octal); write 10.0.0.0 [STEER_LB_SCHEMA]`,
    ]);
  });

  it('a top level that is not a mapping', () => {
    expect(errorsOf('- a\n- b\n')).toEqual([`${FILE}:1: (top level): expected object, got a list [STEER_LB_SCHEMA]`]);
  });
});

describe('loadLbText: references and cross-checks', () => {
  it('pool and monitor references that do not exist', () => {
    const text = `${BASE.replace('monitor: web', 'monitor: webb')}    fallback_pool: ap-south
    country_pools: { GB: [eu-west, eu-central] }
    random_steering: { pool_weights: { asia: 1 } }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'webb')}: pools.us-east.monitor: no monitor named "webb" (defined: web) [STEER_LB_REFERENCE]`,
      `${FILE}:${lineOf(text, 'ap-south')}: load_balancers.www.fallback_pool: no pool named "ap-south" (defined: us-east, eu-west) [STEER_LB_REFERENCE]`,
      `${FILE}:${lineOf(text, 'eu-central')}: load_balancers.www.country_pools.GB[1]: no pool named "eu-central" (defined: us-east, eu-west) [STEER_LB_REFERENCE]`,
      `${FILE}:${lineOf(text, 'asia')}: load_balancers.www.random_steering.pool_weights.asia: no pool named "asia" (defined: us-east, eu-west) [STEER_LB_REFERENCE]`,
    ]);
  });

  it('fallback: none and fallback_pool exclude each other; a pool listed twice', () => {
    const text = `${BASE.replace('[us-east, eu-west]', '[us-east, eu-west, us-east]')}    fallback_pool: eu-west\n    fallback: none\n`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'default_pools')}: load_balancers.www.default_pools[2]: pool "us-east" is listed twice [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, 'fallback: none')}: load_balancers.www.fallback: \`fallback: none\` (fail closed) and fallback_pool exclude each other; keep one [STEER_LB_CONFLICT]`,
    ]);
  });

  it('pool_weights may only weigh default pools', () => {
    const text = `${BASE.replace('[us-east, eu-west]', '[us-east]')}    random_steering: { pool_weights: { eu-west: 2 } }\n`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'pool_weights')}: load_balancers.www.random_steering.pool_weights.eu-west: pool "eu-west" is not in default_pools (random and hash steering choose among default_pools) [STEER_LB_REFERENCE]`,
    ]);
  });

  it('load balancer names: outside the zone, wildcards, two keys for one owner', () => {
    const text = `${BASE}  www.example.com.:\n    default_pools: [eu-west]\n  api.example.org.:\n    default_pools: [eu-west]\n  "*.w":\n    default_pools: [eu-west]\n`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:${lineOf(text, 'www.example.com.')}: load_balancers["www.example.com."]: same owner name www.example.com as load balancer "www" [STEER_LB_CONFLICT]`,
      `${FILE}:${lineOf(text, 'api.example.org.')}: load_balancers["api.example.org."]: absolute name api.example.org. is outside the zone example.com. [STEER_LB_SCHEMA]`,
      `${FILE}:${lineOf(text, '*.w')}: load_balancers["*.w"]: wildcard load balancer names are not supported [STEER_LB_SCHEMA]`,
    ]);
  });

  it('MX and SRV load balancers need hostname targets with priority (and port for SRV)', () => {
    const text = `pools:
  mx:
    origins:
      - { name: m1, address: mx1.example.net, priority: 10 }
      - { name: m2, address: 192.0.2.25 }
  sip:
    origins:
      - { name: s1, address: sip1.example.net, priority: 10, port: 5060, weight: 1.5 }
      - { name: s2, address: sip2.example.net, priority: 10 }
load_balancers:
  "@": { record_type: MX, default_pools: [mx] }
  _sip._udp: { record_type: SRV, default_pools: [sip] }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:5: pools.mx.origins[1].address: load balancer "@" answers MX, whose targets must be hostnames, not IP addresses [STEER_LB_SCHEMA]`,
      `${FILE}:5: pools.mx.origins[1]: load balancer "@" answers MX, so every origin needs priority [STEER_LB_SCHEMA]`,
      `${FILE}:8: pools.sip.origins[0].weight: SRV weight must be an integer 0-65535 (load balancer "_sip._udp") [STEER_LB_SCHEMA]`,
      `${FILE}:9: pools.sip.origins[1]: load balancer "_sip._udp" answers SRV, so every origin needs port [STEER_LB_SCHEMA]`,
    ]);
  });

  it('address load balancers: no CNAME at the apex, no priority, no weight 0', () => {
    const text = `pools:
  p:
    origins:
      - { name: h, address: origin.example.net }
      - { name: z, address: 192.0.2.1, weight: 0, priority: 5 }
load_balancers:
  "@": { default_pools: [p] }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:4: pools.p.origins[0].address: load balancer "@" is at the zone apex, where a hostname origin (a CNAME) is not allowed [STEER_LB_SCHEMA]`,
      `${FILE}:5: pools.p.origins[1].weight: weight 0 would never be answered; drain an origin with enabled: false [STEER_LB_SCHEMA]`,
      `${FILE}:5: pools.p.origins[1].priority: priority applies to MX and SRV load balancers, but load balancer "@" answers addresses [STEER_LB_SCHEMA]`,
    ]);
  });

  it('proximity needs coordinates on every default pool; tcp monitors need a port somewhere', () => {
    const text = `monitors:
  t: { type: tcp }
pools:
  a:
    monitor: t
    latitude: 1
    longitude: 2
    origins:
      - { name: x, address: 192.0.2.1, port: 443 }
      - { name: y, address: 192.0.2.2 }
  b:
    origins: [{ name: z, address: 192.0.2.3 }]
load_balancers:
  www: { steering_policy: proximity, default_pools: [a, b] }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:10: pools.a.origins[1]: monitor "t" is tcp without a port, so this origin needs port (or set port on the monitor) [STEER_LB_SCHEMA]`,
      `${FILE}:14: load_balancers.www.default_pools[1]: proximity steering needs latitude and longitude on pool "b" [STEER_LB_SCHEMA]`,
    ]);
  });

  it('every schema error of the file is reported, in line order', () => {
    const text = `monitors:
  web: { typo: 1 }
pools:
  p: { origins: [] }
load_balancers:
  www: { ttl: -1, default_pools: [p] }
`;
    expect(errorsOf(text)).toEqual([
      `${FILE}:2: monitors.web.typo: unknown key (did you mean "type"?) [STEER_LB_SCHEMA]`,
      `${FILE}:4: pools.p.origins: a pool needs at least one origin [STEER_LB_SCHEMA]`,
      `${FILE}:6: load_balancers.www.ttl: must be >= 0, got -1 [STEER_LB_SCHEMA]`,
    ]);
  });
});

describe('loadLbText: the config it builds', () => {
  it('applies documented defaults', () => {
    const config = lbConfig(`monitors:
  h: {}
  s: { type: https }
  d: { type: dns, query_name: example.com }
  m: { type: smtp }
pools:
  p:
    monitor: h
    origins: [{ name: a, address: 192.0.2.1 }]
load_balancers:
  www: { default_pools: [p] }
`);
    expect(config.monitors.get('h')).toEqual({
      type: 'http',
      port: 80,
      path: '/',
      method: 'GET',
      header: {},
      expected_codes: '2xx',
      expected_body: '',
      allow_insecure: false,
      follow_redirects: false,
      query_name: '',
      query_type: 'A',
      expected_rcode: 'NOERROR',
      interval: 60,
      timeout: 5,
      retries: 2,
      consecutive_up: 1,
      consecutive_down: 1,
      quorum: 'majority',
    });
    expect([...config.monitors.values()].map((m) => m.port)).toEqual([80, 443, 53, 25]);
    const pool = config.pools.get('p')!;
    expect(pool).toMatchObject({ enabled: true, minimumOrigins: 1, originSteering: 'random', latitude: null, longitude: null });
    expect(pool.origins[0]).toMatchObject({ weight: 1, enabled: true, kind: 'ipv4', priority: null, port: null });
    expect(config.loadBalancers.get('www.example.com')).toMatchObject({
      name: 'www',
      owner: 'www.example.com',
      ttl: 30,
      steeringPolicy: 'off',
      recordType: 'address',
      maxRecords: 8,
      preferEcs: 'always',
      fallbackPool: 'p',
    });
  });

  it('accepts numeric expected_codes and lower-case method, query type and rcode', () => {
    const config = lbConfig(`monitors:
  h: { expected_codes: 204, method: head }
  d: { type: dns, query_name: example.com, query_type: soa, expected_rcode: nxdomain }
`);
    expect(config.monitors.get('h')).toMatchObject({ expected_codes: '204', method: 'HEAD' });
    expect(config.monitors.get('d')).toMatchObject({ query_type: 'SOA', expected_rcode: 'NXDOMAIN' });
  });

  it('fallback defaults to the last default pool; `fallback: none` fails closed', () => {
    const config = lbConfig(`pools:
  a: { origins: [{ name: x, address: 192.0.2.1 }] }
  b: { origins: [{ name: y, address: 192.0.2.2 }] }
load_balancers:
  one: { default_pools: [a, b] }
  two: { default_pools: [a, b], fallback: none }
  three: { default_pools: [a, b], fallback_pool: a }
`);
    expect(config.loadBalancers.get('one.example.com')!.fallbackPool).toBe('b');
    expect(config.loadBalancers.get('two.example.com')!.fallbackPool).toBeNull();
    expect(config.loadBalancers.get('three.example.com')!.fallbackPool).toBe('a');
  });

  it('an empty file is an empty config', () => {
    const config = lbConfig('');
    expect(config.loadBalancers.size).toBe(0);
    expect(config.probeTargets).toEqual([]);
  });

  it('bindings per owner name with the types each load balancer answers', () => {
    const config = lbConfig(
      `pools:
  web: { origins: [{ name: a, address: 192.0.2.1 }, { name: c, address: Edge.Example.NET. }] }
  mail: { origins: [{ name: m, address: mx.example.net, priority: 10 }] }
  sip: { origins: [{ name: s, address: sip.example.net, priority: 1, port: 5060 }] }
load_balancers:
  "@": { record_type: MX, default_pools: [mail] }
  WWW: { default_pools: [web] }
  api.Example.COM.: { default_pools: [web] }
  _sip._tcp: { record_type: SRV, default_pools: [sip] }
`,
      'Example.COM.',
    );
    expect(config.origin).toBe('example.com');
    expect([...config.bindings]).toEqual([
      ['example.com', { lb: '@', types: [RRType.MX] }],
      ['www.example.com', { lb: 'WWW', types: [RRType.A, RRType.AAAA, RRType.CNAME] }],
      ['api.example.com', { lb: 'api.Example.COM.', types: [RRType.A, RRType.AAAA, RRType.CNAME] }],
      ['_sip._tcp.example.com', { lb: '_sip._tcp', types: [RRType.SRV] }],
    ]);
    expect(config.pools.get('web')!.origins[1]).toMatchObject({ address: 'edge.example.net', kind: 'hostname' });
  });

  it('one probe target per distinct (monitor, address, port); ids carry the zone', () => {
    const config = lbConfig(`monitors:
  web: { type: http, port: 8080 }
  ping: { type: tcp, port: 22 }
pools:
  a:
    monitor: web
    origins:
      - { name: x, address: 192.0.2.1 }
      - { name: y, address: "2001:DB8:0::1" }
      - { name: z, address: 192.0.2.3, enabled: false }
  b:
    monitor: web
    origins:
      - { name: x2, address: 192.0.2.1 }
      - { name: y2, address: "2001:db8::1", port: 9090 }
  c:
    monitor: ping
    origins: [{ name: x3, address: 192.0.2.1 }]
  d:
    origins: [{ name: u, address: 192.0.2.9 }]
  e:
    enabled: false
    monitor: web
    origins: [{ name: v, address: 192.0.2.10 }]
load_balancers:
  www: { default_pools: [a, b, c, d, e] }
`);
    expect(config.probeTargets.map((t) => t.key)).toEqual([
      'example.com/web@192.0.2.1:8080',
      'example.com/web@[2001:db8::1]:8080',
      'example.com/web@[2001:db8::1]:9090',
      'example.com/ping@192.0.2.1:22',
    ]);
    expect(config.probeTargets[2]).toMatchObject({ address: '2001:db8::1', port: 9090, monitor: config.monitors.get('web') });
    const keyOf = (pool: string, i: number) => config.pools.get(pool)!.origins[i]!.healthKey;
    expect(keyOf('a', 0)).toBe(keyOf('b', 0));
    expect(keyOf('a', 2)).toBeNull(); // drained: not probed
    expect(keyOf('d', 0)).toBeNull(); // no monitor: always healthy
    expect(keyOf('e', 0)).toBeNull(); // disabled pool: not probed

    const other = lbConfig(
      `monitors: { web: { port: 8080 } }
pools: { a: { monitor: web, origins: [{ name: x, address: 192.0.2.1 }] } }
`,
      'example.net',
    );
    expect(other.probeTargets[0]!.key).toBe('example.net/web@192.0.2.1:8080');
  });

  it('a tcp monitor without a port probes each origin at its own port', () => {
    const config = lbConfig(`monitors: { t: { type: tcp } }
pools: { a: { monitor: t, origins: [{ name: x, address: 192.0.2.1, port: 25 }, { name: y, address: 192.0.2.2, port: 587 }] } }
`);
    expect(config.probeTargets.map((t) => [t.address, t.port])).toEqual([
      ['192.0.2.1', 25],
      ['192.0.2.2', 587],
    ]);
  });

  it('is deeply frozen', () => {
    const config = lbConfig(BASE);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.pools.get('us-east')!.origins[0])).toBe(true);
    expect(Object.isFrozen(config.probeTargets[0]!.monitor)).toBe(true);
    expect(() => (config.pools as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => (config.bindings as Map<string, unknown>).delete('www.example.com')).toThrow(TypeError);
    expect(() => {
      (config.loadBalancers.get('www.example.com')!.defaultPools as string[]).push('x');
    }).toThrow(TypeError);
  });
});
