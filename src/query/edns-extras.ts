// The EDNS options a reply carries beyond the ECS echo: COOKIE (RFC 7873, server cookies of
// RFC 9018) and NSID (RFC 5001). They depend on the client, not on the question, so they are
// added to the encoded reply last: cached replies stay shareable, and a query without these
// options never reaches this code.
import type { ClientIp } from '../net/client-ip.js';
import { EdnsOption, Rcode, RRType, type Query, type Reply } from '../wire/types.js';
import type { QueryAnswer } from './answer.js';
import { type CookieSecrets, CookieVerdict, type ServerCookies } from './cookies/server-cookies.js';
import type { Transport } from './transport.js';

const OPTION_HEADER = 4;
const OPT_FIXED_SIZE = 11;

export class EdnsExtras {
  /** The reply's COOKIE option data for the query in progress; null: none. */
  private cookie: Uint8Array | null = null;
  private nsid = false;
  /** Bytes the options of the query in progress add to its reply. */
  length = 0;

  /** New cookie secrets (a rotation); false when cookies are off. */
  setCookieSecrets(secrets: CookieSecrets): boolean {
    if (this.cookies === null) return false;
    this.cookies.setSecrets(secrets);
    return true;
  }

  /** `cookies` null: cookies off (the option is ignored, as by a server without them). */
  constructor(
    private readonly cookies: ServerCookies | null,
    private readonly identity: Uint8Array,
  ) {}

  /**
   * Judges the query's options and reserves room for the reply's. Returns the rcode that ends
   * the query before lookup — FORMERR for a malformed cookie (RFC 7873 §5.2.2), BADCOOKIE for a
   * server cookie we did not make, over UDP (§5.2.3 and §5.2.4, as BIND and Knot answer) — or
   * NOERROR to go on. Sets out.cookieValid for a valid server cookie (RRL lets it through).
   */
  begin(query: Query, client: ClientIp, transport: Transport, out: QueryAnswer): number {
    this.cookie = null;
    this.nsid = false;
    this.length = 0;
    const edns = query.edns;
    if (edns === null) return Rcode.NOERROR;
    const cookies = this.cookies;
    const cookie = edns.cookie ?? null;
    let rcode: number = Rcode.NOERROR;
    if (cookie !== null && cookies !== null) {
      const verdict = cookies.verdict(cookie, client);
      if (verdict === CookieVerdict.MALFORMED) return Rcode.FORMERR;
      out.cookieValid = verdict === CookieVerdict.VALID;
      this.cookie = cookies.replyCookie(cookie, client, verdict);
      this.length += OPTION_HEADER + this.cookie.length;
      // Over TCP the source address is proven: a stale cookie is only replaced (§5.2.3).
      if (verdict === CookieVerdict.INVALID && transport === 'udp') rcode = Rcode.BADCOOKIE;
    }
    if (edns.nsid === true) {
      this.nsid = true;
      this.length += OPTION_HEADER + this.identity.length;
    }
    return rcode;
  }

  /** `message` (the encoding of `reply`) with the options added to its OPT record. */
  append(message: Buffer, reply: Reply): Buffer {
    if (this.length === 0 || reply.edns === null) return message;
    const ecs = reply.edns.ecs;
    const rdLength = ecs === null ? 0 : 8 + ecs.address.length;
    const optAt = message.length - rdLength - OPT_FIXED_SIZE;
    // The encoder writes OPT last; anything else means the message is not what we think.
    if (optAt < 12 || message[optAt] !== 0 || message.readUInt16BE(optAt + 1) !== RRType.OPT) return message;
    const out = Buffer.allocUnsafe(message.length + this.length);
    message.copy(out, 0);
    let at = message.length;
    if (this.nsid) at = putOption(out, at, EdnsOption.NSID, this.identity);
    if (this.cookie !== null) at = putOption(out, at, EdnsOption.COOKIE, this.cookie);
    out.writeUInt16BE(rdLength + this.length, optAt + 9);
    return out;
  }
}

function putOption(out: Buffer, at: number, code: number, data: Uint8Array): number {
  out.writeUInt16BE(code, at);
  out.writeUInt16BE(data.length, at + 2);
  out.set(data, at + 4);
  return at + 4 + data.length;
}
