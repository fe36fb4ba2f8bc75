// Per-call scratch shared by the policies: the client address parsed once, its subnet hash,
// the GeoIP lookup done at most once, and the ECS scope collected so far. One instance is
// reused for every call (steering is synchronous), so the hot path allocates nothing here.
import type { AsnDatabase, AsnLocation, ClientAddress, GeoDatabase, GeoLocation } from '../geo/types.js';
import { parseIpWords } from '../net/ip.js';
import { maskInPlace } from '../net/prefix.js';
import type { DynamicSite } from './dynamic-site.js';
import type { SteerTrace, SteerTraceStage } from './trace.js';
import { subnetHash, weightedPick } from './weighted.js';

export interface SteerContext {
  /**
   * Where the client is: the ECS subnet, or the resolver's address. The caller applies the load
   * balancer's location_strategy.prefer_ecs when building it.
   */
  readonly client: ClientAddress;
  readonly geo: GeoDatabase | null;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Non-null → steps of the decision are appended to it. */
  readonly trace: SteerTrace | null;
  /** GeoLite2-ASN database for asn_pools and `asn` rule conditions; absent or null → ASN unknown. */
  readonly asn?: AsnDatabase | null;
  /**
   * The client as a load balancer with the given prefer_ecs sees it: lets a rule variant that
   * overrides location_strategy, and the `resolver_subnet` and `ecs` conditions, see the
   * resolver's address and whether the query carried ECS. Absent → `client` is all there is.
   */
  readonly clientFor?: (preferEcs: boolean) => ClientAddress;
  /**
   * Told of every weighted random pick that drew: the cumulative weights drawn against and the
   * index drawn. Steering never reads it back; a replay uses it to remember a decision per index
   * picked rather than per draw.
   */
  readonly onPick?: (cumulative: Float64Array, count: number, index: number) => void;
}

export class SteerCall {
  ctx!: SteerContext;
  trace: SteerTrace | null = null;
  /** ECS scope the answer depends on so far (max of every contribution). */
  scope = 0;
  readonly words = new Uint32Array(4);
  private family: 0 | 4 | 6 = 0;
  private parsed = false;
  private hash = 0;
  private hashed = false;
  private location: GeoLocation | null = null;
  private located = false;
  private asnLocation: AsnLocation | null = null;
  private asnLocated = false;
  /** The query type being steered (rule conditions on qtype). */
  qtype = 0;
  /** Fleet mode, dynamic steering: the site whose RTTs chose (null: this server's own, or none). */
  site: DynamicSite | null = null;
  /** True once a decision looked at an ECS subnet, so the ECS scope is worth returning. */
  usedEcs = false;
  readonly resolverWords = new Uint32Array(4);
  private resolverFamilyValue: 0 | 4 | 6 = 0;
  private resolverParsed = false;

  reset(ctx: SteerContext): void {
    this.ctx = ctx;
    this.trace = ctx.trace;
    this.scope = 0;
    this.parsed = false;
    this.hashed = false;
    this.located = false;
    this.location = null;
    this.asnLocated = false;
    this.asnLocation = null;
    this.resolverParsed = false;
    this.usedEcs = ctx.client.fromEcs;
    this.site = null;
  }

  /**
   * Steers on from here for `client` instead (a rule variant with another prefer_ecs): the
   * lookups are redone for it, the scope collected so far stays.
   */
  switchClient(client: ClientAddress): void {
    if (client === this.ctx.client) return;
    this.ctx = { ...this.ctx, client };
    this.parsed = false;
    this.hashed = false;
    this.located = false;
    this.location = null;
    this.asnLocated = false;
    this.asnLocation = null;
    if (client.fromEcs) this.usedEcs = true;
  }

  /** The resolver's own address family, with `resolverWords` holding it; 0 if unknown. */
  resolverFamily(): 0 | 4 | 6 {
    if (!this.resolverParsed) {
      this.resolverParsed = true;
      const ctx = this.ctx;
      const resolver = ctx.client.fromEcs ? (ctx.clientFor?.(false) ?? null) : ctx.client;
      this.resolverFamilyValue = resolver === null ? 0 : parseIpWords(resolver.ip, this.resolverWords, true);
    }
    return this.resolverFamilyValue;
  }

