import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OriginConfig } from '../config/state.js';
import type { NotifyEvent } from '../notify/types.js';
import { healthWithDown, lbConfig } from '../../test/support/lb-fixtures.js';
import { manualClock } from '../../test/support/manual-clock.js';
import { loadLbText } from './load.js';
import { RampController } from './ramps.js';

const B1 = 'example.com/web@192.0.2.2:80';
const B2 = 'example.com/web@192.0.2.3:80';

const yaml = (ramp: string, weight = 1): string => `monitors:
  web: { type: http, interval: 20, retries: 0 }
pools:
  a: { monitor: web, origins: [{ name: a1, address: 192.0.2.1 }] }
  b:
    monitor: web
    minimum_origins: 2
    origins:
      - { name: b1, address: 192.0.2.2 }
      - { name: b2, address: 192.0.2.3 }
load_balancers:
  www:
    steering_policy: random
    default_pools: [a, b]
    random_steering:
      pool_weights:
        a: 10
        b: { weight: ${weight}, ramp: ${ramp} }
    rules:
      - name: office
        condition: { client_subnet: ["203.0.0.0/16"] }
        overrides: { ttl: 5 }
      - name: fixed
        condition: { country: [JP] }
        overrides: { random_steering: { pool_weights: { a: 1, b: 3 } } }
`;

function originsOf(text: string): Map<string, OriginConfig> {
  return new Map([['example.com', { origin: 'example.com', lb: lbConfig(text) } as unknown as OriginConfig]]);
}

interface Probes {
  failed: number;
  total: number;
}

/** A controller wired like the server: each tick serves apply(current); probe counts are given. */
function harness(ramp: string, opts: { down?: () => Iterable<string>; probes?: () => Probes; startWeight?: number } = {}) {
  const clock = manualClock();
  const events: NotifyEvent[] = [];
  const down = opts.down ?? (() => []);
  const asked: { keys: readonly string[]; windowMs: number }[] = [];
  let served: ReadonlyMap<string, OriginConfig> = originsOf(yaml(ramp, opts.startWeight));
  const ramps = new RampController({
    clock,
    onTick: () => {
      served = ramps.apply(served, healthWithDown(down()));
    },
    onEvent: (e) => events.push(e),
    probeCounts: (keys, windowMs) => {
      asked.push({ keys, windowMs });
      return opts.probes?.() ?? { failed: 0, total: 0 };
    },
  });
  served = ramps.apply(served, healthWithDown(down()));
  const lb = () => served.get('example.com')!.lb!.loadBalancers.get('www.example.com')!;
  const weight = (): number => lb().poolWeights.get('b')!;
  const variantWeights = (): number[] => [...lb().rules!.variants.values()].map((v) => v.poolWeights.get('b')!);
  return {
    clock,
    events,
    ramps,
    asked,
    weight,
    variantWeights,
    reload: (next: string): void => {
      served = ramps.apply(originsOf(next), healthWithDown(down()));
    },
    healthChanged: (): void => {
      served = ramps.apply(served, healthWithDown(down()));
    },
  };
}

