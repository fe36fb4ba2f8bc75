// Notifications: watches the serving state for origin, pool and load balancer transitions and
// hands them to one Delivery per receiver. The state listener only marks "changed"; the work
// happens on a later turn of the event loop, so answering a query never waits for it.
import type { Logger } from 'pino';
import type { ServingState, StateHolder } from '../config/state.js';
import { Delivery, type DeliveryStats, type Fetch } from './delivery.js';
import { diff, observe, type Observed } from './observe.js';
import type { NotificationReceiver, NotifyEvent } from './types.js';

export interface NotifierOptions {
  readonly logger: Logger;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

export class Notifier {
  readonly #logger: Logger;
  readonly #fetch: Fetch | undefined;
  readonly #now: () => number;
  readonly #deliveries = new Map<string, Delivery>();
  #observed = new Map<string, Observed>();
  #scheduled = false;
  #holder: StateHolder | null = null;
  #closed = false;

  constructor(options: NotifierOptions) {
    this.#logger = options.logger;
    this.#fetch = options.fetch;
    this.#now = options.now ?? Date.now;
  }

  /** Starts watching `holder`. */
  attach(holder: StateHolder): void {
    this.#holder = holder;
    holder.on('swap', this.#onSwap);
    this.#check();
  }

  /** A transition found elsewhere (a ramp abort) for the zone's receivers. */
  emit(event: NotifyEvent): void {
    for (const d of this.#deliveries.values()) if (d.receiver.zone === event.zone) d.offer(event);
  }

  stats(): DeliveryStats[] {
    return [...this.#deliveries.values()].map((d) => d.stats());
  }

  close(): void {
    this.#closed = true;
    this.#holder?.off('swap', this.#onSwap);
    for (const d of this.#deliveries.values()) d.close();
    this.#deliveries.clear();
  }

  readonly #onSwap = (): void => {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#check();
    });
  };

  #check(): void {
    if (this.#closed || this.#holder === null) return;
    const state = this.#holder.current;
    const zones = this.#syncReceivers(state);
    const now = observe(state, zones);
    const events = diff(this.#observed, now, this.#now());
    this.#observed = now;
    for (const e of events) {
      this.#logger.info({ kind: e.kind, zone: e.zone, subject: e.subject, from: e.oldState, to: e.newState }, 'notify: transition');
      this.emit(e);
    }
  }

  /** Receivers of the current configuration; a receiver that stays keeps its queue and counters. */
  #syncReceivers(state: ServingState): Set<string> {
    const wanted = new Map<string, NotificationReceiver>();
    for (const o of state.origins.values()) for (const r of o.lb?.notifications ?? []) wanted.set(`${r.zone}\u0000${r.name}`, r);
    for (const [key, d] of this.#deliveries) {
      if (wanted.has(key)) continue;
      d.close();
      this.#deliveries.delete(key);
    }
    for (const [key, r] of wanted) {
      const d = this.#deliveries.get(key);
      if (d === undefined) this.#deliveries.set(key, new Delivery(r, this.#logger, this.#fetch));
      else d.receiver = r;
    }
    return new Set([...wanted.values()].map((r) => r.zone));
  }
}
