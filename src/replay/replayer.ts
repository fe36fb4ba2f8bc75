// Replays logged queries through a configuration with the server's own code: the query
// pipeline's resolve step (generic checks → zone match → lookup, which steers through the same
// DynamicSource and steer() → assemble), against a ServingState built the way the server builds
// its own. Nothing is re-implemented here, so a feature added to the decision path replays
// without change. Random steering draws from a seeded generator that the caller reseeds per
// query, so two configurations see the same draws for the same logged query.
import { TextClientIp } from '../net/client-ip.js';
import { StateHolder, type OriginConfig } from '../config/state.js';
import type { GeoDatabase } from '../geo/types.js';
import type { HealthSnapshot } from '../health/types.js';
import type { PreparedLb } from '../lb/prepare.js';
import type { QueryAnswer } from '../query/answer.js';
import { parseClient } from '../query/explain.js';
import { QueryPipeline } from '../query/pipeline.js';
import { silentLogger } from '../server/logger.js';
import { typeFromString } from '../wire/format.js';
import { RRClass, type ClientSubnet, type Query, type RR } from '../wire/types.js';
import { parseNameText } from '../zone/name.js';
import { weightedPick } from '../lb/weighted.js';
import type { QueryRecord } from './record.js';

/** What one configuration decided for one query, reduced to what a comparison needs. */
export interface Decision {
  /**
   * The answer kind (answer, nodata, nxdomain, referral, refused, servfail, ...), or "fallback"
   * when a load balancer answered from its fallback pool with health ignored (fail open).
   */
  readonly outcome: string;
  readonly rcode: number;
  /** Zone that answered; null when none did. */
  readonly zone: string | null;
  /** Load balancer owner that steered; null for static data. */
  readonly lb: string | null;
  readonly pool: string | null;
  /** Origin names joined with "," (one string keeps comparisons and map keys cheap). */
  readonly origins: string;
  readonly scope: number;
  /** The reply had records in its answer section. */
  readonly answered: boolean;
}

