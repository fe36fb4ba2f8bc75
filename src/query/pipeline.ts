// The query path, top to bottom: decode → generic checks → zone match → lookup (which steers
// load-balanced names through the DynamicSource) → assemble → fit to size → encode. What happened
// is recorded in a QueryAnswer (answer.ts) that the transports send and their observers read.
// Everything here is synchronous: a UDP datagram is answered within one turn of the event loop.
// This class is the plain path; cached-pipeline.ts wraps it with the reply caches.
import type { ClientIp } from '../net/client-ip.js';
import { hostname } from 'node:os';
import { decodeQuery } from '../wire/decode.js';
import { encodeReply } from '../wire/encode.js';
import { Opcode, Rcode, RRClass, RRType, type Query, type Reply, type ReplyEdns, type RRset } from '../wire/types.js';
import { lookup } from '../zone/lookup.js';
import type { LookupResult } from '../zone/types.js';
import type { StateHolder } from '../config/state.js';
import { QueryDynamicSource } from './dynamic-source.js';
import type { Logger } from '../server/logger.js';
import { QueryAnswer, type AnswerKind } from './answer.js';
import type { Transport } from './transport.js';
import { ChaosResponder, type ServerIdentity } from './chaos.js';
import type { CookieSecrets, ServerCookies } from './cookies/server-cookies.js';
import { EdnsExtras } from './edns-extras.js';
import { signReply, withApexKeys } from '../dnssec/sign-reply.js';
import { DEFAULT_SIGNATURE_CACHE, Signer } from '../dnssec/signer.js';
import type { Zone } from '../zone/types.js';
import type { ZoneSigning } from '../dnssec/zone-signing.js';

/** Largest UDP payload this server sends, whatever the client offers (DNS flag day 2020). */
export const SERVER_UDP_LIMIT = 1232;
const NO_EDNS_UDP_LIMIT = 512;
const TCP_LIMIT = 65535;
const EMPTY: readonly RRset[] = [];
const NO_PACKET_CACHE = Object.freeze({ entries: 0, hits: 0, misses: 0 });
/** RFC 6672 §2.2: a DNAME rewrite that would exceed 255 octets. */
const RCODE_YXDOMAIN = 6;

export interface PipelineOptions {
  readonly state: StateHolder;
  readonly logger: Logger;
  /** Server UDP payload limit (default 1232). */
  readonly udpLimit?: number;
  /** NSID and CHAOS id.server./version.server. (default: the host name, no version). */
  readonly identity?: ServerIdentity;
  /** DNS Cookies; null or absent: off (a COOKIE option is ignored). */
  readonly cookies?: ServerCookies | null;
  /** Most RRsets whose DNSSEC signatures are kept (default 100000). */
  readonly signatureCacheSize?: number;
  /** Uniform [0, 1) source for random steering (default Math.random; a replay seeds its own). */
  readonly random?: () => number;
  /** Told of each weighted random pick steering makes (a replay's memo; see SteerContext.onPick). */
  readonly onPick?: (cumulative: Float64Array, count: number, index: number) => void;
  /** Most UDP replies the packet cache keeps (cached-pipeline.ts); 0: no packet cache. */
  readonly packetCacheSize?: number;
}

/** Without an identity given: the host name, and version queries refused. */
export function defaultIdentity(): ServerIdentity {
  return { identity: hostname(), version: null };
}

export class QueryPipeline {
  protected readonly state: StateHolder;
  private readonly logger: Logger;
  private readonly udpLimit: number;
  // Reused per query: the pipeline is synchronous, so one instance serves every query in turn.
  protected readonly dynamic: QueryDynamicSource;
  protected readonly out = new QueryAnswer();
  private readonly chaos: ChaosResponder;
  protected readonly extras: EdnsExtras;
  /** Signs DO=1 answers of zones with keys, and keeps the signatures. */
  readonly signer: Signer;

  constructor(opts: PipelineOptions) {
    this.state = opts.state;
    this.logger = opts.logger;
    this.udpLimit = opts.udpLimit ?? SERVER_UDP_LIMIT;
    const identity = opts.identity ?? defaultIdentity();
    this.chaos = new ChaosResponder(identity);
    this.extras = new EdnsExtras(opts.cookies ?? null, Buffer.from(identity.identity, 'utf8'));
    this.signer = new Signer(opts.signatureCacheSize ?? DEFAULT_SIGNATURE_CACHE);
    this.dynamic = new QueryDynamicSource(opts.random ?? null, opts.onPick);
  }

