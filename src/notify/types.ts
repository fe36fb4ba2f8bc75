// What notifications are about and where they go.

export type NotifyEventKind = 'origin' | 'pool' | 'load_balancer' | 'ramp' | 'override';

/** One `notifications:` receiver of one zone's LB file, ready to use (the secret read). */
export interface NotificationReceiver {
  readonly zone: string;
  readonly name: string;
  readonly url: string;
  /** HMAC-SHA256 key for X-Steerdns-Signature; null: requests are not signed. */
  readonly secret: string | null;
  readonly format: 'json' | 'slack';
  readonly events: readonly NotifyEventKind[];
  readonly coalesceMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
}

/** One change worth telling: an origin, pool or load balancer changed state, or a ramp aborted. */
export interface NotifyEvent {
  readonly kind: NotifyEventKind;
  readonly zone: string;
  /** "pool/origin", "pool", the load balancer's owner name, "pool/origin" of a ramp, an override's target. */
  readonly subject: string;
  readonly oldState: string;
  readonly newState: string;
  readonly reason: string;
  /** Who made the change (an override: the token's name, `expiry`); absent for health changes. */
  readonly author?: string;
  /** Epoch ms. */
  readonly at: number;
}

/** A message as sent, with how many transitions it stands for. */
export interface Message {
  readonly event: NotifyEvent;
  /** Transitions merged into this one within the coalescing window. */
  readonly coalesced: number;
}
