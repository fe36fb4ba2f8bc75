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
import { chooseDynamic } from './policies/dynamic.js';
import { chooseGeo } from './policies/geo.js';
import { chooseHash } from './policies/hash.js';
import { chooseOff } from './policies/off.js';
import { chooseRecords, describeRecord } from './policies/origin.js';
import { chooseProximity } from './policies/proximity.js';
import { chooseRandom } from './policies/random.js';
import { httpsAnswer } from './https-hints.js';
import type { DynamicSite, PreparedLb, PreparedLbZone, PreparedPool, PreparedRuleSet } from './prepare.js';

export type { SteerContext } from './steer-context.js';
export type { SteerTrace, SteerTraceStep, SteerTraceStage } from './trace.js';
export { createTrace, formatTrace } from './trace.js';

export interface SteerOutcome {
  /** null → NODATA (fail closed, no origin of the requested type, or not a type this name steers). */
  readonly rrset: RRset | null;
  /** ECS scope prefix the answer depended on (0: not location dependent). */
  readonly scope: number;
  readonly ttl: number;
  /** The load balancer that answered: a rule variant when a rule matched. Absent when no load balancer is at the name. */
  readonly prepared?: PreparedLb;
  /** Names of the rules that matched, in order, joined with "+"; null when none did. */
  readonly rule?: string | null;
  /** Fleet mode, dynamic steering: the site whose RTTs chose the pool. */
  readonly site?: DynamicSite | null;
}

const call = new SteerCall();
const NOT_STEERED: SteerOutcome = Object.freeze({ rrset: null, scope: 0, ttl: 0 });

export function steer(prepared: PreparedLbZone, owner: string, qtype: number, ctx: SteerContext): SteerOutcome {
  const base = prepared.loadBalancers.get(owner);
  if (base === undefined) {
    ctx.trace?.steps.push({ stage: 'lookup', text: `${owner}: no load balancer at this name` });
    return NOT_STEERED;
  }
  call.reset(ctx);
  call.qtype = qtype;
  if (call.trace !== null) {
    call.note(
      'lookup',
      `${owner} ${typeName(qtype)}: load balancer "${base.lb.name}" (${base.policy}, ${base.recordType}, ttl ${base.ttl}); client ${describeClient(ctx.client)}`,
    );
  }
  if (qtype === RRType.HTTPS && base.lb.https !== null) return steerHttps(prepared, owner, base, base.lb.https, ctx);
  if (!answers(base, qtype)) {
    if (call.trace !== null) call.note('answer', `NODATA: this load balancer does not answer ${typeName(qtype)}`);
    return { rrset: null, scope: 0, ttl: base.ttl };
  }
  let p = base;
  let rule: string | null = null;
  if (base.rules !== null) {
    const mask = matchRules(base.rules, call);
    if (mask !== 0) {
      p = base.rules.variants.get(mask) ?? base;
      rule = ruleNames(base.rules, mask);
      if (p.lb.preferEcs !== base.lb.preferEcs && ctx.clientFor !== undefined)
        call.switchClient(ctx.clientFor(p.lb.preferEcs === 'always'));
      if (call.trace !== null) {
        call.note(
          'rule',
          `steering as "${p.lb.name}" with rule ${rule}: ${p.policy}, ttl ${p.ttl}; client ${describeClient(call.ctx.client)}`,
        );
      }
    }
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
    return finish(p, null, rule);
  }
  return finish(p, chooseRecords(pool, set, qtype, p.maxRecords, call), rule);
}

/** Bit mask of the rules that match, walking them in order (see rules/variants.ts). */
function matchRules(set: PreparedRuleSet, c: SteerCall): number {
  let mask = 0;
  const rules = set.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const matched = r.test(c);
    if (c.trace !== null)
      c.note('rule', `rule "${r.name}" (${r.text}): ${matched ? (r.continue ? 'matches, continue' : 'matches') : 'no match'}`);
    if (!matched) continue;
    mask += 2 ** i;
    if (!r.continue) break;
  }
  if (c.trace !== null && mask === 0) c.note('rule', 'no rule matches: the load balancer as written');
  return mask;
}

function ruleNames(set: PreparedRuleSet, mask: number): string {
  const names: string[] = [];
  for (const r of set.rules) if ((mask & (2 ** r.index)) !== 0) names.push(r.name);
  return names.join('+');
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
    case 'dynamic':
      return chooseDynamic(p, call);
  }
}

function finish(p: PreparedLb, rrset: RRset | null, rule: string | null): SteerOutcome {
  const scope = call.usedEcs ? call.scope : 0;
  if (call.trace !== null) {
    const what = rrset === null ? 'NODATA' : rrset.map((rr) => `${typeName(rr.type)} ${describeRecord(rr)}`).join(', ');
    call.note('answer', `${what}; ttl ${p.ttl}; ECS scope /${scope}${call.usedEcs ? '' : ' (no ECS from the client)'}`);
  }
  return { rrset, scope, ttl: p.ttl, prepared: p, rule, site: call.site };
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