  /**
   * Answer one DNS message. The result is this pipeline's one QueryAnswer, refilled by the next
   * call; its `bytes` are null when the message is dropped unanswered.
   */
  answer(packet: Uint8Array, client: ClientIp, transport: Transport): QueryAnswer {
    const out = this.out;
    out.reset(transport);
    const query = this.decode(packet, out);
    if (query === null) return out;
    if (this.beginExtras(query, client, out)) {
      this.resolve(query, client, out);
      this.encode(out, this.sizeLimit(query, transport) - this.extras.length);
    }
    this.finishExtras(out);
    return out;
  }

  /** The packet cache's answers kept and lookups (cached-pipeline.ts); this plain path has none. */
  packetCacheStats(): { readonly entries: number; readonly hits: number; readonly misses: number } {
    return NO_PACKET_CACHE;
  }

  /** Rotates the cookie secrets (SIGHUP with a new cookie secret file); false when cookies are off. */
  setCookieSecrets(secrets: CookieSecrets): boolean {
    return this.extras.setCookieSecrets(secrets);
  }

  /**
   * COOKIE and NSID (edns-extras.ts). False when the query ends here: out then holds the
   * encoded FORMERR or BADCOOKIE. A query without those options costs one check.
   */
  protected beginExtras(query: Query, client: ClientIp, out: QueryAnswer): boolean {
    const edns = query.edns;
    if (edns === null || (edns.cookie == null && edns.nsid !== true)) {
      this.extras.length = 0;
      return true;
    }
    const rcode = this.extras.begin(query, client, out.transport, out);
    if (rcode === Rcode.NOERROR) return true;
    this.fail(query, rcode, out);
    this.encode(out, this.sizeLimit(query, out.transport) - this.extras.length);
    return false;
  }

  /** Adds the reply's COOKIE and NSID options to out.bytes. */
  protected finishExtras(out: QueryAnswer): void {
    if (this.extras.length > 0 && out.bytes !== null && out.reply !== null) out.bytes = this.extras.append(out.bytes, out.reply);
  }

  /** The query in `packet`; null when there is none, and then `out` is complete (dropped, FORMERR or NOTIMP). */
  protected decode(packet: Uint8Array, out: QueryAnswer): Query | null {
    const decoded = decodeQuery(packet);
    if (decoded.kind === 'drop') {
      out.kind = 'dropped';
      out.dropReason = decoded.reason;
      return null;
    }
    if (decoded.kind === 'formerr') {
      // Opcode is checked before structure: an unsupported opcode is NOTIMP however it is shaped.
      const rcode = decoded.opcode !== Opcode.QUERY ? Rcode.NOTIMP : Rcode.FORMERR;
      out.kind = kindOf(rcode);
      out.qtype = decoded.question?.qtype ?? 0;
      out.reply = {
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
      this.encode(out, out.transport === 'tcp' ? TCP_LIMIT : NO_EDNS_UDP_LIMIT);
      return null;
    }
    out.query = decoded.query;
    out.qtype = decoded.query.qtype;
    return decoded.query;
  }

  /** Generic checks → zone match → lookup/steer → assemble, into out.reply. A bug costs one SERVFAIL. */
  protected resolve(query: Query, client: ClientIp, out: QueryAnswer): void {
    try {
      const refusal = this.genericCheck(query, out.transport);
      if (refusal !== null) {
        this.fail(query, refusal, out);
        return;
      }
      if (query.qclass === RRClass.CH) {
        this.answerChaos(query, out);
        return;
      }
      const state = this.state.current;
      const zone = state.zones.find(query.qname, query.qtype);
      if (zone === null) {
        this.fail(query, Rcode.REFUSED, out);
        return;
      }
      out.zone = zone.origin;
      this.dynamic.bind(state, zone.origin, query, client, out);
      const signing = state.origins.get(zone.origin)?.signing ?? null;
      let result = lookup(zone, query.qname, query.qtype, this.dynamic);
      if (signing !== null) result = withApexKeys(result, zone, query.qname, query.qtype, signing, Date.now());
      out.kind = result.kind;
      out.wildcard = result.wildcard;
      out.cname = startsWithCname(result, query.qtype);
      out.reply = this.assemble(query, result);
      if (signing !== null && query.edns?.dnssecOk === true) this.sign(query, result, zone, signing, out);
      out.ecsScope = out.reply.edns?.ecs?.scopePrefix ?? 0;
    } catch (err) {
      // A bug while answering must cost one SERVFAIL, never the process.
      this.logger.error({ err, qtype: query.qtype, qname: safeName(query.qname) }, 'query failed');
      this.fail(query, Rcode.SERVFAIL, out);
    }
  }

  /** Between assemble and fit-to-size: RRSIGs and denial proofs for a DO=1 query to a signed zone. */
  private sign(query: Query, result: LookupResult, zone: Zone, signing: ZoneSigning, out: QueryAnswer): void {
    const now = Date.now();
    const signer = this.signer;
    signer.resetFreshness();
    out.reply = signReply(out.reply!, result, query, zone, signing, signer, now);
    out.signedUntil = Math.min(signer.freshUntil, signing.view(now).until);
  }

  /** Fit to size and encode: out.bytes, out.truncated. */
  protected encode(out: QueryAnswer, sizeLimit: number): void {
    const bytes = encodeReply(out.reply!, sizeLimit);
    out.bytes = bytes;
    out.truncated = isTruncated(bytes);
  }

  /** Checks that do not depend on the zone, done once before lookup (as CoreDNS's server does). */
  private genericCheck(query: Query, transport: Transport): number | null {
    if (query.opcode !== Opcode.QUERY) return Rcode.NOTIMP;
    if (query.edns !== null && query.edns.version > 0) return Rcode.BADVERS;
    if (query.qclass !== RRClass.IN && query.qclass !== RRClass.CH) return Rcode.REFUSED;
    if (query.qtype === RRType.AXFR || query.qtype === RRType.IXFR) {
      // Transfers reach here only when no transfer settings let this client have the zone (the
      // transfer front answers the rest): REFUSED. AXFR over UDP is malformed by definition
      // (RFC 5936 §4.2); IXFR over UDP is allowed (RFC 1995 §2), so it is refused, not FORMERR.
      return transport === 'udp' && query.qtype === RRType.AXFR ? Rcode.FORMERR : Rcode.REFUSED;
    }
    if (query.qtype === RRType.OPT) return Rcode.FORMERR;
    return null;
  }

  /** id.server., hostname.bind. and, when configured, version.server./version.bind.; other CHAOS names REFUSED. */
  private answerChaos(query: Query, out: QueryAnswer): void {
    const sets = this.chaos.answer(query.qname, query.qtype);
    if (sets === null) {
      this.fail(query, Rcode.REFUSED, out);
      return;
    }
    const edns = query.edns ? this.replyEdns(query.edns.dnssecOk, null) : null;
    out.kind = sets.length > 0 ? 'answer' : 'nodata';
    out.reply = reply(query, Rcode.NOERROR, true, sets, EMPTY, EMPTY, edns);
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
        // AA only for the CNAME/DNAME chain of ours that led into the delegation.
        return reply(query, Rcode.NOERROR, result.answer.length > 0, result.answer, result.authority, result.additional, edns);
      case 'yxdomain':
        return reply(query, RCODE_YXDOMAIN, true, result.answer, EMPTY, EMPTY, edns);
    }
  }

