// Adds up what the what-if fast path decided before handing it to the WhatifTally: lines with
// the same key (query, resolver, transport: one client view) and the same two decisions are one
// group with a query count and a line count, and the groups go to the tally in the order each
// was first seen. The tally's counts are sums, and everything it keeps by first arrival (a
// network's first change, which resolvers and networks fit under the caps) follows the order
// of first lines, so the report is the same as adding every line: exactly, while the sums are
// integers below 2^53 (MAX_GROUPED_SAMPLE keeps them there; WhatifRun stops grouping for the
// rest of a log once a line's sample is not such an integer).
import type { Decision } from './replayer.js';
import type { ClientView, WhatifTally } from './whatif-report.js';

/** Largest sample a grouped line may have: 2^20 per line keeps sums exact for 2^33 lines. */
export const MAX_GROUPED_SAMPLE = 2 ** 20;
/** Groups held before they go to the tally (bounds the memory; any flush gives the same report). */
const MAX_GROUPS = 20_000;
/** Groups per key: more (decisions differing query by query) and the groups go to the tally first. */
const MAX_GROUPS_PER_KEY = 32;
/** Distinct decisions made canonical (see canonical()). */
const MAX_CANONICAL = 10_000;

export interface Group {
  readonly view: ClientView;
  readonly before: Decision;
  readonly after: Decision;
  queries: number;
  lines: number;
}

/** The groups of one key; `generation` tells them from those already handed over. */
export class KeyGroups {
  groups: Group[] = [];
  generation = -1;
}

export class PendingTally {
  #groups: Group[] = [];
  #generation = 0;
  readonly #canonical = new Map<string, Decision>();

  constructor(private readonly tally: WhatifTally) {}

  add(key: KeyGroups, view: ClientView, before: Decision, after: Decision, queries: number): void {
    if (key.generation !== this.#generation) {
      key.groups = [];
      key.generation = this.#generation;
    }
    const groups = key.groups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.before === before && g.after === after) {
        g.queries += queries;
        g.lines++;
        return;
      }
    }
    if (groups.length >= MAX_GROUPS_PER_KEY || this.#groups.length >= MAX_GROUPS) {
      this.flush();
      key.groups = [];
      key.generation = this.#generation;
    }
    const g: Group = { view, before, after, queries, lines: 1 };
    key.groups.push(g);
    this.#groups.push(g);
  }

  /** Hands every group to the tally, in the order they were first seen. */
  flush(): void {
    const groups = this.#groups;
    if (groups.length === 0) return;
    for (const g of groups) this.tally.add(g.view, g.before, g.after, g.queries, g.lines);
    this.#groups = [];
    this.#generation++;
  }

  /**
   * One object per distinct decision, for decisions made afresh for every query (a memoised
   * one is already the same object each time): equal decisions then group together.
   */
  canonical(d: Decision): Decision {
    const key = `${d.outcome}\u0000${d.rcode}\u0000${orNull(d.zone)}\u0000${orNull(d.lb)}\u0000${orNull(d.pool)}\u0000${d.origins}\u0000${d.scope}\u0000${d.answered}`;
    const known = this.#canonical.get(key);
    if (known !== undefined) return known;
    if (this.#canonical.size >= MAX_CANONICAL) this.#canonical.clear();
    this.#canonical.set(key, d);
    return d;
  }
}

/** Text that no name equals for null (a name has no control characters). */
function orNull(s: string | null): string {
  return s ?? '\u0001';
}
