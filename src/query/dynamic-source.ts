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
      random: this.random ?? Math.random,
      trace: this.trace,
      clientFor: this.clientFor,
      onPick: this.onPick,
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