describe('pool weight ramps', () => {
  it('steps the pool weight to the target, in the load balancer and in rules that inherit it', () => {
    const h = harness('{ to: 21, over: 20s, step: 5s }');
    expect(h.weight()).toBe(1);
    h.clock.advance(5000);
    expect(h.weight()).toBe(6);
    // The "office" rule inherits the ramped entry; "fixed" sets its own weight and keeps it.
    expect(h.variantWeights().sort((x, y) => x - y)).toEqual([3, 6]);
    h.clock.advance(15_000);
    expect(h.weight()).toBe(21);
    expect(h.ramps.statuses()).toEqual([
      expect.objectContaining({ kind: 'pool', pool: 'b', origin: '', loadBalancer: 'www.example.com', state: 'done', from: 1, to: 21 }),
    ]);
    expect(h.events.map((e) => [e.subject, e.newState])).toEqual([['www.example.com pool b', 'done']]);
    expect(h.clock.pending()).toBe(0);
  });

  it('goes back to the start weight when the pool turns unhealthy, and notifies', () => {
    let down: string[] = [];
    const h = harness('{ to: 21, over: 20s, step: 5s }', { down: () => down });
    h.clock.advance(10_000);
    expect(h.weight()).toBe(11);
    down = [B2]; // minimum_origins 2: one origin down takes the pool out
    h.healthChanged();
    expect(h.weight()).toBe(1);
    expect(h.variantWeights().sort((x, y) => x - y)).toEqual([1, 3]);
    expect(h.events).toEqual([
      expect.objectContaining({ kind: 'ramp', newState: 'aborted', reason: 'pool unhealthy (1 of 2 origins up) at weight 11; back to 1' }),
    ]);
    down = [];
    h.clock.advance(60_000);
    expect(h.weight()).toBe(1);
  });

  it('restarts from the weight reached when a reload changes the ramp', () => {
    const h = harness('{ to: 21, over: 20s, step: 5s }');
    h.clock.advance(5000);
    h.reload(yaml('{ to: 21, over: 20s, step: 5s }'));
    expect(h.ramps.statuses()[0]).toMatchObject({ from: 1, weight: 6, state: 'running' });
    h.reload(yaml('{ to: 46, over: 20s, step: 5s }'));
    expect(h.ramps.statuses()[0]).toMatchObject({ from: 6, to: 46, state: 'running' });
    h.clock.advance(20_000);
    expect(h.weight()).toBe(46);
  });
});

describe('abort_if error_rate_above', () => {
  const errorRate = '{ to: 21, over: 20s, step: 5s, abort_if: { error_rate_above: 0.25, window: 1m } }';

  it("aborts a pool ramp when its origins' failed probes over the window exceed the fraction", () => {
    let probes: Probes = { failed: 1, total: 4 };
    const h = harness(errorRate, { probes: () => probes });
    h.clock.advance(5000);
    expect(h.weight()).toBe(6); // 1 of 4 is not above 0.25
    expect(h.asked.at(-1)).toEqual({ keys: [B1, B2], windowMs: 60_000 });
    probes = { failed: 2, total: 6 };
    h.clock.advance(5000);
    expect(h.weight()).toBe(1);
    expect(h.events[0]!.reason).toBe('error rate 2/6 probes over 60s above 0.25 at weight 6; back to 1');
  });

  it('ignores health transitions: only the error rate counts', () => {
    const h = harness(errorRate, { down: () => [B1, B2] });
    h.clock.advance(20_000);
    expect(h.weight()).toBe(21);
    expect(h.ramps.statuses()[0]!.state).toBe('done');
  });

  it('aborts an origin ramp on its own probes only', () => {
    const text = `monitors:
  web: { type: http, interval: 20, retries: 0 }
pools:
  p:
    monitor: web
    origins:
      - { name: old, address: 192.0.2.1, weight: 10 }
      - { name: canary, address: 192.0.2.2, weight: 1, ramp: ${errorRate} }
load_balancers:
  www: { default_pools: [p] }
`;
    const clock = manualClock();
    const events: NotifyEvent[] = [];
    const asked: (readonly string[])[] = [];
    let served: ReadonlyMap<string, OriginConfig> = originsOf(text);
    const ramps = new RampController({
      clock,
      onTick: () => {
        served = ramps.apply(served, healthWithDown());
      },
      onEvent: (e) => events.push(e),
      probeCounts: (keys) => {
        asked.push(keys);
        return { failed: 3, total: 4 };
      },
    });
    served = ramps.apply(served, healthWithDown());
    expect(asked).toEqual([[B1.replace('.1:', '.2:')]]);
    expect(ramps.statuses()[0]).toMatchObject({ kind: 'origin', state: 'aborted', weight: 1 });
    expect(events[0]!.reason).toMatch(/^error rate 3\/4 probes over 60s above 0.25/);
  });
});