/** A small, fast PRNG (mulberry32): the same seed gives the same draws on both sides. */
export class SeededRandom {
  #state = 1;
  /** Draws since the last seed: a decision that drew none did not depend on the seed. */
  draws = 0;
  seed(n: number): void {
    this.#state = n >>> 0 || 1;
    this.draws = 0;
  }
  readonly next = (): number => {
    this.draws++;
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ServingState of `origins`, as the server would build it for `health` and `geo`. */
export function servingStateOf(origins: ReadonlyMap<string, OriginConfig>, health: HealthSnapshot, geo: GeoDatabase | null): StateHolder {
  const holder = new StateHolder(health, geo);
  holder.setOrigins(origins);
  return holder;
}

/** Memoised decisions per replayer; past it the memo starts over (bounded memory). */
const MEMO_LIMIT = 200_000;

/**
 * A decision that drew random numbers only through weighted picks (steering's `random` pool
 * and origin draws, `dynamic` shares): what it came to for each index picked at this table, the
 * next pick's node or the decision. The draws themselves differ per seed; the indexes they land
 * on repeat.
 */
export class PickNode {
  readonly children: (PickNode | Decision | undefined)[] = [];
  constructor(
    readonly cumulative: Float64Array,
    readonly count: number,
  ) {}
}

/** A (query, transport, resolver) whose decision drew other than by a weighted pick: decided per query. */
const UNMEMOISABLE = Symbol('unmemoisable');

/**
 * What a replayer remembers for one (query, transport, resolver). With the configuration,
 * health and GeoIP data of a replayer fixed, a decision is a pure function of these and of the
 * random draws; a weighted pick reads its draw only through the index it lands on, so a
 * decision that drew only through picks is a pure function of the indexes.
 */
export class DecisionSlot {
  memo: Decision | PickNode | typeof UNMEMOISABLE | undefined = undefined;

  /** True once a decision drew other than through weighted picks: every query is decided afresh. */
  get decidedPerQuery(): boolean {
    return this.memo === UNMEMOISABLE;
  }
}

/** The weighted picks one decision made (told by steering through onPick). */
class PickLog {
  count = 0;
  readonly tables: Float64Array[] = [];
  readonly counts: number[] = [];
  readonly indexes: number[] = [];
  readonly note = (cumulative: Float64Array, count: number, index: number): void => {
    const k = this.count++;
    this.tables[k] = cumulative;
    this.counts[k] = count;
    this.indexes[k] = index;
  };
}

export class Replayer extends QueryPipeline {
  readonly #random: SeededRandom;
  readonly #picks: PickLog;
  /**
   * Slots by query, then transport and resolver. Query objects are shared by QueryBuilder, so
   * the query (name, type, ECS subnet) is keyed by identity.
   */
  readonly #memo = new Map<Query, Map<string, DecisionSlot>>();
  #memoSize = 0;
  /** The logged resolver address of the query being replayed (text, as the log has it). */
  readonly #client = new TextClientIp();

  constructor(state: StateHolder, random = new SeededRandom()) {
    const picks = new PickLog();
    super({ state, logger: silentLogger(), random: random.next, onPick: picks.note });
    this.#random = random;
    this.#picks = picks;
  }

  get holder(): StateHolder {
    return this.state;
  }

  /** Decides `query` as the server would; `seed` fixes the random draws. */
  replay(query: Query, clientIp: string, transport: 'udp' | 'tcp', seed: number): Decision {
    let byClient = this.#memo.get(query);
    const key = transport === 'udp' ? clientIp : `${clientIp} tcp`;
    let slot = byClient?.get(key);
    if (slot === undefined) {
      if (this.#memoSize >= MEMO_LIMIT) {
        this.#memo.clear();
        this.#memoSize = 0;
        byClient = undefined;
      }
      if (byClient === undefined) {
        byClient = new Map();
        this.#memo.set(query, byClient);
      }
      slot = new DecisionSlot();
      byClient.set(key, slot);
      this.#memoSize++;
    }
    return this.decide(slot, query, clientIp, transport, seed);
  }

  /**
   * Decides `query` for the caller's slot of (query, transport, client): from what the slot
   * remembers when it can (re-drawing the seed's picks), else by running the pipeline.
   */
  decide(slot: DecisionSlot, query: Query, clientIp: string, transport: 'udp' | 'tcp', seed: number): Decision {
    const memo = slot.memo;
    if (memo instanceof PickNode) {
      const random = this.#random;
      random.seed(seed);
      let node = memo;
      for (;;) {
        const next = node.children[weightedPick(node.cumulative, node.count, random.next)];
        if (next === undefined) break;
        if (!(next instanceof PickNode)) return next;
        node = next;
      }
    } else if (memo !== undefined && memo !== UNMEMOISABLE) {
      return memo;
    }
    const decision = this.#decide(query, clientIp, transport, seed);
    if (memo !== UNMEMOISABLE) slot.memo = this.#remember(memo, decision);
    return decision;
  }

  /** The slot's memo with `decision` (just decided) in it, or UNMEMOISABLE when it cannot hold it. */
  #remember(memo: Decision | PickNode | undefined, decision: Decision): Decision | PickNode | typeof UNMEMOISABLE {
    const draws = this.#random.draws;
    const picks = this.#picks;
    if (draws === 0) return memo === undefined ? decision : UNMEMOISABLE;
    // Every draw must be one pick's: anything else reads the draw's value, not an index.
    if (draws !== picks.count || (memo !== undefined && !(memo instanceof PickNode))) return UNMEMOISABLE;
    const root = memo ?? new PickNode(picks.tables[0]!, picks.counts[0]!);
    let node = root;
    for (let k = 0; k < picks.count; k++) {
      if (node.cumulative !== picks.tables[k] || node.count !== picks.counts[k]) return UNMEMOISABLE;
      const index = picks.indexes[k]!;
      const next = node.children[index];
      if (k === picks.count - 1) {
        if (next !== undefined) return UNMEMOISABLE;
        node.children[index] = decision;
      } else if (next === undefined) {
        const child = new PickNode(picks.tables[k + 1]!, picks.counts[k + 1]!);
        node.children[index] = child;
        node = child;
      } else if (next instanceof PickNode) {
        node = next;
      } else {
        return UNMEMOISABLE;
      }
    }
    return root;
  }

  #decide(query: Query, clientIp: string, transport: 'udp' | 'tcp', seed: number): Decision {
    const out = this.out;
    out.reset(transport);
    out.query = query;
    out.qtype = query.qtype;
    this.#random.seed(seed);
    this.#picks.count = 0;
    this.resolve(query, this.#client.set(clientIp), out);
    return decisionOf(out);
  }
}

function decisionOf(out: QueryAnswer): Decision {
  const reply = out.reply!;
  const steered = out.lb !== null && out.prepared !== null;
  const first = out.lbAnswer?.[0];
  const fellBack = steered && first !== undefined && isFailOpen(out.prepared!, first);
  return {
    outcome: fellBack ? 'fallback' : out.kind,
    rcode: reply.rcode,
    zone: out.zone,
    lb: out.lb,
    pool: steered ? out.pool : null,
    origins: steered ? out.origins.join(',') : '',
    scope: out.ecsScope,
    answered: reply.answer.length > 0,
  };
}

/** Records each prepared load balancer answers only as the fail-open fallback. */
const failOpenRecords = new WeakMap<PreparedLb, Set<RR>>();

function isFailOpen(lb: PreparedLb, rr: RR): boolean {
  let set = failOpenRecords.get(lb);
  if (set === undefined) {
    set = new Set();
    if (lb.fallback >= 0) {
      const s = lb.pools[lb.fallback]!.failOpen;
      for (const c of [s.a, s.aaaa, s.cname]) for (const r of c.rrsets) for (const x of r) set.add(x);
      for (const r of [s.allA, s.allAAAA, s.records]) if (r !== null) for (const x of r) set.add(x);
    }
    failOpenRecords.set(lb, set);
  }
  return set.has(rr);
}

/** Turns records into the Query the pipeline decodes from the wire, caching the parsed parts. */
export class QueryBuilder {
  readonly #names = new Map<string, string | null>();
  readonly #subnets = new Map<string, ClientSubnet | null>();
  /**
   * Whole queries by name, type and subnet (nested maps: no key string built per line): a log
   * repeats them, and a Query is never changed.
   */
  readonly #queries = new Map<string, Map<string, Map<string, Query | string>>>();
  #count = 0;
  static readonly #LIMIT = 100_000;

