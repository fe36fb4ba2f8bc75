// Response rate limiting (RRL) for UDP, in the manner of NSD's and Knot's RRL.
//
// A spoofed-source attacker uses an authoritative server as a reflector: small queries "from" a
// victim, larger replies to the victim. RRL counts the replies each client network receives, per
// kind of reply, and stops sending once a bucket runs dry. Every `slip`-th suppressed reply still
// goes out as a minimal TC=1 stub (header and question only), so a real resolver behind a limited
// network retries over TCP and gets its answer there; a spoofed victim gets nothing larger than
// the query. TCP is never limited here: a TCP client has proved its address.
//
// Buckets are keyed by (client network, response class, name):
//   network   the client address cut to ipv4Prefix (/24) or ipv6Prefix (/56)
//   class     positive | wildcard | nodata | nxdomain | referral | error
//   name      positive: the qname; wildcard (an answer synthesised from a wildcard): the
//             wildcard's owner, so random names under it share one bucket (as NSD and Knot do);
//             nodata/nxdomain: the zone apex, so a random-subdomain flood shares one bucket per
//             zone; referral: the delegation point; error: none (all errors to a network share one).
// The class and name come from the pipeline's QueryAnswer, not from the encoded reply.
//
// Each bucket is a token bucket: `rate` tokens per second, at most `burst`. The table is a fixed
// array of buckets (open addressing, 4 probes); an entry whose bucket has refilled completely is
// indistinguishable from a fresh one and is reused, and when all probed entries are busy the least
// recently used one is taken over. Memory never grows with the number of clients, and a query
// costs a few typed-array reads and no allocation (the clock too: see coarseClock).
//
// Default: off. Knot DNS ships RRL off (mod-rrl must be configured); NSD compiles it in at 200
// responses/s. steerdns follows Knot: its answers are load-balanced with short TTLs (20-30 s), so
// a large public resolver's /24 legitimately asks far more often than it would of a static zone,
// and a limit set too low silently costs real users a TCP retry. Its replies are also small
// (minimal responses, no NS in authority, ANY answered minimally, UDP capped at 1232 bytes), which
// keeps the amplification factor low. Internet-facing deployments should turn it on;
// RRL_RECOMMENDED_RATE (NSD's 200/s, slip 2) is the suggested starting point.
import { steerError } from '../errors.js';
import type { ClientIp } from '../net/client-ip.js';
import { type IpNetwork, parseNetwork } from '../net/parse.js';
import { bytesInPrefix } from '../net/prefix.js';
import type { QueryAnswer } from '../query/answer.js';

export interface RrlOptions {
  /** Responses per second per bucket; 0 turns RRL off. */
  readonly rate: number;
  /** Largest number of responses a bucket holds for a burst (default: `rate`, one second's worth). */
  readonly burst?: number;
  /** Every slip-th limited response goes out as a TC=1 stub: 0 never (drop all), 1 always. */
  readonly slip: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** Client networks never limited (CIDR or single address), e.g. monitoring hosts. */
  readonly exempt: readonly string[];
  /** Buckets in the table, rounded up to a power of two (default 65536). */
  readonly tableSize?: number;
}

export const RRL_DEFAULT_SLIP = 2;
export const RRL_DEFAULT_IPV4_PREFIX = 24;
export const RRL_DEFAULT_IPV6_PREFIX = 56;
export const RRL_DEFAULT_TABLE_SIZE = 65536;
/** NSD's default rate; a starting point when enabling RRL on an internet-facing server. */
export const RRL_RECOMMENDED_RATE = 200;

/** What to do with one UDP response. */
export const RrlVerdict = { SEND: 0, SLIP: 1, DROP: 2 } as const;
export type RrlVerdict = (typeof RrlVerdict)[keyof typeof RrlVerdict];

export const ResponseClass = { POSITIVE: 1, NODATA: 2, NXDOMAIN: 3, REFERRAL: 4, ERROR: 5, WILDCARD: 6 } as const;
export type ResponseClass = (typeof ResponseClass)[keyof typeof ResponseClass];

export interface RrlStats {
  /** UDP responses checked. */
  readonly responses: number;
  /** Responses over the limit: slipped + dropped. */
  readonly limited: number;
  /** Limited responses sent as a TC=1 stub. */
  readonly slipped: number;
  /** Limited responses not sent at all. */
  readonly dropped: number;
  /** Responses to exempt clients (never limited). */
  readonly exempt: number;
  /** Busy buckets taken over for a new key because the table was full around it. */
  readonly evicted: number;
  /** Buckets in use, out of `capacity`. */
  readonly buckets: number;
  readonly capacity: number;
  /** Limited responses by response class (the reason a bucket ran dry: what was asked for). */
  readonly byClass: Readonly<Record<ResponseClassName, { readonly slipped: number; readonly dropped: number }>>;
}

