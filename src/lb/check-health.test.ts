import { describe, expect, it } from 'vitest';
import { loadLbText } from './load.js';

const FILE = 'zones/example.com.lb.yaml';

function load(text: string) {
  return loadLbText(text, { file: FILE, origin: 'example.com' });
}
function errorsOf(text: string): string[] {
  const r = load(text);
  if (!('errors' in r)) throw new Error('expected errors, got a config');
  return r.errors.map((e) => e.describe());
}

const pool = (monitor: string, extra = ''): string => `pools:
  p:
    monitor: ${monitor}${extra}
    origins:
      - { name: a, address: 192.0.2.10, port: 8080 }
load_balancers:
  www: { default_pools: [p] }
`;

describe('health sources in the LB file', () => {
  it('rejects a cycle of calculated monitors at the child that closes it, with file:line', () => {
    const text = `monitors:
  web: { type: http }
  x: { type: calculated, children: [web, y] }
  y: { type: calculated, children: [x] }
${pool('x')}`;
    expect(errorsOf(text)).toEqual([`${FILE}:3: monitors.x.children[1]: calculated monitors form a cycle: x → y → x [STEER_LB_REFERENCE]`]);
  });

  it('rejects a monitor that names itself, unknown children and an unreachable threshold', () => {
    expect(errorsOf(`monitors:\n  x: { type: calculated, children: [x] }\n${pool('x')}`)).toEqual([
      `${FILE}:2: monitors.x.children[0]: calculated monitors form a cycle: x → x [STEER_LB_REFERENCE]`,
    ]);
    expect(errorsOf(`monitors:\n  x: { type: calculated, children: [nope] }\n${pool('x')}`)[0]).toMatch(
      /:2: monitors\.x\.children\[0\]: no monitor named "nope"/,
    );
    expect(
      errorsOf(`monitors:\n  w: { type: tcp }\n  x: { type: calculated, children: [w], healthy_threshold: 2 }\n${pool('x')}`)[0],
    ).toMatch(/:3: .*healthy_threshold.*2 exceeds the 1 children/);
  });

  it('keeps keys to the monitor types they belong to', () => {
    expect(errorsOf(`monitors:\n  w: { type: http, expire_to: up }\n${pool('w')}`)[0]).toMatch(
      /expire_to.*applies only to external monitors, not http/,
    );
    expect(errorsOf(`monitors:\n  w: { type: external, children: [w] }\n${pool('w')}`)[0]).toMatch(
      /children.*applies only to calculated monitors/,
    );
    expect(errorsOf(`monitors:\n  w: { type: calculated }\n${pool('w')}`)[0]).toMatch(/a calculated monitor needs children/);
    expect(errorsOf(`monitors:\n  w: { type: tcp }\n${pool('w', '\n    probe: { host: status.example }')}`)[0]).toMatch(
      /:6: pools\.p\.probe\.host: probe\.host applies to http and https monitors, but this pool's monitor is tcp/,
    );
    expect(errorsOf(`monitors:\n  w: { type: http }\n${pool('w', '\n    probe: {}')}`)[0]).toMatch(
      /probe needs at least one of address, port, host/,
    );
    expect(errorsOf(`monitors:\n  w: { type: http }\n${pool('w', '\n    probe: { address: 300.1.1.1 }')}`)[0]).toMatch(
      /:6: pools\.p\.probe\.address/,
    );
  });

  it('builds probe overrides: origin keys override the pool one by one, Host goes in the key', () => {
    const r = load(`monitors:
  web: { type: http }
pools:
  p:
    monitor: web
    probe: { address: 10.0.0.1, port: 9000 }
    origins:
      - { name: a, address: 192.0.2.10 }
      - { name: b, address: 192.0.2.11, probe: { port: 9001, host: b.status } }
load_balancers:
  www: { default_pools: [p] }
`);
    if (!('config' in r)) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
    const targets = r.config.probeTargets.map((t) => ({ key: t.key, address: t.address, port: t.port, host: t.host }));
    expect(targets).toEqual([
      { key: 'example.com/web@10.0.0.1:9000', address: '10.0.0.1', port: 9000, host: undefined },
      { key: 'example.com/web@10.0.0.1:9001#b.status', address: '10.0.0.1', port: 9001, host: 'b.status' },
    ]);
    expect(r.config.pools.get('p')!.origins.map((o) => [o.address, o.healthKey])).toEqual([
      ['192.0.2.10', 'example.com/web@10.0.0.1:9000'],
      ['192.0.2.11', 'example.com/web@10.0.0.1:9001#b.status'],
    ]);
  });

  it('gives a calculated target its children for the same origin, and external monitors their defaults', () => {
    const r = load(`monitors:
  web: { type: http }
  conn: { type: tcp }
  feed: { type: external, health_file: feed.health }
  all: { type: calculated, children: [web, conn, feed] }
${pool('all')}`);
    if (!('config' in r)) throw new Error(r.errors.map((e) => e.describe()).join('\n'));
    const calc = r.config.probeTargets.find((t) => t.monitor.calculated !== undefined)!;
    expect(calc.monitor.calculated).toEqual({ children: ['example.com/web', 'example.com/conn', 'example.com/feed'], healthyThreshold: 3 });
    expect(calc.children).toEqual([
      'example.com/web@192.0.2.10:8080',
      'example.com/conn@192.0.2.10:8080',
      'example.com/feed@192.0.2.10:8080',
    ]);
    const feed = r.config.probeTargets.find((t) => t.monitor.external !== undefined)!;
    expect(feed.monitor.external).toEqual({
      expireTo: 'down',
      expireAfter: 300,
      healthFile: expect.stringMatching(/zones\/feed\.health$/),
    });
  });
});