  /** Whether the query carried a usable ECS option (source prefix above 0), whatever prefer_ecs says. */
  ecsPresent(): boolean {
    const ctx = this.ctx;
    if (ctx.client.fromEcs) return true;
    return ctx.clientFor?.(true).fromEcs ?? false;
  }

  /** ASN of the client, looked up at most once per call; null without an ASN database. */
  locateAsn(): AsnLocation | null {
    if (!this.asnLocated) {
      this.asnLocated = true;
      const db = this.ctx.asn ?? null;
      this.asnLocation = db === null ? null : db.lookup(this.ctx.client.ip);
      if (this.trace !== null) this.note('location', describeAsn(this.ctx.client, this.asnLocation));
    }
    return this.asnLocation;
  }

  /** The client's address family, with `words` holding the address masked to its source prefix; 0 if unparsable. */
  clientFamily(): 0 | 4 | 6 {
    if (!this.parsed) {
      this.parsed = true;
      this.family = parseIpWords(this.ctx.client.ip, this.words, true);
      if (this.family !== 0) maskInPlace(this.words, this.family, this.ctx.client.sourcePrefix);
    }
    return this.family;
  }

  /** Hash of the client's subnet (address masked to its source prefix): the key of stable steering. */
  clientHash(): number {
    if (!this.hashed) {
      this.hashed = true;
      const family = this.clientFamily();
      this.hash = family === 0 ? 0 : subnetHash(this.words, family, this.ctx.client.sourcePrefix);
    }
    return this.hash;
  }

  /** GeoIP location of the client, looked up at most once per call; null without a database. */
  locate(): GeoLocation | null {
    if (!this.located) {
      this.located = true;
      const geo = this.ctx.geo;
      const client = this.ctx.client;
      // The /24 cache by number first: on a hit the client's address is never needed as text.
      const hit = geo !== null && client.net24 !== undefined ? geo.cachedNet24?.(client.net24) : undefined;
      this.location = hit ?? (geo === null ? null : geo.lookup(client.ip));
      if (this.trace !== null) this.note('location', describeLocation(this.ctx.client, this.location));
    }
    return this.location;
  }

  /** weightedPick with this call's random source; the pick is told to ctx.onPick when it drew. */
  pick(cumulative: Float64Array, count: number): number {
    const i = weightedPick(cumulative, count, this.ctx.random);
    if (i >= 0) this.ctx.onPick?.(cumulative, count, i);
    return i;
  }

  widenScope(prefix: number): void {
    if (prefix > this.scope) this.scope = prefix;
  }

  note(stage: SteerTraceStage, text: string): void {
    this.trace?.steps.push({ stage, text });
  }
}

export function describeClient(client: ClientAddress): string {
  return client.fromEcs ? `ECS ${client.ip}/${client.sourcePrefix}` : `resolver ${client.ip}`;
}

function describeAsn(client: ClientAddress, loc: AsnLocation | null): string {
  const who = describeClient(client);
  if (loc === null) return `${who}: no ASN database, AS unknown`;
  if (loc.asn === null) return `${who}: not in the ASN database (network /${loc.networkPrefix})`;
  return `${who}: AS${loc.asn}${loc.organization ? ` (${loc.organization})` : ''} (ASN network /${loc.networkPrefix})`;
}

function describeLocation(client: ClientAddress, loc: GeoLocation | null): string {
  const who = describeClient(client);
  if (loc === null) return `${who}: no GeoIP database, location unknown`;
  const parts = [
    loc.continent && `continent ${loc.continent}`,
    loc.country && `country ${loc.country}`,
    loc.subdivision && `subdivision ${loc.subdivision}`,
    loc.latitude !== null && loc.longitude !== null && `at ${loc.latitude}, ${loc.longitude}`,
  ].filter(Boolean);
  return `${who}: ${parts.length > 0 ? parts.join(', ') : 'not in the GeoIP database'} (GeoIP network /${loc.networkPrefix})`;
}