describe('pool ramps and error rates: bad input', () => {
  const errors = (text: string): string[] => {
    const r = loadLbText(text, { file: 'z.lb.yaml', origin: 'example.com' });
    return 'errors' in r ? r.errors.map((e) => e.describe()) : [];
  };

  it('names the file and line of a ramp on a pool that does not exist', () => {
    const text = yaml('{ to: 5, over: 1h, step: 1m }').replace('        b: {', '        nope: {');
    expect(errors(text)).toContain(
      'z.lb.yaml:18: load_balancers.www.random_steering.pool_weights.nope: no pool named "nope" (defined: a, b) [STEER_LB_REFERENCE]',
    );
  });

  it('rejects error_rate_above outside (0, 1]', () => {
    for (const rate of ['0', '1.5', '-0.1']) {
      const out = errors(yaml(`{ to: 5, over: 1h, step: 1m, abort_if: { error_rate_above: ${rate}, window: 5m } }`));
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(
        /^z\.lb\.yaml:18: load_balancers\.www\.random_steering\.pool_weights\.b\.ramp\.abort_if\.error_rate_above: must be [<>]=? [01]/,
      );
    }
    expect(errors(yaml('{ to: 5, over: 1h, step: 1m, abort_if: { error_rate_above: 1, window: 5m } }'))).toEqual([]);
  });

  it('rejects a window shorter than the monitor interval', () => {
    expect(errors(yaml('{ to: 5, over: 1h, step: 1m, abort_if: { error_rate_above: 0.5, window: 5s } }'))).toEqual([
      'z.lb.yaml:18: load_balancers.www.random_steering.pool_weights.b.ramp.abort_if.window: window (5s) is shorter than the interval of monitor "web" (20s): it would hold no probe [STEER_LB_SCHEMA]',
    ]);
  });

  it('rejects a ramp in a rule override', () => {
    const text = yaml('{ to: 5, over: 1h, step: 1m }').replace('b: 3 }', 'b: { weight: 3, ramp: { to: 9, over: 1h, step: 1m } } }');
    expect(errors(text)).toEqual([
      expect.stringMatching(
        /^z\.lb\.yaml:25: load_balancers\.www\.rules\[1\]\.overrides\.random_steering\.pool_weights\.b\.ramp: a rule sets plain pool weights/,
      ),
    ]);
  });
});

describe('pool ramps: properties', () => {
  it('with any health and error-rate history, pool weights stay in bounds and end at the target or the start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 4000 }), down: fc.boolean(), failed: fc.integer({ min: 0, max: 10 }) }), {
          maxLength: 20,
        }),
        (from, to, byErrorRate, history) => {
          let down = false;
          let probes: Probes = { failed: 0, total: 10 };
          const abort = byErrorRate ? ', abort_if: { error_rate_above: 0.5, window: 30s }' : '';
          const h = harness(`{ to: ${to}, over: 10s, step: 1s${abort} }`, {
            down: () => (down ? [B1] : []),
            probes: () => probes,
            startWeight: from,
          });
          const lo = Math.min(from, to);
          const hi = Math.max(from, to);
          const inBounds = (): boolean => [h.weight(), ...h.variantWeights().filter((w) => w !== 3)].every((w) => w >= lo && w <= hi);
          for (const step of history) {
            down = step.down;
            probes = { failed: step.failed, total: 10 };
            h.clock.advance(step.advance);
            h.healthChanged();
            if (!inBounds()) return false;
          }
          down = false;
          probes = { failed: 0, total: 10 };
          h.healthChanged();
          h.clock.advance(20_000);
          const status = h.ramps.statuses()[0]!;
          const end = h.weight();
          return inBounds() && ((status.state === 'done' && end === to) || (status.state === 'aborted' && end === from));
        },
      ),
      { numRuns: 200 },
    );
  });
});
