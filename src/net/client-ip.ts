// The address a query came from, as a transport hands it to the query path: bytes when the
// socket gave bytes (the batched UDP path), text when it gave text (node:dgram, TCP). Each reader
// asks for the form it needs: RRL, cookies and the GeoIP /24 cache read bytes; the query log,
// explain, a GeoIP lookup and an IPv6 steering decision read text. The batched path so makes a
// string only for a query that something prints or looks up by text.
import { formatIp, isMappedIpv4, parseClientIpInto } from './ip.js';

export interface ClientIp {
  /**
   * Writes the address into `out` (at least 16 bytes; IPv4 in out[0..3]) by parseClientIpInto's
   * rules (an IPv4-mapped IPv6 address is IPv4, a zone id is dropped) and returns its family:
   * 0 when it is not an address.
   */
  into(out: Uint8Array): 0 | 4 | 6;
  /**
   * The address as the socket reported it (or its bytes printed: dotted quad, RFC 5952 IPv6),
   * made on first call. Valid, like the object itself, for the query being answered only.
   */
  text(): string;
}

/** A client address the socket gave as text (node:dgram's rinfo.address, a TCP peer). */
export class TextClientIp implements ClientIp {
  constructor(private value = '') {}

  /** Reuses this object for the next datagram (no allocation per query). */
  set(text: string): this {
    this.value = text;
    return this;
  }

  into(out: Uint8Array): 0 | 4 | 6 {
    return parseClientIpInto(this.value, out);
  }

  text(): string {
    return this.value;
  }
}

/** `text` as a ClientIp (tests, explain, replay: wherever the address is text to begin with). */
export function clientIpOf(text: string): ClientIp {
  return new TextClientIp(text);
}

/**
 * A client address the socket gave as bytes, read in place from the batched addon's metadata.
 * One per listener, pointed at each datagram's address in turn: nothing is allocated per query,
 * and the text is made only if asked for (then kept until the next datagram).
 */
export class BytesClientIp implements ClientIp {
  private bytes: Uint8Array = new Uint8Array(16);
  private at = 0;
  private family: 4 | 6 = 4;
  private cached: string | null = null;

  /** Points at the address in bytes[at..at+4) (IPv4) or bytes[at..at+16) (IPv6). */
  set(bytes: Uint8Array, at: number, family: 4 | 6): this {
    this.bytes = bytes;
    this.at = at;
    this.family = family;
    this.cached = null;
    return this;
  }

  into(out: Uint8Array): 0 | 4 | 6 {
    const b = this.bytes;
    const at = this.at;
    if (this.family === 4) {
      out[0] = b[at]!;
      out[1] = b[at + 1]!;
      out[2] = b[at + 2]!;
      out[3] = b[at + 3]!;
      return 4;
    }
    for (let i = 0; i < 16; i++) out[i] = b[at + i]!;
    if (!isMappedIpv4(out)) return 6;
    out.copyWithin(0, 12, 16);
    return 4;
  }

  text(): string {
    if (this.cached === null) {
      const b = this.bytes;
      const at = this.at;
      this.cached = this.family === 4 ? `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}` : formatIp(b.subarray(at, at + 16));
    }
    return this.cached;
  }
}