  /** The query of `record`, or a problem (a name or type this server could not have received). */
  build(record: QueryRecord): Query | string {
    let byType = this.#queries.get(record.qname);
    let bySubnet = byType?.get(record.qtype);
    const subnet = record.ecs ?? '';
    let query = bySubnet?.get(subnet);
    if (query === undefined) {
      query = this.#build(record);
      if (this.#count >= QueryBuilder.#LIMIT) {
        this.#queries.clear();
        this.#count = 0;
        byType = undefined;
        bySubnet = undefined;
      }
      if (byType === undefined) {
        byType = new Map();
        this.#queries.set(record.qname, byType);
      }
      if (bySubnet === undefined) {
        bySubnet = new Map();
        byType.set(record.qtype, bySubnet);
      }
      bySubnet.set(subnet, query);
      this.#count++;
    }
    return query;
  }

  #build(record: QueryRecord): Query | string {
    const qname = this.#name(record.qname);
    if (qname === null) return `bad qname "${record.qname.slice(0, 80)}"`;
    const qtype = typeFromString(record.qtype);
    if (qtype === undefined) return `unknown qtype "${record.qtype.slice(0, 20)}"`;
    let ecs: ClientSubnet | null = null;
    if (record.ecs !== null) {
      ecs = this.#subnet(record.ecs);
      if (ecs === null) return `bad ecs "${record.ecs.slice(0, 60)}"`;
    }
    return Object.freeze({
      id: 0,
      opcode: 0,
      rd: false,
      cd: false,
      qname,
      qnameWire: EMPTY_WIRE,
      qtype,
      qclass: RRClass.IN,
      edns: ecs === null ? null : { version: 0, udpSize: 1232, dnssecOk: false, ecs },
      size: 0,
    });
  }

  #name(text: string): string | null {
    let name = this.#names.get(text);
    if (name === undefined) {
      const parsed = parseNameText(text === '' ? '.' : `${text}.`, '');
      name = parsed.ok ? parsed.name : null;
      if (this.#names.size >= QueryBuilder.#LIMIT) this.#names.clear();
      this.#names.set(text, name);
    }
    return name;
  }

  #subnet(text: string): ClientSubnet | null {
    let subnet = this.#subnets.get(text);
    if (subnet === undefined) {
      try {
        subnet = parseClient(text).ecs;
      } catch {
        subnet = null;
      }
      if (this.#subnets.size >= QueryBuilder.#LIMIT) this.#subnets.clear();
      this.#subnets.set(text, subnet);
    }
    return subnet;
  }
}

const EMPTY_WIRE = new Uint8Array(0);

/** The resolver address of a record (the network address when the log truncates). */
export function resolverIp(record: QueryRecord): string {
  const slash = record.resolver.indexOf('/');
  return slash < 0 ? record.resolver : record.resolver.slice(0, slash);
}
