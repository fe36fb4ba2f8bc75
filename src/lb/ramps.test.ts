import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OriginConfig } from '../config/state.js';
import type { NotifyEvent } from '../notify/types.js';
import { healthWithDown, lbConfig } from '../../test/support/lb-fixtures.js';
import { loadLbText } from './load.js';
import { rampWeight } from './ramp.js';
import { RampController } from './ramps.js';
import { manualClock } from '../../test/support/manual-clock.js';

const yaml = (ramp: string, weight = 1): string => `monitors:
  web: { type: http }
pools:
  p:
    monitor: web
    origins:
      - { name: old, address: 192.0.2.1, weight: 10 }
      - { name: canary, address: 192.0.2.2, weight: ${weight}, ramp: ${ramp} }
load_balancers:
  www: { default_pools: [p] }
`;

function originsOf(text: string): Map<string, OriginConfig> {
  const lb = lbConfig(text);
  return new Map([['example.com', { origin: 'example.com', lb } as unknown as OriginConfig]]);
}

/** A controller wired like the server: each tick serves apply(current). */
function harness(ramp: string, down: () => Iterable<string> = () => [], startWeight = 1) {
  const clock = manualClock();
  const events: NotifyEvent[] = [];
  let served: ReadonlyMap<string, OriginConfig> = originsOf(yaml(ramp, startWeight));
  const ramps = new RampController({
    clock,
    onTick: () => {
      served = ramps.apply(served, healthWithDown(down()));
    },
    onEvent: (e) => events.push(e),
  });
  served = ramps.apply(served, healthWithDown(down()));
  const weight = (): number => served.get('example.com')!.lb!.pools.get('p')!.origins[1]!.weight;
  const reload = (next: string): void => {
    // What the loader hands over: a new config for a changed file.
    served = ramps.apply(originsOf(next), healthWithDown(down()));
  };
  /** What the server does on a health transition. */
  const healthChanged = (): void => {
    served = ramps.apply(served, healthWithDown(down()));
  };
  return { clock, events, ramps, weight, reload, healthChanged, served: () => served };
}

