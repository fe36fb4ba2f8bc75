// DNS Cookies, server side (RFC 7873), with the interoperable server cookie of RFC 9018:
// Version 1 | Reserved (3) | Timestamp (4, seconds) | Hash (8), where
// Hash = SipHash-2-4(Client Cookie | Version | Reserved | Timestamp | Client IP, secret).
// Any server of an anycast set or a fleet that shares the secret accepts the others' cookies.
import type { ClientIp } from '../../net/client-ip.js';
import { sipHash24 } from './siphash.js';

export const CLIENT_COOKIE_LENGTH = 8;
export const SERVER_COOKIE_LENGTH = 16;
/** The COOKIE option's data in every reply of ours: client cookie + a version 1 server cookie. */
export const REPLY_COOKIE_LENGTH = CLIENT_COOKIE_LENGTH + SERVER_COOKIE_LENGTH;
export const SECRET_LENGTH = 16;
/** RFC 9018 §4.3: a cookie is good for an hour, and one from up to 5 minutes ahead is accepted (clock skew). */
const LIFETIME_SECONDS = 3600;
const SKEW_SECONDS = 300;
/** RFC 9018 §4.3: a cookie older than half an hour is replaced by a fresh one in the reply. */
const RENEW_AFTER_SECONDS = 1800;

/** What the cookie of one query is worth (RFC 7873 §5.2). */
export const CookieVerdict = {
  /** §5.2.2: a length no cookie has: FORMERR. */
  MALFORMED: 0,
  /** §5.2.3: a client cookie alone (a first contact). */
  CLIENT_ONLY: 1,
  /** §5.2.4: a server cookie we did not make, or made too long ago. */
  INVALID: 2,
  /** §5.2.5: a server cookie of ours, current or under the previous secret. */
  VALID: 3,
} as const;
export type CookieVerdict = (typeof CookieVerdict)[keyof typeof CookieVerdict];

export interface CookieSecrets {
  /** Makes the cookies handed out, and is accepted. */
  readonly current: Uint8Array;
  /** Still accepted, never used for new cookies (a rotation in progress); null: none. */
  readonly previous: Uint8Array | null;
}

/**
 * Checks a query's COOKIE option and writes the reply's. One instance per pipeline (synchronous
 * use); the scratch buffers make a check allocate only the reply's option bytes.
 */
export class ServerCookies {
  private secrets: CookieSecrets;
  private readonly clock: () => number;
  // Client cookie | version | reserved | timestamp | client IP (4 or 16 bytes).
  private readonly input = new Uint8Array(CLIENT_COOKIE_LENGTH + 8 + 16);
  private readonly hash = new Uint8Array(8);
  private readonly addr = new Uint8Array(16);
  /** Set by verdict(): the cookie it judged VALID was made with the current secret. */
  private validUnderCurrent = false;

  /** `clock` returns seconds since the epoch (tests pass a fixed one). */
  constructor(secrets: CookieSecrets, clock: () => number = () => Math.floor(Date.now() / 1000)) {
    checkSecret(secrets.current);
    if (secrets.previous !== null) checkSecret(secrets.previous);
    this.secrets = secrets;
    this.clock = clock;
  }

  /** Swaps in new secrets (a rotation): cookies of `previous` stay valid until their hour is up. */
  setSecrets(secrets: CookieSecrets): void {
    checkSecret(secrets.current);
    if (secrets.previous !== null) checkSecret(secrets.previous);
    this.secrets = secrets;
  }

  /** The verdict on a COOKIE option's data from `client`. */
  verdict(cookie: Uint8Array, client: ClientIp): CookieVerdict {
    this.validUnderCurrent = false;
    const length = cookie.length;
    if (length === CLIENT_COOKIE_LENGTH) return CookieVerdict.CLIENT_ONLY;
    // RFC 7873 §4: a server cookie has 8 to 32 bytes.
    if (length < CLIENT_COOKIE_LENGTH + 8 || length > CLIENT_COOKIE_LENGTH + 32) return CookieVerdict.MALFORMED;
    // Only version 1 cookies are ours (RFC 9018 §4.2); any other server cookie is a stranger's.
    if (length !== REPLY_COOKIE_LENGTH || cookie[CLIENT_COOKIE_LENGTH] !== 1) return CookieVerdict.INVALID;
    const stamp = readU32(cookie, CLIENT_COOKIE_LENGTH + 4);
    if (!usable(stamp, this.clock())) return CookieVerdict.INVALID;
    const ipLength = this.prepare(cookie, client);
    if (ipLength === 0) return CookieVerdict.INVALID;
    // Only the Hash is computed here: version, reserved and timestamp are the client's own.
    if (this.matches(this.secrets.current, cookie, ipLength)) {
      this.validUnderCurrent = true;
      return CookieVerdict.VALID;
    }
    const previous = this.secrets.previous;
    if (previous !== null && this.matches(previous, cookie, ipLength)) return CookieVerdict.VALID;
    return CookieVerdict.INVALID;
  }