  private fail(query: Query, rcode: number, out: QueryAnswer): void {
    // ECS is echoed only on answers; an error reply carries a bare OPT (RFC 7871 §7.1.3 allows it).
    const edns = query.edns ? this.replyEdns(query.edns.dnssecOk, null) : null;
    out.kind = kindOf(rcode);
    out.reply = reply(query, rcode, false, EMPTY, EMPTY, EMPTY, edns);
    out.ecsScope = 0;
  }

  private replyEdns(dnssecOk: boolean, query: Query | null, scope = 0): ReplyEdns {
    const ecs = query?.edns?.ecs ?? null;
    return {
      udpSize: this.udpLimit,
      dnssecOk,
      ecs: ecs === null ? null : { family: ecs.family, sourcePrefix: ecs.sourcePrefix, scopePrefix: scope, address: ecs.address },
    };
  }

  protected sizeLimit(query: Query, transport: Transport): number {
    if (transport === 'tcp') return TCP_LIMIT;
    if (query.edns === null) return NO_EDNS_UDP_LIMIT;
    return Math.max(NO_EDNS_UDP_LIMIT, Math.min(query.edns.udpSize, this.udpLimit));
  }
}

/** The answer kind of an error rcode. */
function kindOf(rcode: number): AnswerKind {
  switch (rcode) {
    case Rcode.NOTIMP:
      return 'notimp';
    case Rcode.BADVERS:
      return 'badvers';
    case Rcode.FORMERR:
      return 'formerr';
    case Rcode.REFUSED:
      return 'refused';
    case Rcode.BADCOOKIE:
      return 'badcookie';
    default:
      return 'servfail';
  }
}

/** The answer section starts with a CNAME standing in for the asked type. */
function startsWithCname(result: LookupResult, qtype: number): boolean {
  const first = result.answer[0]?.[0];
  return first !== undefined && first.type === RRType.CNAME && qtype !== RRType.CNAME;
}

/** TC bit of an encoded DNS message (flags byte 2, bit 0x02). */
export function isTruncated(message: Uint8Array): boolean {
  return message.length > 2 && (message[2]! & 0x02) !== 0;
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