export type ResponseClassName = 'positive' | 'nodata' | 'nxdomain' | 'referral' | 'error' | 'wildcard';
const CLASS_NAMES: readonly ResponseClassName[] = ['positive', 'nodata', 'nxdomain', 'referral', 'error', 'wildcard'];

/** What RRL reads of a response: the parts of the pipeline's QueryAnswer that classify it. */
export type RrlResponse = Pick<QueryAnswer, 'kind' | 'query' | 'zone' | 'wildcard' | 'reply'> & {
  /** A valid server cookie proves the source address (RFC 7873 §5.2.5): never limited, as in BIND and Knot. */
  readonly cookieValid?: boolean;
};

/** Fill in the defaults of a partial configuration; null when RRL is off (no config or rate 0). */
export function resolveRrlOptions(partial: Partial<RrlOptions> | null | undefined): RrlOptions | null {
  if (!partial?.rate) return null;
  const opts: RrlOptions = {
    rate: partial.rate,
    burst: partial.burst ?? partial.rate,
    slip: partial.slip ?? RRL_DEFAULT_SLIP,
    ipv4Prefix: partial.ipv4Prefix ?? RRL_DEFAULT_IPV4_PREFIX,
    ipv6Prefix: partial.ipv6Prefix ?? RRL_DEFAULT_IPV6_PREFIX,
    exempt: partial.exempt ?? [],
    tableSize: partial.tableSize ?? RRL_DEFAULT_TABLE_SIZE,
  };
  validate(opts);
  return opts;
}

function validate(o: RrlOptions): void {
  const bad = (what: string): never => {
    throw steerError('STEER_RRL_CONFIG', [what]);
  };
  if (!Number.isFinite(o.rate) || o.rate < 0) bad(`rate ${o.rate}: expected a number of responses per second >= 0`);
  if (o.burst !== undefined && (!Number.isFinite(o.burst) || o.burst < 1)) bad(`burst ${o.burst}: expected a number >= 1`);
  if (!Number.isInteger(o.slip) || o.slip < 0 || o.slip > 100) bad(`slip ${o.slip}: expected an integer from 0 to 100`);
  if (!Number.isInteger(o.ipv4Prefix) || o.ipv4Prefix < 0 || o.ipv4Prefix > 32) bad(`ipv4 prefix ${o.ipv4Prefix}: expected 0 to 32`);
  if (!Number.isInteger(o.ipv6Prefix) || o.ipv6Prefix < 0 || o.ipv6Prefix > 128) bad(`ipv6 prefix ${o.ipv6Prefix}: expected 0 to 128`);
  const size = o.tableSize ?? RRL_DEFAULT_TABLE_SIZE;
  if (!Number.isInteger(size) || size < 16 || size > 1 << 24) bad(`table size ${size}: expected an integer from 16 to 16777216`);
  for (const cidr of o.exempt) {
    const n = parseNetwork(cidr, { hostAllowed: true });
    if ('problem' in n) bad(`exempt ${cidr}: ${n.problem} (expected ADDRESS or ADDRESS/PREFIX)`);
  }
}

const PROBES = 4;

// The limiter's default clock: a millisecond time refreshed by a timer every CLOCK_TICK_MS while
// some limiter uses it. Reading it allocates nothing, where performance.now() boxes a new number
// on every call; 10 ms is far finer than any rate a limiter counts (Knot's RRL counts seconds).
const CLOCK_TICK_MS = 10;
let coarseNow = performance.now();
let clockUsers = 0;
let clockTimer: NodeJS.Timeout | null = null;
const coarseClock = (): number => coarseNow;

function acquireClock(): void {
  if (clockUsers++ > 0) return;
  coarseNow = performance.now();
  clockTimer = setInterval(() => {
    coarseNow = performance.now();
  }, CLOCK_TICK_MS);
  clockTimer.unref();
}

function releaseClock(): void {
  if (--clockUsers > 0 || clockTimer === null) return;
  clearInterval(clockTimer);
  clockTimer = null;
}

