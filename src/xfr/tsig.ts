// TSIG (RFC 8945) with HMAC-SHA256/512: verifying a request and signing the replies to it. A
// multi-message reply is signed message by message, each MAC chained to the one before it
// (§5.3.1); every message of ours carries a TSIG record, so each digest covers one message.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { nameToWire } from '../wire/name.js';
import type { SignedRequest, TsigRecord } from './request.js';
import { TSIG_TYPE } from './request.js';
import type { TsigKey } from './tsig-keys.js';

/** TSIG error codes (RFC 8945 §3), carried in the TSIG record's error field. */
export const TsigError = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
/** The rcode of a reply to a request that failed TSIG checks. */
export const RCODE_NOTAUTH = 9;
const CLASS_ANY = 255;
/** Seconds of clock difference we allow, and announce in our own records (RFC 8945 §10 suggests 300). */
export const FUDGE = 300;

export type TsigVerdict =
  | { readonly ok: true; readonly key: TsigKey; readonly signer: TsigSigner }
  /** `signer` is set only for BADTIME: that error reply is signed (§5.2.3); BADKEY/BADSIG ones are not. */
  | { readonly ok: false; readonly error: number; readonly tsig: TsigRecord; readonly signer: TsigSigner | null };

function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}

function u48(v: number): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeUIntBE(Math.max(0, Math.floor(v)), 0, 6);
  return b;
}

/** The message with its ID set to `id` (the MAC covers the original ID, §4.3.3). */
function withId(message: Uint8Array, id: number): Uint8Array {
  if (((message[0]! << 8) | message[1]!) === id) return message;
  const copy = Buffer.from(message);
  copy.writeUInt16BE(id, 0);
  return copy;
}

/** TSIG variables of §4.3.3: name, class, TTL, algorithm, time, fudge, error, other. */
function variables(keyName: string, algorithm: string, timeSigned: number, fudge: number, error: number, other: Uint8Array): Buffer {
  return Buffer.concat([
    nameToWire(keyName),
    u16(CLASS_ANY),
    Buffer.alloc(4),
    nameToWire(algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(error),
    u16(other.length),
    other,
  ]);
}

/** Checks a request's TSIG against the keys we know: key, then MAC, then time (§5.2). */
export function verifyRequest(request: SignedRequest, keys: ReadonlyMap<string, TsigKey>, nowSeconds: number): TsigVerdict | null {
  const tsig = request.tsig;
  if (tsig === null) return null;
  const key = keys.get(tsig.keyName);
  if (key === undefined || key.algorithm !== tsig.algorithm) return { ok: false, error: TsigError.BADKEY, tsig, signer: null };
  const hmac = createHmac(key.digest, key.secret);
  hmac.update(withId(request.unsigned, tsig.originalId));
  hmac.update(variables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other));
  const expected = hmac.digest();
  const size = tsig.mac.length;
  // A truncated MAC must keep at least half the hash and 10 bytes (§5.2.2.1).
  if (size > expected.length || size < Math.max(10, expected.length / 2)) {
    return { ok: false, error: size > expected.length ? TsigError.BADSIG : TsigError.BADTRUNC, tsig, signer: null };
  }
  if (!timingSafeEqual(expected.subarray(0, size), tsig.mac)) return { ok: false, error: TsigError.BADSIG, tsig, signer: null };
  const signer = new TsigSigner(key, tsig.mac, tsig.originalId);
  if (Math.abs(nowSeconds - tsig.timeSigned) > tsig.fudge) return { ok: false, error: TsigError.BADTIME, tsig, signer };
  return { ok: true, key, signer };
}

/**
 * Signs the replies to one request, in order. The first carries every TSIG variable; later ones
 * (a zone transfer's next messages) only the timers, chained to the MAC before (§5.3.1).
 */
export class TsigSigner {
  private priorMac: Buffer;
  private first = true;

  constructor(
    readonly key: TsigKey,
    requestMac: Buffer,
    private readonly originalId: number,
  ) {
    this.priorMac = requestMac;
  }

  /** `message` (an encoded reply) with a TSIG record appended and ARCOUNT raised. */
  sign(message: Uint8Array, nowSeconds: number, error: number = TsigError.NOERROR, other: Uint8Array = Buffer.alloc(0)): Buffer {
    const key = this.key;
    const hmac = createHmac(key.digest, key.secret);
    hmac.update(u16(this.priorMac.length));
    hmac.update(this.priorMac);
    hmac.update(withId(message, this.originalId));
    if (this.first) hmac.update(variables(key.name, key.algorithm, nowSeconds, FUDGE, error, other));
    else hmac.update(Buffer.concat([u48(nowSeconds), u16(FUDGE)]));
    const mac = hmac.digest();
    this.first = false;
    this.priorMac = mac;
    return appendTsig(message, key.name, key.algorithm, nowSeconds, mac, this.originalId, error, other);
  }
}

/** An unsigned TSIG record carrying an error (BADKEY, BADSIG: §5.3.2), appended to `message`. */
export function appendTsigError(message: Uint8Array, tsig: TsigRecord, error: number, nowSeconds: number): Buffer {
  return appendTsig(message, tsig.keyName, tsig.algorithm, nowSeconds, Buffer.alloc(0), tsig.originalId, error, Buffer.alloc(0));
}

function appendTsig(
  message: Uint8Array,
  keyName: string,
  algorithm: string,
  timeSigned: number,
  mac: Uint8Array,
  originalId: number,
  error: number,
  other: Uint8Array,
): Buffer {
  const rdata = Buffer.concat([
    nameToWire(algorithm),
    u48(timeSigned),
    u16(FUDGE),
    u16(mac.length),
    mac,
    u16(originalId),
    u16(error),
    u16(other.length),
    other,
  ]);
  const out = Buffer.concat([message, nameToWire(keyName), u16(TSIG_TYPE), u16(CLASS_ANY), Buffer.alloc(4), u16(rdata.length), rdata]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/** Six bytes of server time, the "other data" of a BADTIME reply (§5.2.3). */
export function serverTimeOther(nowSeconds: number): Buffer {
  return u48(nowSeconds);
}

/** `message` (a request of ours, e.g. NOTIFY) signed with `key`: no prior MAC (§5.1). */
export function signRequest(message: Uint8Array, key: TsigKey, nowSeconds: number): Buffer {
  const id = (message[0]! << 8) | message[1]!;
  const hmac = createHmac(key.digest, key.secret);
  hmac.update(message);
  hmac.update(variables(key.name, key.algorithm, nowSeconds, FUDGE, TsigError.NOERROR, Buffer.alloc(0)));
  return appendTsig(message, key.name, key.algorithm, nowSeconds, hmac.digest(), id, TsigError.NOERROR, Buffer.alloc(0));
}
