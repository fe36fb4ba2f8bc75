// Tallies the decisions of two configurations for the same logged queries and turns them into
// the whatif report: per load balancer the pool and origin shares before → after (overall, by
// continent, by country, by resolver), the client networks whose answer changes, answers that
// are lost or fall back, and ECS scope changes. Memory grows with the number of distinct keys
// (pools, countries, resolvers, changed networks), never with the number of lines; resolvers
// and networks are capped (the overflow is counted and said).
import type { Decision } from './replayer.js';

/** Where a query came from, for the breakdowns. */
export interface ClientView {
  /** The ECS subnet, else the resolver's /24 or /56. */
  readonly network: string;
  readonly resolver: string;
  readonly continent: string;
  readonly country: string;
}

/** Distinct resolvers and changed networks tracked; beyond, counted as "(other)". */
export const MAX_TRACKED = 200_000;

type Counts = Map<string, number>;

function bump(m: Counts, key: string, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

interface Split {
  queries: number;
  readonly before: Counts;
  readonly after: Counts;
}

function split(): Split {
  return { queries: 0, before: new Map(), after: new Map() };
}

class LbTally {
  queries = 0;
  moved = 0;
  readonly pools = split();
  readonly origins = split();
  readonly continents = new Map<string, Split>();
  readonly countries = new Map<string, Split>();
  readonly resolvers = new Map<string, Split>();
  readonly scopes: Counts = new Map();

  constructor(readonly lb: string) {}
}

/** "eu-west", "eu-west (fallback)", "(nodata)", "(servfail)". */
export function poolLabel(d: Decision): string {
  if (d.pool !== null) return d.outcome === 'fallback' ? `${d.pool} (fallback)` : d.pool;
  return `(${d.outcome})`;
}

function originLabel(d: Decision): string {
  return d.pool !== null ? `${poolLabel(d)}/${d.origins}` : poolLabel(d);
}

function add(map: Map<string, Split>, key: string, before: string, after: string, n: number, cap: boolean): void {
  let s = map.get(key);
  if (s === undefined) {
    if (cap && map.size >= MAX_TRACKED) key = '(other)';
    s = map.get(key);
    if (s === undefined) {
      s = split();
      map.set(key, s);
    }
  }
  s.queries += n;
  bump(s.before, before, n);
  bump(s.after, after, n);
}

export interface Share {
  readonly key: string;
  readonly before: number;
  readonly after: number;
  /** Percent of the queries. */
  readonly beforeShare: number;
  readonly afterShare: number;
}

export interface Breakdown {
  readonly key: string;
  readonly queries: number;
  /** The group's pool counts differ before → after. */
  readonly changed: boolean;
  readonly pools: readonly Share[];
}

export interface LbReport {
  /** Owner name of the load balancer. */
  readonly lb: string;
  readonly queries: number;
  /** Queries whose pool or origins differ. */
  readonly moved: number;
  /** moved as a percentage of queries. */
  readonly shift: number;
  readonly pools: readonly Share[];
  readonly origins: readonly Share[];
  readonly continents: readonly Breakdown[];
  readonly countries: readonly Breakdown[];
  /** Busiest resolvers first. */
  readonly resolvers: readonly Breakdown[];
  readonly scopeChanges: readonly { readonly from: number; readonly to: number; readonly queries: number }[];
}

export interface ChangedNetwork {
  readonly network: string;
  readonly country: string;
  readonly queries: number;
  readonly lb: string;
  readonly before: string;
  readonly after: string;
}

export interface WhatifTotals {
  readonly queries: number;
  readonly changed: number;
  /** Had answer records before, none after. */
  readonly lostAnswers: number;
  readonly newFallback: number;
  readonly scopeWidened: number;
  readonly scopeNarrowed: number;
}

export interface WhatifData {
  readonly totals: WhatifTotals;
  /** Queries whose outcome class changed, e.g. "answer → nodata". */
  readonly outcomeChanges: readonly { readonly from: string; readonly to: string; readonly queries: number }[];
  readonly loadBalancers: readonly LbReport[];
  /** Every changed client network, most traffic first. */
  readonly networks: readonly ChangedNetwork[];
  /** Distinct networks past the tracking cap (their queries are in "(other)"). */
  readonly networksUntracked: number;
}

export class WhatifTally {
  readonly #lbs = new Map<string, LbTally>();
  readonly #outcomes: Counts = new Map();
  readonly #networks = new Map<string, { country: string; lb: string; before: string; after: string; queries: number }>();
  #untracked = 0;
  #queries = 0;
  #changed = 0;
  #lost = 0;
  #fallback = 0;
  #widened = 0;
  #narrowed = 0;

  /** `n` queries of `lines` log lines (the lines count the networks past the tracking cap). */
  add(client: ClientView, before: Decision, after: Decision, n: number, lines = 1): void {
    this.#queries += n;
    const differs =
      before.outcome !== after.outcome || before.rcode !== after.rcode || before.pool !== after.pool || before.origins !== after.origins;
    if (before.outcome !== after.outcome) bump(this.#outcomes, `${before.outcome}\u0000${after.outcome}`, n);
    if (before.answered && !after.answered) this.#lost += n;
    if (after.outcome === 'fallback' && before.outcome !== 'fallback') this.#fallback += n;
    if (after.scope > before.scope && before.answered) this.#narrowed += n;
    else if (after.scope < before.scope && after.answered) this.#widened += n;

    const lbName = before.lb ?? after.lb;
    if (lbName !== null) this.#tallyLb(lbName, client, before, after, n);
    if (differs) {
      this.#changed += n;
      const key = client.network;
      const known = this.#networks.get(key);
      if (known !== undefined) known.queries += n;
      else if (this.#networks.size < MAX_TRACKED)
        this.#networks.set(key, {
          country: client.country,
          lb: lbName ?? '',
          before: originLabel(before),
          after: originLabel(after),
          queries: n,
        });
      else this.#untracked += lines;
    }
  }

  #tallyLb(lbName: string, client: ClientView, before: Decision, after: Decision, n: number): void {
    let t = this.#lbs.get(lbName);
    if (t === undefined) {
      t = new LbTally(lbName);
      this.#lbs.set(lbName, t);
    }
    t.queries += n;
    const bp = poolLabel(before);
    const ap = poolLabel(after);
    if (bp !== ap || before.origins !== after.origins) t.moved += n;
    t.pools.queries += n;
    bump(t.pools.before, bp, n);
    bump(t.pools.after, ap, n);
    t.origins.queries += n;
    bump(t.origins.before, originLabel(before), n);
    bump(t.origins.after, originLabel(after), n);
    add(t.continents, client.continent, bp, ap, n, false);
    add(t.countries, client.country, bp, ap, n, false);
    add(t.resolvers, client.resolver, bp, ap, n, true);
    if (before.scope !== after.scope) bump(t.scopes, `${before.scope}>${after.scope}`, n);
  }

  result(top = Number.POSITIVE_INFINITY): WhatifData {
    const loadBalancers = [...this.#lbs.values()]
      .sort((a, b) => b.queries - a.queries || (a.lb < b.lb ? -1 : 1))
      .map((t): LbReport => {
        const breakdowns = (m: Map<string, Split>, limit: number): Breakdown[] =>
          [...m]
            .sort((a, b) => b[1].queries - a[1].queries || (a[0] < b[0] ? -1 : 1))
            .slice(0, limit)
            .map(([key, s]) => ({ key, queries: s.queries, changed: !sameCounts(s.before, s.after), pools: shares(s) }));
        return {
          lb: t.lb,
          queries: t.queries,
          moved: t.moved,
          shift: pct(t.moved, t.queries),
          pools: shares(t.pools),
          origins: shares(t.origins),
          continents: breakdowns(t.continents, Number.POSITIVE_INFINITY),
          countries: breakdowns(t.countries, Number.POSITIVE_INFINITY),
          resolvers: breakdowns(t.resolvers, top),
          scopeChanges: [...t.scopes]
            .map(([k, q]) => {
              const [from, to] = k.split('>').map(Number);
              return { from: from!, to: to!, queries: q };
            })
            .sort((a, b) => b.queries - a.queries),
        };
      });
    return {
      totals: {
        queries: this.#queries,
        changed: this.#changed,
        lostAnswers: this.#lost,
        newFallback: this.#fallback,
        scopeWidened: this.#widened,
        scopeNarrowed: this.#narrowed,
      },
      outcomeChanges: [...this.#outcomes]
        .map(([k, q]) => {
          const [from, to] = k.split('\u0000');
          return { from: from!, to: to!, queries: q };
        })
        .sort((a, b) => b.queries - a.queries),
      loadBalancers,
      networks: [...this.#networks]
        .map(([network, v]) => ({ network, ...v }))
        .sort((a, b) => b.queries - a.queries || (a.network < b.network ? -1 : 1)),
      networksUntracked: this.#untracked,
    };
  }
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

function shares(s: Split): Share[] {
  const keys = new Set([...s.before.keys(), ...s.after.keys()]);
  return [...keys]
    .map((key) => {
      const before = s.before.get(key) ?? 0;
      const after = s.after.get(key) ?? 0;
      return { key, before, after, beforeShare: pct(before, s.queries), afterShare: pct(after, s.queries) };
    })
    .sort((a, b) => b.before + b.after - (a.before + a.after) || (a.key < b.key ? -1 : 1));
}

function sameCounts(a: Counts, b: Counts): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
