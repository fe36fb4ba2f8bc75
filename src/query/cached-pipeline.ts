// The query pipeline with its reply caches around the plain path (pipeline.ts):
//  - whole UDP replies keyed by the query message (packet-cache.ts): a hit skips everything,
//    decoding included; what it may not keep takes the paths below;
//  - static replies (no load balancer, no ECS): a hit skips everything after decode;
//  - plain load-balanced answers: steering still runs (the choice is per client), the hit skips
//    encoding.
// Either way the QueryAnswer says what the reply is, as if it had been built for this query.
import type { ClientIp } from '../net/client-ip.js';
import { Opcode, RRClass, type Query, type RRset } from '../wire/types.js';
import type { QueryAnswer } from './answer.js';
import { isTruncated, QueryPipeline } from './pipeline.js';
import { indexAt } from '../lb/weighted.js';
import { NO_READS } from './dynamic-source.js';
import { DEFAULT_PACKET_CACHE_SIZE, PacketCache } from './packet-cache.js';
import type { PipelineOptions } from './pipeline.js';
import { patchReply, patchSteeredReply, ReplyCache, SteeredReplyCache } from './reply-cache.js';
import type { Transport } from './transport.js';

export class CachedPipeline extends QueryPipeline {
  private readonly packets: PacketCache;
  private readonly cache = new ReplyCache();
  private readonly steered = new SteeredReplyCache();

  constructor(opts: PipelineOptions) {
    super(opts);
    this.packets = new PacketCache(opts.packetCacheSize ?? DEFAULT_PACKET_CACHE_SIZE);
  }

  override answer(packet: Uint8Array, client: ClientIp, transport: Transport): QueryAnswer {
    const out = this.out;
    out.reset(transport);
    // Over UDP the message itself may be a key; TCP replies are few and framed differently.
    const state = transport === 'udp' ? this.state.current : null;
    const dynamic = this.dynamic;
    const entry = state === null ? 0 : this.packets.find(packet, client, state);
    if (state !== null) {
      let index = 0;
      const pick = entry === 0 ? null : this.packets.pickOf(entry);
      if (pick !== null) {
        // Drawn as steering draws; on a miss steering gets this same number (the odds stay steering's).
        const r = dynamic.uniform();
        index = indexAt(pick.cumulative, pick.count, r);
        dynamic.presetDraw(r);
      }
      if (this.packets.answer(entry, index, packet, out)) {
        dynamic.presetDraw(-1);
        return out;
      }
    }
    const query = this.decode(packet, out);
    if (query !== null) {
      if (this.beginExtras(query, client, out)) {
        this.answerQuery(query, client, transport, out);
        if (state !== null && this.extras.length === 0) {
          const signed = out.zone !== null && (state.origins.get(out.zone)?.signing ?? null) !== null;
          // Only a query that steered bound the dynamic source: the others read nothing of it.
          const reads = out.steerings > 0 ? dynamic.reads() : NO_READS;
          this.packets.store(entry, packet, client, state, out, reads, signed);
        }
      }
      this.finishExtras(out);
    }
    dynamic.presetDraw(-1);
    return out;
  }

  override packetCacheStats(): ReturnType<PacketCache['stats']> {
    return this.packets.stats();
  }

  /**
   * Cache or lookup, into out. Room for the COOKIE and NSID options is kept free, so a reply
   * cached for one client serves the next, whose options are added afterwards.
   */
  private answerQuery(query: Query, client: ClientIp, transport: Transport, out: QueryAnswer): void {
    const sizeLimit = this.sizeLimit(query, transport) - this.extras.length;
    const shape = this.staticShape(query, sizeLimit, transport);
    if (shape >= 0) {
      const hit = this.cache.get(query.qname, query.qtype, shape);
      // A signed reply is used until its signatures are due to be made again.
      if (hit !== undefined && (hit.signedUntil === Number.POSITIVE_INFINITY || hit.signedUntil > Date.now())) {
        out.kind = hit.kind;
        out.zone = hit.zone;
        out.reply = hit.reply;
        out.wildcard = hit.wildcard;
        out.cname = hit.cname;
        out.truncated = hit.truncated;
        out.source = 'reply-cache';
        out.bytes = patchReply(hit.bytes, query.id, query.rd, query.cd, query.qnameWire);
        return;
      }
    }

    this.resolve(query, client, out);

    const rrset = this.steeredAnswer(out);
    if (rrset !== null) {
      const edns = out.reply!.edns;
      const hit = this.steered.get(rrset, query.qname, query.qtype, sizeLimit, edns);
      if (hit !== undefined) {
        out.source = 'steered-cache';
        out.bytes = patchSteeredReply(hit, query.id, query.rd, query.cd, query.qnameWire, query.edns?.ecs?.address ?? null);
        out.truncated = isTruncated(hit);
        return;
      }
      this.encode(out, sizeLimit);
      this.steered.set(rrset, query.qname, query.qtype, sizeLimit, edns, out.bytes!);
      return;
    }
    this.encode(out, sizeLimit);
    // Only zone data: no load balancer was asked (its reply would depend on more than the question).
    if (shape >= 0 && out.zone !== null && out.steerings === 0 && out.kind !== 'servfail')
      this.cache.set(query.qname, query.qtype, shape, out);
  }

  /** The static cache's shape for this query (with its name and type, the key), or -1 when its reply must not come from there. */
  private staticShape(query: Query, sizeLimit: number, transport: Transport): number {
    // ECS queries are not cached (the echo differs per client).
    if (query.opcode !== Opcode.QUERY || query.qclass !== RRClass.IN) return -1;
    if (query.edns !== null && (query.edns.version !== 0 || query.edns.ecs !== null)) return -1;
    // Cached replies come from zone data only (no load balancer, no ECS), so only a config
    // change makes them stale; a health or GeoIP swap leaves them valid.
    this.cache.sync(this.state.current.configGeneration);
    return ReplyCache.shape(sizeLimit, query.edns?.dnssecOk ?? false, query.edns !== null, transport === 'tcp');
  }

  /**
   * The RRset of a plain load-balanced answer (one steering decision, its RRset the whole answer,
   * nothing else in the message), whose encoding the steered-reply cache can keep; else null.
   */
  private steeredAnswer(out: QueryAnswer): RRset | null {
    const rrset = out.lbAnswer;
    const reply = out.reply!;
    if (out.steerings !== 1 || rrset === null || out.kind !== 'answer') return null;
    if (reply.answer.length !== 1 || reply.answer[0] !== rrset) return null;
    if (reply.authority.length !== 0 || reply.additional.length !== 0) return null;
    // Opcode, class and EDNS version were checked before lookup (genericCheck).
    return rrset;
  }
}
