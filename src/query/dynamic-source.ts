// Binds one query (its client and the current state) to the zone lookup, so load-balanced
// names are steered for this client with the health the state was built from.
import { clientAddress } from '../geo/client.js';
import type { ClientAddress } from '../geo/types.js';
import { steer, type SteerTrace } from '../lb/steer.js';
import type { Query, RRset } from '../wire/types.js';
import type { DynamicAnswer, DynamicBinding, DynamicSource } from '../zone/types.js';
import type { ServingState } from '../config/state.js';

const NO_ANSWER: DynamicAnswer = Object.freeze({ rrset: null, scope: 0 });

export class QueryDynamicSource implements DynamicSource {
  private state: ServingState | null = null;
  private origin = '';
  private query: Query | null = null;
  private clientIp = '';
  // Computed lazily: most queries never reach a load balancer.
  private byEcs: ClientAddress | null = null;
  private byResolver: ClientAddress | null = null;
  private trace: SteerTrace | null = null;
  /** Whether this query reached a load balancer (its reply then depends on more than the question). */
  used = false;
  /** Load-balancer answers given to this query, and the last RRset (for the steered-reply cache). */
  calls = 0;
  lastRRset: RRset | null = null;

  /** `trace` is for explain: the steering steps are appended to it. */
  bind(state: ServingState, origin: string, query: Query, clientIp: string, trace: SteerTrace | null = null): void {
    this.state = state;
    this.trace = trace;
    this.origin = origin;
    this.query = query;
    this.clientIp = clientIp;
    this.byEcs = null;
    this.byResolver = null;
    this.used = false;
    this.calls = 0;
    this.lastRRset = null;
  }

  resolve(owner: string, _binding: DynamicBinding, qtype: number): DynamicAnswer {
    this.used = true;
    this.calls++;
    this.lastRRset = null;
    const state = this.state;
    if (state === null) return NO_ANSWER;
    const prepared = state.lb.get(this.origin);
    const lb = prepared?.loadBalancers.get(owner)?.lb;
    if (prepared === undefined || lb === undefined) return NO_ANSWER;
    const client = this.client(lb.preferEcs === 'always');
    const out = steer(prepared, owner, qtype, { client, geo: state.geo, random: Math.random, trace: this.trace });
    this.lastRRset = out.rrset;
    // The scope only means something to a resolver that sent us its client's subnet.
    return { rrset: out.rrset, scope: client.fromEcs ? out.scope : 0 };
  }

  private client(preferEcs: boolean): ClientAddress {
    const ecs = this.query?.edns?.ecs ?? null;
    if (preferEcs && ecs !== null && ecs.sourcePrefix > 0) {
      return (this.byEcs ??= clientAddress(ecs, this.clientIp, true));
    }
    return (this.byResolver ??= clientAddress(null, this.clientIp, false));
  }
}
