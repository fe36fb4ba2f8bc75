// The query path, top to bottom: decode → generic checks → zone match → lookup (which steers
// load-balanced names through the DynamicSource) → assemble → fit to size → bytes to send.
// Everything here is synchronous: a UDP datagram is answered within one turn of the event loop.
import { decodeQuery } from '../wire/decode.js';
import { encodeReply } from '../wire/encode.js';
import { Opcode, Rcode, RRClass, RRType, type Query, type Reply, type ReplyEdns, type RRset } from '../wire/types.js';
import { lookup } from '../zone/lookup.js';
import type { LookupResult } from '../zone/types.js';
import type { StateHolder } from '../config/state.js';
import { QueryDynamicSource } from './dynamic-source.js';
import type { Logger } from '../server/logger.js';
import type { QueryObserver } from './observer.js';
import { patchReply, patchSteeredReply, ReplyCache, SteeredReplyCache } from './reply-cache.js';

export type Transport = 'udp' | 'tcp';

/** Largest UDP payload this server sends, whatever the client offers (DNS flag day 2020). */
export const SERVER_UDP_LIMIT = 1232;
const NO_EDNS_UDP_LIMIT = 512;
const TCP_LIMIT = 65535;
const EMPTY: readonly RRset[] = [];

export interface PipelineOptions {
  readonly state: StateHolder;
  readonly logger: Logger;
  readonly observer?: QueryObserver | null;
  /** Server UDP payload limit (default 1232). */
  readonly udpLimit?: number;
  /** Cache encoded static replies (default true). */
  readonly replyCache?: boolean;
}

export class QueryPipeline {
  private readonly state: StateHolder;
  private readonly logger: Logger;
  private readonly observer: QueryObserver | null;
  private readonly udpLimit: number;
  // Reused per query: the pipeline is synchronous, so one instance serves every query in turn.
  private readonly dynamic: QueryDynamicSource;
  private readonly cache: ReplyCache | null;
  private readonly steered: SteeredReplyCache | null;

  constructor(opts: PipelineOptions) {
    this.state = opts.state;
    this.logger = opts.logger;
    this.observer = opts.observer ?? null;
    this.udpLimit = opts.udpLimit ?? SERVER_UDP_LIMIT;
    this.dynamic = new QueryDynamicSource();
    this.cache = opts.replyCache === false ? null : new ReplyCache();
    this.steered = opts.replyCache === false ? null : new SteeredReplyCache();
  }

  /** Answer one DNS message. Returns null when the packet must be dropped unanswered. */
  answer(packet: Uint8Array, clientIp: string, transport: Transport): Uint8Array | null {
    const decoded = decodeQuery(packet);
    if (decoded.kind === 'drop') {
      this.observer?.dropped(decoded.reason, transport);
      return null;
    }
    if (decoded.kind === 'formerr') {
      // Opcode is checked before structure: an unsupported opcode is NOTIMP however it is shaped.
      const rcode = decoded.opcode !== Opcode.QUERY ? Rcode.NOTIMP : Rcode.FORMERR;
      const reply: Reply = {
        id: decoded.id,
        opcode: decoded.opcode,
        rcode,
        aa: false,
        rd: decoded.rd,
        cd: decoded.cd,
        question: decoded.question,
        answer: EMPTY,
        authority: EMPTY,
        additional: EMPTY,
        edns: decoded.edns ? this.replyEdns(decoded.edns.dnssecOk, null) : null,
      };
      this.observer?.answered(null, reply, transport, decoded.question?.qtype ?? 0);
      return encodeReply(reply, transport === 'tcp' ? TCP_LIMIT : NO_EDNS_UDP_LIMIT);
    }
    const query = decoded.query;
    const sizeLimit = this.sizeLimit(query, transport);
    // Static answers come from the cache; ECS queries are not cached (the echo differs per client).
    let cacheKey: string | null = null;
    if (
      this.cache !== null &&
      query.opcode === Opcode.QUERY &&
      query.qclass === RRClass.IN &&
      (query.edns === null || (query.edns.version === 0 && query.edns.ecs === null))
    ) {
      // Cached replies come from zone data only (no load balancer, no ECS), so only a config
      // change makes them stale; a health or GeoIP swap leaves them valid.
      this.cache.sync(this.state.current.configGeneration);
      cacheKey = ReplyCache.key(
        query.qname,
        query.qtype,
        sizeLimit,
        query.edns?.dnssecOk ?? false,
        query.edns !== null,
        transport === 'tcp',
      );
      const hit = this.cache.get(cacheKey);
      if (hit !== undefined) {
        this.observer?.answered(hit.zone, hit.reply, transport, query.qtype, query);
        return patchReply(hit.bytes, query.id, query.rd, query.cd, query.qnameWire);
      }
    }
    let reply: Reply;
    let zoneOrigin: string | null = null;
    let cacheable = false;
    let steered: RRset | null = null;
    try {
      const refusal = this.genericCheck(query, transport);
      if (refusal !== null) {
        reply = this.errorReply(query, refusal);
      } else {
        const state = this.state.current;
        const zone = state.zones.find(query.qname);
        if (zone === null) {
          reply = this.errorReply(query, Rcode.REFUSED);
        } else {
          zoneOrigin = zone.origin;
          this.dynamic.bind(state, zone.origin, query, clientIp);
          const result = lookup(zone, query.qname, query.qtype, this.dynamic);
          reply = this.assemble(query, result);
          cacheable = !this.dynamic.used;
          steered = this.steeredAnswer(reply);
        }
      }
    } catch (err) {
      // A bug while answering must cost one SERVFAIL, never the process.
      this.logger.error({ err, qtype: query.qtype, qname: safeName(query.qname) }, 'query failed');
      reply = this.errorReply(query, Rcode.SERVFAIL);
    }
    this.observer?.answered(zoneOrigin, reply, transport, query.qtype, query);
    if (steered !== null) {
      const hit = this.steered!.get(steered, query.qname, query.qtype, sizeLimit, reply.edns);
      if (hit !== undefined) return patchSteeredReply(hit, query.id, query.rd, query.cd, query.qnameWire, query.edns?.ecs?.address ?? null);
      const encoded = encodeReply(reply, sizeLimit);
      this.steered!.set(steered, query.qname, query.qtype, sizeLimit, reply.edns, encoded);
      return encoded;
    }
    const bytes = encodeReply(reply, sizeLimit);
    if (cacheable && cacheKey !== null) this.cache!.set(cacheKey, bytes, zoneOrigin, reply);
    return bytes;
  }

