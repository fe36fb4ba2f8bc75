// The per-query decision: load balancer → pool (steering policy) → records (origin steering).
// Pure: everything health-dependent was precomputed by prepareLb; the only inputs here are the
// client, the GeoIP database, a random source and an optional trace.
//
// Decisions the Cloudflare vocabulary leaves open:
//  - Pool choice does not look at the address family. If the chosen (healthy) pool has no
//    healthy origin of the requested family the answer is NODATA rather than a farther pool:
//    sending an EU client's AAAA to a US pool would make happy-eyeballs clients cross the
//    ocean while their A answer stays local.
//  - A CNAME query is answered only by hostname origins (NODATA when the pool answers addresses).
//  - The fallback pool answers with its enabled origins whatever their health (fail open); a
//    disabled fallback pool fails closed like `fallback: none`.
//  - ECS scope is 0 whenever the client is not an ECS subnet: the scope only means something to
//    a resolver that sent one.
import type { RRset } from '../wire/types.js';
import { RRType } from '../wire/types.js';
import type { AnswerSet } from './answer-sets.js';
import { describeClient, SteerCall, type SteerContext } from './steer-context.js';
import { chooseGeo } from './policies/geo.js';
import { chooseHash } from './policies/hash.js';
import { chooseOff } from './policies/off.js';
import { chooseRecords, describeRecord } from './policies/origin.js';
import { chooseProximity } from './policies/proximity.js';
import { chooseRandom } from './policies/random.js';
import type { PreparedLb, PreparedLbZone, PreparedPool } from './prepare.js';
import { httpsAnswer } from './https-hints.js';

export type { SteerContext } from './steer-context.js';
export type { SteerTrace, SteerTraceStep, SteerTraceStage } from './trace.js';
export { createTrace, formatTrace } from './trace.js';

export interface SteerOutcome {
  /** null → NODATA (fail closed, no origin of the requested type, or not a type this name steers). */
  readonly rrset: RRset | null;
  /** ECS scope prefix the answer depended on (0: not location dependent). */
  readonly scope: number;
  readonly ttl: number;
}

const call = new SteerCall();
const NOT_STEERED: SteerOutcome = Object.freeze({ rrset: null, scope: 0, ttl: 0 });

export function steer(prepared: PreparedLbZone, owner: string, qtype: number, ctx: SteerContext): SteerOutcome {
  const p = prepared.loadBalancers.get(owner);
  if (p === undefined) {
    ctx.trace?.steps.push({ stage: 'lookup', text: `${owner}: no load balancer at this name` });
    return NOT_STEERED;
  }
  call.reset(ctx);
  if (call.trace !== null) {
    call.note(
      'lookup',
      `${owner} ${typeName(qtype)}: load balancer "${p.lb.name}" (${p.policy}, ${p.recordType}, ttl ${p.ttl}); client ${describeClient(ctx.client)}`,
    );
  }
  if (qtype === RRType.HTTPS && p.lb.https !== null) return steerHttps(prepared, owner, p, p.lb.https, ctx);
  if (!answers(p, qtype)) {
    if (call.trace !== null) call.note('answer', `NODATA: this load balancer does not answer ${typeName(qtype)}`);
    return { rrset: null, scope: 0, ttl: p.ttl };
  }

  const chosen = choosePool(p);
  let pool: PreparedPool;
  let set: AnswerSet;
  if (chosen >= 0) {
    pool = p.pools[chosen]!;
    set = pool.live;
  } else if (p.fallback >= 0) {
    pool = p.pools[p.fallback]!;
    set = pool.failOpen;
    if (call.trace !== null) call.note('fallback', `no healthy pool: fallback pool ${pool.name}, health ignored (fail open)`);
  } else {
    if (call.trace !== null) {
      call.note(
        'fallback',
        p.lb.fallbackPool === null
          ? 'no healthy pool and `fallback: none`: fail closed'
          : `no healthy pool and the fallback pool ${p.lb.fallbackPool} is disabled: fail closed`,
      );
    }
    return finish(p, null);
  }
  return finish(p, chooseRecords(pool, set, qtype, p.maxRecords, call));
}

/**
 * HTTPS at a load-balanced name: the template with the A and AAAA answers this client gets as
 * hints. NODATA when neither family has an origin to give (fail closed, as for A/AAAA).
 */
function steerHttps(prepared: PreparedLbZone, owner: string, p: PreparedLb, template: Uint8Array, ctx: SteerContext): SteerOutcome {
  const a = steer(prepared, owner, RRType.A, ctx);
  const aaaa = steer(prepared, owner, RRType.AAAA, ctx);
  const scope = Math.max(a.scope, aaaa.scope);
  if (a.rrset === null && aaaa.rrset === null) return { rrset: null, scope, ttl: p.ttl };
  return { rrset: httpsAnswer(owner, p.ttl, template, a.rrset, aaaa.rrset), scope, ttl: p.ttl };
}

function choosePool(p: PreparedLb): number {
  switch (p.policy) {
    case 'off':
      return chooseOff(p, call);
    case 'random':
      return chooseRandom(p, call);
    case 'hash':
      return chooseHash(p, call);
    case 'geo':
      return chooseGeo(p, call);
    case 'proximity':
      return chooseProximity(p, call);
  }
}

function finish(p: PreparedLb, rrset: RRset | null): SteerOutcome {
  const scope = call.ctx.client.fromEcs ? call.scope : 0;
  if (call.trace !== null) {
    const what = rrset === null ? 'NODATA' : rrset.map((rr) => `${typeName(rr.type)} ${describeRecord(rr)}`).join(', ');
    call.note('answer', `${what}; ttl ${p.ttl}; ECS scope /${scope}${call.ctx.client.fromEcs ? '' : ' (no ECS from the client)'}`);
  }
  return { rrset, scope, ttl: p.ttl };
}

function answers(p: PreparedLb, qtype: number): boolean {
  if (p.recordType === 'MX') return qtype === RRType.MX;
  if (p.recordType === 'SRV') return qtype === RRType.SRV;
  return qtype === RRType.A || qtype === RRType.AAAA || qtype === RRType.CNAME;
}

const TYPE_NAMES = new Map<number, string>(Object.entries(RRType).map(([name, code]) => [code, name]));

function typeName(qtype: number): string {
  return TYPE_NAMES.get(qtype) ?? `TYPE${qtype}`;
}
