// Delivery to one webhook receiver: flap coalescing, a bounded queue, one request in flight,
// retries with doubling backoff, HMAC signatures. Everything runs on timers and promises off
// the query and probe paths; a receiver that hangs costs one pending request, bounded by its
// timeout, and a receiver that is down costs a queue of at most MAX_QUEUE messages.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { formatBody } from './format.js';
import type { Message, NotificationReceiver, NotifyEvent } from './types.js';

/** Messages waiting per receiver; beyond this the oldest is dropped (and counted). */
export const MAX_QUEUE = 1000;
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 60_000;

export const SIGNATURE_HEADER = 'x-steerdns-signature';

export interface DeliveryStats {
  readonly zone: string;
  readonly receiver: string;
  /** Scheme, host and port only: webhook paths often hold a secret (Slack's do). */
  readonly endpoint: string;
  readonly delivered: number;
  readonly failed: number;
  readonly retried: number;
  readonly dropped: number;
  readonly coalesced: number;
  readonly pending: number;
  readonly lastError: string | null;
  readonly lastDeliveredAt: number | null;
}

interface Window {
  lastSentState: string;
  pending: NotifyEvent | null;
  merged: number;
  timer: NodeJS.Timeout;
}

export type Fetch = typeof fetch;

export class Delivery {
  receiver: NotificationReceiver;
  readonly #logger: Logger;
  readonly #fetch: Fetch;
  readonly #windows = new Map<string, Window>();
  readonly #queue: Message[] = [];
  #inFlight = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Aborts a request in flight at close(), so a hanging receiver holds nothing after shutdown. */
  readonly #abort = new AbortController();
  #stats = { delivered: 0, failed: 0, retried: 0, dropped: 0, coalesced: 0 };
  #lastError: string | null = null;
  #lastDeliveredAt: number | null = null;

  constructor(receiver: NotificationReceiver, logger: Logger, fetchImpl: Fetch = fetch) {
    this.receiver = receiver;
    this.#logger = logger;
    this.#fetch = fetchImpl;
  }

  /**
   * Takes one transition. The first of a subject goes out at once and opens a coalescing
   * window; transitions inside the window are merged, and at its end one message says where
   * the subject ended up (if that differs from what was last sent).
   */
  offer(event: NotifyEvent): void {
    if (this.#closed || !this.receiver.events.includes(event.kind)) return;
    const key = `${event.kind}\u0000${event.zone}\u0000${event.subject}`;
    const open = this.#windows.get(key);
    if (open !== undefined) {
      open.merged++;
      this.#stats.coalesced++;
      open.pending = { ...event, oldState: open.lastSentState };
      return;
    }
    this.#enqueue({ event, coalesced: 0 });
    this.#openWindow(key, event.newState);
  }

  stats(): DeliveryStats {
    let endpoint = this.receiver.url;
    try {
      endpoint = new URL(this.receiver.url).origin;
    } catch {
      // the schema only lets URLs through
    }
    return {
      zone: this.receiver.zone,
      receiver: this.receiver.name,
      endpoint,
      ...this.#stats,
      pending: this.#queue.length + this.#windows.size,
      lastError: this.#lastError,
      lastDeliveredAt: this.#lastDeliveredAt,
    };
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
    for (const w of this.#windows.values()) clearTimeout(w.timer);
    this.#windows.clear();
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#queue.length = 0;
  }

  #openWindow(key: string, state: string): void {
    if (this.receiver.coalesceMs <= 0) return;
    const timer = setTimeout(() => this.#closeWindow(key), this.receiver.coalesceMs);
    timer.unref();
    this.#windows.set(key, { lastSentState: state, pending: null, merged: 0, timer });
  }

  #closeWindow(key: string): void {
    const w = this.#windows.get(key);
    this.#windows.delete(key);
    if (w === undefined || w.pending === null || this.#closed) return;
    if (w.pending.newState === w.lastSentState) return; // flapped back: nothing new to say
    this.#enqueue({ event: w.pending, coalesced: w.merged });
    this.#openWindow(key, w.pending.newState);
  }

  #enqueue(message: Message): void {
    if (this.#queue.length >= MAX_QUEUE) {
      this.#queue.shift();
      this.#stats.dropped++;
    }
    this.#queue.push(message);
    this.#pump(0);
  }

  #pump(attempt: number): void {
    if (this.#inFlight || this.#closed || this.#retryTimer !== null) return;
    const message = this.#queue[0];
    if (message === undefined) return;
    this.#inFlight = true;
    this.#send(message).then(
      () => {
        this.#inFlight = false;
        this.#queue.shift();
        this.#stats.delivered++;
        this.#lastDeliveredAt = Date.now();
        this.#pump(0);
      },
      (err: unknown) => {
        this.#inFlight = false;
        this.#lastError = errorText(err);
        if (this.#closed) return;
        if (attempt >= this.receiver.retries) {
          this.#queue.shift();
          this.#stats.failed++;
          this.#logger.warn(
            { receiver: this.receiver.name, zone: this.receiver.zone, error: this.#lastError },
            `notification to ${this.receiver.name} failed after ${attempt + 1} attempt(s)`,
          );
          this.#pump(0);
          return;
        }
        this.#stats.retried++;
        const wait = Math.min(MAX_BACKOFF_MS, this.receiver.backoffMs * 2 ** attempt);
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = null;
          this.#pump(attempt + 1);
        }, wait);
        this.#retryTimer.unref();
      },
    );
  }

  async #send(message: Message): Promise<void> {
    const body = formatBody(this.receiver, message);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'steerdns-notify',
      'x-steerdns-event': message.event.kind,
    };
    if (this.receiver.secret !== null) {
      headers[SIGNATURE_HEADER] = `sha256=${createHmac('sha256', this.receiver.secret).update(body).digest('hex')}`;
    }
    const res = await this.#fetch(this.receiver.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.any([AbortSignal.timeout(this.receiver.timeoutMs), this.#abort.signal]),
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timeout';
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return cause.code;
    return err.message.slice(0, 120);
  }
  return String(err).slice(0, 120);
}
