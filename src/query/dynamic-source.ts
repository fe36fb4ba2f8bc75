// Binds one query (its client and the current state) to the zone lookup, so load-balanced
// names are steered for this client with the health the state was built from. Each steering
// decision is recorded in the query's QueryAnswer (which load balancer, which RRset).
import { clientAddress } from '../geo/client.js';
import type { ClientAddress } from '../geo/types.js';
import { clientIpOf, type ClientIp } from '../net/client-ip.js';
import { steer, type SteerContext, type SteerTrace } from '../lb/steer.js';
import type { Query } from '../wire/types.js';
import type { DynamicAnswer, DynamicBinding, DynamicSource } from '../zone/types.js';
import type { ServingState } from '../config/state.js';
import type { QueryAnswer } from './answer.js';

const NO_ANSWER: DynamicAnswer = Object.freeze({ rrset: null, scope: 0 });

/** A weighted pick steering made: the cumulative weights drawn against and the index drawn. */
export interface WeightedPick {
  readonly cumulative: Float64Array;
  readonly count: number;
  readonly index: number;
}

/** What steering read for one query besides the question and the serving state (see reads()). */
export interface SteeringReads {
  /** The resolver's address. */
  readonly resolver: boolean;
  /** Random numbers drawn. */
  readonly draws: number;
  /** The one weighted pick, when there was exactly one; else null. */
  readonly pick: WeightedPick | null;
}

/** A query that did not steer read nothing. */
export const NO_READS: SteeringReads = Object.freeze({ resolver: false, draws: 0, pick: null });
const NO_CLIENT: ClientIp = clientIpOf('');

export class QueryDynamicSource implements DynamicSource {
  private state: ServingState | null = null;
  private origin = '';
  private query: Query | null = null;
  private resolver: ClientIp = NO_CLIENT;
  // Computed lazily: most queries never reach a load balancer.
  private byEcs: ClientAddress | null = null;
  private byResolver: ClientAddress | null = null;
  private trace: SteerTrace | null = null;
  private out: QueryAnswer | null = null;
  /** Bound once: steering asks for the client as another prefer_ecs sees it (rules, resolver_subnet). */
  private readonly clientFor = (preferEcs: boolean): ClientAddress => this.client(preferEcs);
  /** Random numbers steering drew since bind(), and the last weighted pick among them. */
  private draws = 0;
  private picks = 0;
  private pickCumulative: Float64Array | null = null;
  private pickCount = 0;
  private pickIndex = -1;
  /** A number the next draw returns instead of a fresh one (the packet cache drew it already); -1: none. */
  private preset = -1;
  /** Bound once: the random source, counting draws. */
  private readonly draw = (): number => {
    this.draws++;
    const r = this.preset;
    if (r >= 0) {
      this.preset = -1;
      return r;
    }
    return (this.random ?? Math.random)();
  };
  /** Bound once: notes each weighted pick, then tells the caller's hook (a replay's memo). */
  private readonly picked = (cumulative: Float64Array, count: number, index: number): void => {
    this.picks++;
    this.pickCumulative = cumulative;
    this.pickCount = count;
    this.pickIndex = index;
    this.onPick?.(cumulative, count, index);
  };

  /**
   * `random`: the uniform [0, 1) source of random steering (a replay passes a seeded one);
   * without one, Math.random as it is at each query (tests replace it).
   */
  constructor(
    private readonly random: (() => number) | null = null,
    private readonly onPick: SteerContext['onPick'] = undefined,
  ) {}

  /** Steering decisions are recorded in `out`; `trace` is for explain: the steps are appended to it. */
  bind(
    state: ServingState,
    origin: string,
    query: Query,
    resolver: ClientIp,
    out: QueryAnswer | null,
    trace: SteerTrace | null = null,
  ): void {
    this.state = state;
    this.out = out;
    this.trace = trace;
    this.origin = origin;
    this.query = query;
    this.resolver = resolver;
    this.byEcs = null;
    this.byResolver = null;
    this.draws = 0;
    this.picks = 0;
    this.pickCumulative = null;
  }

  /** The uniform number the next draw returns (`r` in [0, 1)), or -1: a fresh one. */
  presetDraw(r: number): void {
    this.preset = r;
  }

  /** A draw of this source's kind (the caller's random, else Math.random as it is now). */
  uniform(): number {
    return (this.random ?? Math.random)();
  }

  /**
   * What the decisions since bind() read besides the question and the serving state: the
   * resolver's address (no usable ECS, a prefer_ecs that ignores it, a resolver_subnet rule),
   * and random draws. The packet cache keys on the first; of the second it keeps only an answer
   * that drew once, for a weighted pick (one kept answer per index).
   */
  reads(): SteeringReads {
    const pick =
      this.picks === 1 && this.pickCumulative !== null
        ? { cumulative: this.pickCumulative, count: this.pickCount, index: this.pickIndex }
        : null;
    return { resolver: this.byResolver !== null, draws: this.draws, pick };
  }

  resolve(owner: string, _binding: DynamicBinding, qtype: number): DynamicAnswer {
    const answer = this.out;
    if (answer !== null) {
      answer.steerings++;
      answer.lb = owner;
      answer.lbAnswer = null;
      answer.prepared = null;
      answer.rule = null;
      answer.site = null;
    }
    const state = this.state;
    if (state === null) return NO_ANSWER;
    const prepared = state.lb.get(this.origin);
    const one = prepared?.loadBalancers.get(owner);
    if (prepared === undefined || one === undefined) return NO_ANSWER;
    const client = this.client(one.lb.preferEcs === 'always');
    const out = steer(prepared, owner, qtype, {
      client,
      geo: state.geo,
      asn: state.asn,
      random: this.draw,
      trace: this.trace,
      clientFor: this.clientFor,
      onPick: this.picked,
    });
    if (answer !== null) {
      answer.lbAnswer = out.rrset;
      answer.prepared = out.prepared ?? one;
      answer.rule = out.rule ?? null;
      answer.site = out.site ?? null;
    }
    // steer() returns scope 0 unless the decision looked at the client's ECS subnet.
    return { rrset: out.rrset, scope: out.scope };
  }

  private client(preferEcs: boolean): ClientAddress {
    const ecs = this.query?.edns?.ecs ?? null;
    if (preferEcs && ecs !== null && ecs.sourcePrefix > 0) {
      this.byEcs ??= clientAddress(ecs, this.resolver, true);
      return this.byEcs;
    }
    this.byResolver ??= clientAddress(null, this.resolver, false);
    return this.byResolver;
  }
}
