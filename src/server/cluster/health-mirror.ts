// Health as it travels from a cluster's primary (which probes) to its workers (which answer):
// plain entries over IPC, rebuilt into an immutable HealthSnapshot on arrival.
//
// The primary sends what changed, not the table: the snapshots of one event-loop turn become one
// message per worker holding only the targets that changed since the previous message (found
// with changedSince, O(changes)), on top of that message's generation (`base`). A worker gets the
// whole table once (base null) when it says hello, after a reload changed the target set, or when
// it asks again because a delta did not fit what it holds. With 10k targets, the first probe
// round is then a few thousand small messages instead of 10k copies of the whole table.
//
// What the primary sends is its *served* health: its own table normally, the fleet verdicts on a
// fleet node (any HealthSource), so that every worker answers exactly like the primary would.
import { TableSnapshot } from '../../health/snapshot.js';
import type { HealthTable } from '../../health/table.js';
import type { HealthSnapshot, SiteRtt, TargetHealth } from '../../health/types.js';

/**
 * [key, up, known, since, reason, rttMs?, rttSamples?, sites?]: the RTT only for targets that
 * track it (rttSamples null when only the sites are there), the sites' RTTs only in a fleet.
 */
export type HealthEntry = readonly [string, boolean, boolean, number, string, (number | null)?, (number | null)?, (readonly SiteRtt[])?];

/** Whole table (base null) or the entries changed since generation `base`. */
export interface HealthMessage {
  readonly t: 'health';
  readonly generation: number;
  readonly base: number | null;
  readonly entries: readonly HealthEntry[];
}

/** Served health that changes over time: a health table, or a fleet node's verdicts. */
export interface HealthSource {
  snapshot(): HealthSnapshot;
  /** Every entry of the latest snapshot (a worker's whole table). */
  entries(): HealthEntry[];
  /** Called after each new snapshot. */
  onSnapshot(listener: () => void): void;
}

/** A health table as a source: what a cluster primary outside a fleet serves. */
export function tableSource(table: HealthTable): HealthSource {
  return {
    snapshot: () => table.snapshot(),
    entries: () => healthEntries(table),
    onSnapshot: (listener) => {
      table.on('snapshot', listener);
    },
  };
}

/** The entries `snapshot` holds for `keys`. */
export function snapshotEntries(snapshot: HealthSnapshot, keys: Iterable<string>): HealthEntry[] {
  const out: HealthEntry[] = [];
  for (const key of keys) {
    const h = snapshot.get(key);
    if (h !== undefined) out.push(entryOf(key, h));
  }
  return out;
}

export function healthEntries(table: HealthTable): HealthEntry[] {
  const snapshot = table.snapshot();
  return table.stats().map((s) => {
    const h = snapshot.get(s.key);
    return h === undefined ? ([s.key, s.up, s.known, s.since, s.reason] as const) : entryOf(s.key, h);
  });
}

const entryOf = (key: string, h: TargetHealth): HealthEntry => {
  if (h.sites !== undefined) return [key, h.up, h.known, h.since, h.reason, h.rttMs ?? null, h.rttSamples ?? null, h.sites];
  return h.rttSamples === undefined
    ? [key, h.up, h.known, h.since, h.reason]
    : [key, h.up, h.known, h.since, h.reason, h.rttMs ?? null, h.rttSamples];
};
const healthOf = ([, up, known, since, reason, rttMs, rttSamples, sites]: HealthEntry): TargetHealth =>
  Object.freeze({
    up,
    known,
    since,
    reason,
    lastResult: null,
    // IPC carries JSON: an absent RTT arrives as null.
    ...(rttSamples === undefined || rttSamples === null ? {} : { rttMs: rttMs ?? null, rttSamples }),
    ...(sites === undefined || sites === null ? {} : { sites }),
  });

export function mirroredSnapshot(generation: number, entries: readonly HealthEntry[]): TableSnapshot {
  return TableSnapshot.of(
    generation,
    entries.map((e) => [e[0], healthOf(e)] as const),
  );
}

/**
 * The worker side: `mirror` with `m` applied, or null when `m` is a delta on top of another
 * generation than `mirror`'s (then the worker asks for the whole table again).
 */
export function applyHealthMessage(mirror: TableSnapshot | null, m: HealthMessage): TableSnapshot | null {
  if (m.base === null) return mirroredSnapshot(m.generation, m.entries);
  if (mirror === null || mirror.generation !== m.base) return null;
  return mirror.with(new Map(m.entries.map((e) => [e[0], healthOf(e)] as const)), m.generation);
}

/**
 * The primary side: coalesces the table's snapshots of one turn and sends each worker that
 * asked (hello) the changes since the previous message.
 */
export class HealthBroadcaster {
  readonly #source: HealthSource;
  readonly #send: (m: HealthMessage) => void;
  /** The snapshot every subscribed worker holds (the last one sent). */
  #sent: HealthSnapshot;
  #scheduled = false;

  /** `send` delivers a message to every subscribed worker. */
  constructor(source: HealthSource, send: (m: HealthMessage) => void) {
    this.#source = source;
    this.#send = send;
    this.#sent = source.snapshot();
    source.onSnapshot(() => {
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /** Sends the changes not sent yet, if any (normally at the end of the turn). */
  flush(): void {
    this.#scheduled = false;
    const now = this.#source.snapshot();
    if (now === this.#sent) return;
    const message = this.#messageSince(this.#sent, now);
    this.#sent = now;
    this.#send(message);
  }

  /**
   * The whole table for one worker (a newcomer, or one that lost track). Everyone else is brought
   * up to date first, so the next delta's base is what this worker gets now.
   */
  full(): HealthMessage {
    this.flush();
    return this.#full(this.#sent);
  }

  #messageSince(sent: HealthSnapshot, now: HealthSnapshot): HealthMessage {
    const changed = now.changedSince?.(sent) ?? null;
    if (changed === null) return this.#full(now);
    const entries: HealthEntry[] = [];
    for (const key of changed) {
      const h = now.get(key);
      if (h !== undefined) entries.push(entryOf(key, h));
    }
    return { t: 'health', generation: now.generation, base: sent.generation, entries };
  }

  #full(snapshot: HealthSnapshot): HealthMessage {
    // The source's entries are what its latest snapshot holds (it publishes on every change).
    return { t: 'health', generation: snapshot.generation, base: null, entries: this.#source.entries() };
  }
}