describe('weight ramps', () => {
  it('steps from the file weight to the target and says when it is done', () => {
    const h = harness('{ to: 101, over: 1h, step: 15m }');
    expect(h.weight()).toBe(1);
    h.clock.advance(15 * 60_000 - 1);
    expect(h.weight()).toBe(1);
    h.clock.advance(1);
    expect(h.weight()).toBe(26);
    h.clock.advance(30 * 60_000);
    expect(h.weight()).toBe(76);
    h.clock.advance(15 * 60_000);
    expect(h.weight()).toBe(101);
    expect(h.ramps.statuses()).toEqual([expect.objectContaining({ state: 'done', from: 1, to: 101, weight: 101 })]);
    expect(h.events.map((e) => [e.kind, e.subject, e.newState])).toEqual([['ramp', 'p/canary', 'done']]);
    expect(h.clock.pending()).toBe(0);
    // Only the ramped origin's weight is replaced.
    expect(h.served().get('example.com')!.lb!.pools.get('p')!.origins[0]!.weight).toBe(10);
  });

  it('goes back to the start weight and notifies when the origin turns unhealthy', () => {
    let down: string[] = [];
    const h = harness('{ to: 11, over: 10s, step: 1s }', () => down);
    h.clock.advance(3000);
    expect(h.weight()).toBe(4);
    down = ['example.com/web@192.0.2.2:80'];
    h.clock.advance(1000);
    expect(h.weight()).toBe(1);
    expect(h.ramps.statuses()[0]).toMatchObject({ state: 'aborted', weight: 1 });
    expect(h.events).toEqual([
      expect.objectContaining({ kind: 'ramp', newState: 'aborted', reason: 'origin unhealthy (test) at weight 4; back to 1' }),
    ]);
    down = [];
    h.clock.advance(60_000);
    expect(h.weight()).toBe(1); // an aborted ramp stays aborted until its file entry changes
  });

  it('restarts from the current weight when a reload changes the ramp, and keeps going when it does not', () => {
    const h = harness('{ to: 11, over: 10s, step: 1s }');
    h.clock.advance(5000);
    expect(h.weight()).toBe(6);
    h.reload(yaml('{ to: 11, over: 10s, step: 1s }'));
    expect(h.weight()).toBe(6);
    h.clock.advance(1000);
    expect(h.weight()).toBe(7);
    h.reload(yaml('{ to: 27, over: 10s, step: 1s }'));
    expect(h.ramps.statuses()[0]).toMatchObject({ from: 7, to: 27, state: 'running' });
    h.clock.advance(1000);
    expect(h.weight()).toBe(9);
    h.clock.advance(9000);
    expect(h.weight()).toBe(27);
  });

  it('drops the ramp (and its weight) when the file no longer has one', () => {
    const h = harness('{ to: 11, over: 10s, step: 1s }');
    h.clock.advance(5000);
    h.reload(yaml('{ to: 11, over: 10s, step: 1s }').replace(', ramp: { to: 11, over: 10s, step: 1s }', ''));
    expect(h.weight()).toBe(1);
    expect(h.ramps.statuses()).toEqual([]);
    expect(h.clock.pending()).toBe(0);
  });

  it('rejects bad ramps with file:line', () => {
    const errors = (ramp: string): string[] => {
      const r = loadLbText(yaml(ramp), { file: 'z.lb.yaml', origin: 'example.com' });
      return 'errors' in r ? r.errors.map((e) => e.describe()) : [];
    };
    expect(errors('{ to: 50, over: 30s, step: 1m }')).toEqual([
      'z.lb.yaml:8: pools.p.origins[1].ramp.over: over (30s) is shorter than step (60s) [STEER_LB_SCHEMA]',
    ]);
    expect(errors('{ to: 0, over: 1h, step: 1m }')[0]).toMatch(/ramp\.to: must be > 0/);
    expect(errors('{ to: 5, over: soon, step: 1m }')[0]).toMatch(/ramp\.over: .*duration/);
    expect(errors('{ to: 5, over: 1h, step: 1m, abort_if: never }')[0]).toMatch(/ramp\.abort_if/);
  });
});

describe('weight ramps: properties', () => {
  const weight = fc.double({ min: 0.001, max: 1_000_000, noNaN: true });

  it('rampWeight stays within [from, to], never moves backwards, and ends at the target', () => {
    fc.assert(
      fc.property(weight, weight, fc.integer({ min: 100, max: 100_000 }), fc.integer({ min: 100, max: 100_000 }), (from, to, a, b) => {
        const [stepMs, overMs] = a <= b ? [a, b] : [b, a];
        const lo = Math.min(from, to);
        const hi = Math.max(from, to);
        let previous = from;
        for (let t = 0; t <= overMs + stepMs; t += Math.max(1, Math.floor(stepMs / 3))) {
          const w = rampWeight(from, to, overMs, stepMs, t);
          if (w < lo || w > hi) return false;
          if (to >= from ? w < previous : w > previous) return false;
          previous = w;
        }
        return rampWeight(from, to, overMs, stepMs, overMs) === to;
      }),
    );
  });

  it('with any health history, served weights stay in bounds and end at the target or the start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.record({ advance: fc.integer({ min: 0, max: 4000 }), down: fc.boolean() }), { maxLength: 20 }),
        (from, to, history) => {
          let down = false;
          const h = harness(`{ to: ${to}, over: 10s, step: 1s }`, () => (down ? ['example.com/web@192.0.2.2:80'] : []), from);
          const lo = Math.min(from, to);
          const hi = Math.max(from, to);
          for (const step of history) {
            down = step.down;
            h.clock.advance(step.advance);
            h.healthChanged();
            const w = h.weight();
            if (w < lo || w > hi) return false;
          }
          down = false;
          h.healthChanged();
          h.clock.advance(20_000);
          const end = h.weight();
          const status = h.ramps.statuses()[0]!;
          return (status.state === 'done' && end === to) || (status.state === 'aborted' && end === from);
        },
      ),
      { numRuns: 200 },
    );
  });
});