  /**
   * The COOKIE option data for the reply to the cookie verdict() just judged: the client cookie
   * with a server cookie of ours. A valid cookie of the current secret less than half an hour
   * old is echoed (RFC 9018 §4.3); any other gets a fresh one.
   */
  replyCookie(cookie: Uint8Array, client: ClientIp, verdict: CookieVerdict): Uint8Array {
    const now = this.clock();
    if (verdict === CookieVerdict.VALID && this.validUnderCurrent && !worn(readU32(cookie, CLIENT_COOKIE_LENGTH + 4), now)) {
      return cookie.slice(0, REPLY_COOKIE_LENGTH);
    }
    return this.make(cookie.subarray(0, CLIENT_COOKIE_LENGTH), client, now);
  }

  /** A fresh client + server cookie for `clientCookie` from `client` at `now` (seconds). */
  make(clientCookie: Uint8Array, client: ClientIp, now: number): Uint8Array {
    const out = new Uint8Array(REPLY_COOKIE_LENGTH);
    out.set(clientCookie.subarray(0, CLIENT_COOKIE_LENGTH), 0);
    out[CLIENT_COOKIE_LENGTH] = 1; // version; the 3 reserved bytes stay 0
    writeU32(out, CLIENT_COOKIE_LENGTH + 4, now >>> 0);
    const ipLength = this.prepare(out, client);
    if (ipLength === 0) return out.subarray(0, CLIENT_COOKIE_LENGTH); // cannot happen with a socket's address
    sipHash24(this.secrets.current, this.input, CLIENT_COOKIE_LENGTH + 8 + ipLength, out, CLIENT_COOKIE_LENGTH + 8);
    return out;
  }

  /** Fills the hash input from a cookie's first 16 bytes and the client's address; returns the address length (0: unreadable). */
  private prepare(cookie: Uint8Array, client: ClientIp): number {
    const family = client.into(this.addr);
    if (family === 0) return 0;
    const input = this.input;
    for (let i = 0; i < CLIENT_COOKIE_LENGTH + 8; i++) input[i] = cookie[i]!;
    const ipLength = family === 4 ? 4 : 16;
    for (let i = 0; i < ipLength; i++) input[CLIENT_COOKIE_LENGTH + 8 + i] = this.addr[i]!;
    return ipLength;
  }

  private matches(secret: Uint8Array, cookie: Uint8Array, ipLength: number): boolean {
    const hash = this.hash;
    sipHash24(secret, this.input, CLIENT_COOKIE_LENGTH + 8 + ipLength, hash, 0);
    let diff = 0;
    for (let i = 0; i < 8; i++) diff |= hash[i]! ^ cookie[CLIENT_COOKIE_LENGTH + 8 + i]!;
    return diff === 0;
  }
}

/** Seconds from `stamp` to `now` in serial-number arithmetic (the timestamp wraps in 2106). */
function age(stamp: number, now: number): number {
  return ((now >>> 0) - stamp) | 0;
}

/** Within the hour behind and five minutes ahead that RFC 9018 §4.3 allows. */
export function usable(stamp: number, now: number): boolean {
  const a = age(stamp, now);
  return a <= LIFETIME_SECONDS && a >= -SKEW_SECONDS;
}

/** Old enough to be replaced by a fresh cookie in the reply. */
export function worn(stamp: number, now: number): boolean {
  return age(stamp, now) >= RENEW_AFTER_SECONDS;
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length !== SECRET_LENGTH) throw new RangeError(`a cookie secret has ${SECRET_LENGTH} bytes, not ${secret.length}`);
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}
