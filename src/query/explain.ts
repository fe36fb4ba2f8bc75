// "Why did this client get this answer?" — runs the same lookup and steering code as the query
// path, with a trace, and returns the answer plus the decision steps. Used by the CLI and the
// HTTP API.
import { clientIpOf } from '../net/client-ip.js';
import { isIP } from 'node:net';
import { ipv4Bytes, ipv6Bytes } from '../wire/rdata.js';
import { rcodeToString, rrToText, typeFromString, typeToString } from '../wire/format.js';
import { Rcode, RRClass, type ClientSubnet, type Query } from '../wire/types.js';
import { createTrace, type SteerTraceStep } from '../lb/steer.js';
import { lookup } from '../zone/lookup.js';
import { parseNameText } from '../zone/name.js';
import { QueryAnswer } from './answer.js';
import { QueryDynamicSource } from './dynamic-source.js';
import type { ServingState } from '../config/state.js';

export interface ExplainRequest {
  readonly name: string;
  readonly type: string;
  /** "IP" (a resolver's address) or "IP/PREFIX" (sent as ECS). */
  readonly client: string;
}

export interface ExplainResult {
  readonly query: { readonly name: string; readonly type: string; readonly client: string; readonly ecs: string | null };
  readonly zone: string | null;
  readonly outcome: string;
  readonly rcode: string;
  readonly aa: boolean;
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  readonly ecsScope: number | null;
  /** Owner of the wildcard the answer was synthesised from, or null. */
  readonly wildcard: string | null;
  /** The last load balancer that steered this answer, the pool and origins it chose; null for static data. */
  readonly steered: {
    readonly lb: string;
    /** The rule(s) that matched ("a+b" when a continue: true rule matched too), or null. */
    readonly rule: string | null;
    readonly pool: string | null;
    readonly origins: readonly string[];
    /**
     * Fleet mode, dynamic steering: the site whose RTTs were compared and the RTT of each healthy
     * default pool from there (ms; null: fewer than min_samples); null otherwise.
     */
    readonly site: { readonly name: string; readonly rtts: readonly { readonly pool: string; readonly rttMs: number | null }[] } | null;
  } | null;
  readonly steps: readonly SteerTraceStep[];
  readonly healthGeneration: number;
  readonly configGeneration: number;
}

export class ExplainError extends Error {}

export function explain(state: ServingState, req: ExplainRequest): ExplainResult {
  const parsedName = parseNameText(req.name.endsWith('.') ? req.name : `${req.name}.`, '');
  if (!parsedName.ok) throw new ExplainError(`bad name "${req.name}": ${parsedName.error}`);
  const qtype = typeFromString(req.type.toUpperCase());
  if (qtype === undefined) throw new ExplainError(`unknown type "${req.type}"`);
  const { ip, ecs } = parseClient(req.client);
  const qname = parsedName.name;
  const query: Query = {
    id: 0,
    opcode: 0,
    rd: false,
    cd: false,
    qname,
    qnameWire: new Uint8Array(0),
    qtype,
    qclass: RRClass.IN,
    edns: ecs ? { version: 0, udpSize: 1232, dnssecOk: false, ecs } : null,
    size: 0,
  };
  const trace = createTrace();
  const zone = state.zones.find(qname, qtype);
  const base = {
    query: { name: qname, type: typeToString(qtype), client: ip, ecs: ecs ? `${ip}/${ecs.sourcePrefix}` : null },
    healthGeneration: state.health.generation,
    configGeneration: state.configGeneration,
  };
  if (zone === null) {
    return {
      ...base,
      zone: null,
      outcome: 'refused',
      rcode: 'REFUSED',
      aa: false,
      answer: [],
      authority: [],
      additional: [],
      ecsScope: null,
      wildcard: null,
      steered: null,
      steps: [],
    };
  }
  // The same record of steering decisions the query path keeps (see QueryAnswer).
  const answer = new QueryAnswer();
  answer.zone = zone.origin;
  const source = new QueryDynamicSource();
  source.bind(state, zone.origin, query, clientIpOf(ip), answer, trace);
  const result = lookup(zone, qname, qtype, source);
  const text = (sets: readonly (readonly Parameters<typeof rrToText>[0][])[]): string[] => sets.flatMap((s) => s.map(rrToText));
  const rcode = NEGATIVE_RCODES[result.kind] ?? Rcode.NOERROR;
  return {
    ...base,
    zone: zone.origin,
    outcome: result.kind,
    rcode: rcodeToString(rcode),
    // As the pipeline's assemble step: a referral is ours (AA) only for the chain leading to it.
    aa: result.kind !== 'referral' || result.answer.length > 0,
    answer: text(result.answer),
    authority: text('authority' in result ? result.authority : []),
    additional: text('additional' in result ? result.additional : []),
    ecsScope: ecs ? result.scope : null,
    wildcard: result.wildcard,
    steered:
      answer.lb === null
        ? null
        : {
            lb: answer.lb,
            rule: answer.rule,
            pool: answer.pool,
            origins: answer.origins,
            site: answer.site === null ? null : { name: answer.site.site, rtts: answer.site.rtts.map((r) => ({ ...r })) },
          },
    steps: trace.steps,
  };
}

/** Lookup kinds whose rcode is not NOERROR (yxdomain: RFC 6672 §2.2, not in the wire Rcode table). */
const NEGATIVE_RCODES: Readonly<Record<string, number>> = { nxdomain: Rcode.NXDOMAIN, yxdomain: 6 };

/** "192.0.2.1" → resolver address; "192.0.2.0/24" → ECS with that source prefix. */
export function parseClient(text: string): { ip: string; ecs: ClientSubnet | null } {
  const [ip = '', prefixText] = text.split('/');
  const family = isIP(ip);
  if (family === 0) throw new ExplainError(`bad client "${text}": expected IP or IP/PREFIX`);
  if (prefixText === undefined) return { ip, ecs: null };
  const prefix = Number(prefixText);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new ExplainError(`bad prefix in "${text}"`);
  const full = family === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
  const address = full.slice(0, Math.ceil(prefix / 8));
  // Clear the bits past the prefix, as a resolver would.
  if (prefix % 8 !== 0 && address.length > 0) address[address.length - 1]! &= 0xff << (8 - (prefix % 8));
  return { ip, ecs: { family: family === 4 ? 1 : 2, sourcePrefix: prefix, scopePrefix: 0, address } };
}