  /**
   * The RRset of a plain load-balanced answer (one steering call, its RRset the whole answer,
   * nothing else in the message), whose encoding the steered-reply cache can keep; else null.
   */
  private steeredAnswer(reply: Reply): RRset | null {
    const rrset = this.dynamic.lastRRset;
    if (this.steered === null || this.dynamic.calls !== 1 || rrset === null) return null;
    if (reply.rcode !== Rcode.NOERROR || reply.answer.length !== 1 || reply.answer[0] !== rrset) return null;
    if (reply.authority.length !== 0 || reply.additional.length !== 0) return null;
    // Opcode, class and EDNS version were checked before lookup (genericCheck).
    return rrset;
  }

  /** Checks that do not depend on the zone, done once before lookup (as CoreDNS's server does). */
  private genericCheck(query: Query, transport: Transport): number | null {
    if (query.opcode !== Opcode.QUERY) return Rcode.NOTIMP;
    if (query.edns !== null && query.edns.version > 0) return Rcode.BADVERS;
    if (query.qclass !== RRClass.IN) return Rcode.REFUSED;
    if (query.qtype === RRType.AXFR || query.qtype === RRType.IXFR) {
      // Zone transfer is not offered; over UDP it is malformed by definition (RFC 5936 §4.2).
      return transport === 'udp' ? Rcode.FORMERR : Rcode.REFUSED;
    }
    if (query.qtype === RRType.OPT) return Rcode.FORMERR;
    return null;
  }

  /** The one place where a lookup result becomes rcode, AA and sections. */
  private assemble(query: Query, result: LookupResult): Reply {
    const edns = query.edns ? this.replyEdns(query.edns.dnssecOk, query, result.scope) : null;
    switch (result.kind) {
      case 'answer':
        return reply(query, Rcode.NOERROR, true, result.answer, EMPTY, result.additional, edns);
      case 'nodata':
        return reply(query, Rcode.NOERROR, true, result.answer, result.authority, EMPTY, edns);
      case 'nxdomain':
        return reply(query, Rcode.NXDOMAIN, true, result.answer, result.authority, EMPTY, edns);
      case 'referral':
        return reply(query, Rcode.NOERROR, false, result.answer, result.authority, result.additional, edns);
    }
  }

  private errorReply(query: Query, rcode: number): Reply {
    // ECS is echoed only on answers; an error reply carries a bare OPT (RFC 7871 §7.1.3 allows it).
    const edns = query.edns ? this.replyEdns(query.edns.dnssecOk, null) : null;
    return reply(query, rcode, false, EMPTY, EMPTY, EMPTY, edns);
  }

  private replyEdns(dnssecOk: boolean, query: Query | null, scope = 0): ReplyEdns {
    const ecs = query?.edns?.ecs ?? null;
    return {
      udpSize: this.udpLimit,
      dnssecOk,
      ecs: ecs === null ? null : { family: ecs.family, sourcePrefix: ecs.sourcePrefix, scopePrefix: scope, address: ecs.address },
    };
  }

  private sizeLimit(query: Query, transport: Transport): number {
    if (transport === 'tcp') return TCP_LIMIT;
    if (query.edns === null) return NO_EDNS_UDP_LIMIT;
    return Math.max(NO_EDNS_UDP_LIMIT, Math.min(query.edns.udpSize, this.udpLimit));
  }
}

/** Every reply is built here, with one object shape, which keeps the encoder's property reads fast. */
function reply(
  query: Query,
  rcode: number,
  aa: boolean,
  answer: readonly RRset[],
  authority: readonly RRset[],
  additional: readonly RRset[],
  edns: ReplyEdns | null,
): Reply {
  return {
    id: query.id,
    opcode: query.opcode,
    rcode,
    aa,
    rd: query.rd,
    cd: query.cd,
    question: query,
    answer,
    authority,
    additional,
    edns,
  };
}

/** Client-controlled names reach logs only as JSON strings (pino escapes them); cap the length. */
function safeName(name: string): string {
  return name.length > 300 ? `${name.slice(0, 300)}…` : name;
}