export class ResponseRateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly slip: number;
  private readonly v4Prefix: number;
  private readonly v6Prefix: number;
  /** Time for an empty bucket to fill up (ms): entries idle this long are as good as new. */
  private readonly refillMs: number;
  private readonly mask: number;
  private readonly clock: () => number;
  private readonly exempts: readonly IpNetwork[];

  // The table, one slot per index. fingerprint 0 marks a never-used slot.
  private readonly fingerprint: Uint32Array;
  private readonly tokens: Float64Array;
  private readonly stamp: Float64Array;
  /** Limited responses of this bucket so far, to pick every slip-th one. */
  private readonly limitedRun: Uint32Array;

  // Scratch for the query being checked (the limiter is used from one thread, synchronously).
  private readonly addr = new Uint8Array(16);
  /** The name the response is keyed by (set by classify; '' for none). */
  private keyName = '';
  /** The time of the check in progress (a field, not an argument: see check()). */
  private now = 0.5;

  private responses = 0;
  private slipped = 0;
  private dropped = 0;
  private exempted = 0;
  private evicted = 0;
  /** Limited responses per class: [class * 2] slipped, [class * 2 + 1] dropped. */
  private readonly limitedBy = new Uint32Array(2 * (ResponseClass.WILDCARD + 1));
  private ownsClock: boolean;

  /**
   * `clock` returns milliseconds from any fixed origin (tests pass a fake one); by default the
   * shared coarse clock, which close() releases.
   */
  constructor(options: RrlOptions, clock?: () => number) {
    validate(options);
    this.ownsClock = clock === undefined;
    if (this.ownsClock) acquireClock();
    this.rate = options.rate;
    this.burst = options.burst ?? options.rate;
    this.slip = options.slip;
    this.v4Prefix = options.ipv4Prefix;
    this.v6Prefix = options.ipv6Prefix;
    this.refillMs = this.rate > 0 ? (this.burst / this.rate) * 1000 : Infinity;
    this.clock = clock ?? coarseClock;
    this.exempts = options.exempt.map((c) => parseNetwork(c, { hostAllowed: true }) as IpNetwork);
    let size = 16;
    while (size < (options.tableSize ?? RRL_DEFAULT_TABLE_SIZE)) size <<= 1;
    this.mask = size - 1;
    this.fingerprint = new Uint32Array(size);
    this.tokens = new Float64Array(size);
    this.stamp = new Float64Array(size);
    this.limitedRun = new Uint32Array(size);
  }

  /** Decide the fate of one UDP response to `client`, from what the pipeline said it is. */
  check(client: ClientIp, response: RrlResponse): RrlVerdict {
    this.responses++;
    if (this.rate <= 0) return RrlVerdict.SEND;
    const family = client.into(this.addr);
    // An address we cannot read cannot be keyed; Node only hands us well-formed ones.
    if (family === 0) return RrlVerdict.SEND;
    if (response.cookieValid === true || (this.exempts.length > 0 && this.isExempt(family))) {
      this.exempted++;
      return RrlVerdict.SEND;
    }
    const cls = this.classify(response);

    // Two independent hashes of (class, network, name): one places the key, the other
    // identifies it. The mixing is written out here rather than in helpers because an int32 or a
    // double crossing a call that the JIT does not inline is boxed: an allocation per query.
    let h1 = 0x1747b28c ^ cls;
    let h2 = 0x5bd1e995 ^ (cls << 8) ^ family;
    const prefix = family === 4 ? this.v4Prefix : this.v6Prefix;
    const bytes = (prefix + 7) >> 3;
    const lastMask = (0xff << ((8 - (prefix & 7)) & 7)) & 0xff;
    const name = this.keyName === '' ? 0 : hashName(this.keyName);
    for (let i = 0; i <= bytes; i++) {
      // The address bytes of the network, then the name's hash as a last "byte".
      const b = i < bytes ? this.addr[i]! & (i === bytes - 1 ? lastMask : 0xff) : name;
      h1 = Math.imul(h1 ^ b, 0xcc9e2d51);
      h1 = (h1 << 15) | (h1 >>> 17);
      h2 = Math.imul(h2 ^ b, 0x1b873593);
      h2 = (h2 << 13) | (h2 >>> 19);
    }
    // murmur3's finaliser on both, so every input bit reaches every output bit; 30 bits each.
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h1 = Math.imul(h1, 0xc2b2ae35);
    h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 16;
    h2 = Math.imul(h2, 0x85ebca6b);
    h2 ^= h2 >>> 13;
    h2 = Math.imul(h2, 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    const key = h2 & 0x3fffffff || 1;
    const now = this.clock();
    this.now = now;
    const slot = this.slotFor(h1 & 0x3fffffff, key);

    let tokens = this.tokens[slot]! + ((now - this.stamp[slot]!) * this.rate) / 1000;
    if (tokens > this.burst) tokens = this.burst;
    this.stamp[slot] = now;
    if (tokens >= 1) {
      this.tokens[slot] = tokens - 1;
      return RrlVerdict.SEND;
    }
    this.tokens[slot] = tokens;
    const run = ++this.limitedRun[slot]!;
    if (this.slip > 0 && run % this.slip === 0) {
      this.slipped++;
      this.limitedBy[cls * 2]!++;
      return RrlVerdict.SLIP;
    }
    this.dropped++;
    this.limitedBy[cls * 2 + 1]!++;
    return RrlVerdict.DROP;
  }

  /** Stop the default clock's timer (when no other limiter needs it). */
  close(): void {
    if (!this.ownsClock) return;
    this.ownsClock = false;
    releaseClock();
  }

  stats(): RrlStats {
    let buckets = 0;
    for (let i = 0; i < this.fingerprint.length; i++) if (this.fingerprint[i] !== 0) buckets++;
    return {
      responses: this.responses,
      limited: this.slipped + this.dropped,
      slipped: this.slipped,
      dropped: this.dropped,
      exempt: this.exempted,
      evicted: this.evicted,
      buckets,
      capacity: this.fingerprint.length,
      byClass: Object.fromEntries(
        CLASS_NAMES.map((name, i) => [name, { slipped: this.limitedBy[(i + 1) * 2]!, dropped: this.limitedBy[(i + 1) * 2 + 1]! }]),
      ) as RrlStats['byClass'],
    };
  }

  /** The slot holding `key`, or a fresh one for it (an unused, refilled or least recently used slot). */
  private slotFor(home: number, key: number): number {
    const now = this.now;
    let victim = -1;
    let victimStamp = Infinity;
    let victimReusable = false;
    for (let k = 0; k < PROBES; k++) {
      const i = (home + k) & this.mask;
      const f = this.fingerprint[i]!;
      if (f === key) return i;
      if (victimReusable) continue;
      // Slots are never emptied, so nothing of this key lies past a never-used slot.
      if (f === 0) {
        victim = i;
        break;
      }
      const s = this.stamp[i]!;
      if (now - s >= this.refillMs) {
        victim = i;
        victimReusable = true;
      } else if (s < victimStamp) {
        victim = i;
        victimStamp = s;
      }
    }
    if (this.fingerprint[victim] !== 0 && !victimReusable) this.evicted++;
    this.fingerprint[victim] = key;
    this.tokens[victim] = this.burst;
    this.stamp[victim] = now;
    this.limitedRun[victim] = 0;
    return victim;
  }

  private isExempt(family: 4 | 6): boolean {
    for (let i = 0; i < this.exempts.length; i++) {
      const c = this.exempts[i]!;
      if (c.family !== family) continue;
      if (bytesInPrefix(this.addr, c.bytes, c.prefix)) return true;
    }
    return false;
  }

  /** Response class of `response`; sets `keyName` to the name to key it by ('' for none). */
  private classify(response: RrlResponse): ResponseClass {
    this.keyName = '';
    switch (response.kind) {
      case 'answer':
        if (response.wildcard !== null) {
          this.keyName = response.wildcard;
          return ResponseClass.WILDCARD;
        }
        this.keyName = response.query?.qname ?? '';
        return ResponseClass.POSITIVE;
      case 'nodata':
        this.keyName = response.zone ?? '';
        return ResponseClass.NODATA;
      case 'nxdomain':
        this.keyName = response.zone ?? '';
        return ResponseClass.NXDOMAIN;
      case 'referral':
        // The delegation point: the owner of the NS RRset in authority.
        this.keyName = response.reply?.authority[0]?.[0]?.name ?? '';
        return ResponseClass.REFERRAL;
      default:
        return ResponseClass.ERROR;
    }
  }
}

/**
 * The minimal TC=1 reply sent for a slipped response: the reply's header and question, TC set,
 * no records. Rewrites `reply` in place and returns a view of its start.
 */
export function slipReply(reply: Uint8Array): Uint8Array {
  if (reply.length < 12) return reply;
  const qd = (reply[4]! << 8) | reply[5]!;
  let end = 12;
  if (qd > 0) {
    const nameEnd = skipName(reply, 12);
    end = nameEnd < 0 || nameEnd + 4 > reply.length ? 12 : nameEnd + 4;
  }
  reply[2] = reply[2]! | 0x02;
  if (end === 12) {
    reply[4] = 0;
    reply[5] = 0;
  }
  reply.fill(0, 6, 12);
  return reply.subarray(0, end);
}

/** Offset just past the (possibly compressed) name at `at`, or -1 if it runs off the end. */
function skipName(buf: Uint8Array, at: number): number {
  while (at < buf.length) {
    const len = buf[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2 <= buf.length ? at + 2 : -1;
    at += len + 1;
  }
  return -1;
}

/** Hash of a canonical (lower-case) name; a small integer, never boxed. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}
