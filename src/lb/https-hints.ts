// HTTPS records of a load-balanced name (RFC 9460): the `https:` template of the LB file, whose
// ipv4hint/ipv6hint are filled, per query, with the addresses the A and AAAA answers for the
// same client get, so a client that connects from the hints reaches the same healthy origins.
import { SvcKey } from '../wire/svcb-keys.js';
import { RRType, type RR, type RRset } from '../wire/types.js';
import { lexZone } from '../zone/lexer.js';
import { parseSVCB } from '../zone/rdata/svcb.js';

export interface HttpsTemplateInput {
  readonly priority: number;
  readonly target: string;
  readonly params: string;
}

/** The template's RDATA without hints, or why it is not valid (for the LB file's checks). */
export function httpsTemplate(input: HttpsTemplateInput, origin: string): Uint8Array | { readonly problem: string } {
  if (/\bipv[46]hint\b/.test(input.params))
    return { problem: 'ipv4hint and ipv6hint come from the load balancer’s answers; leave them out of params' };
  const entries = lexZone(`${input.priority} ${input.target} ${input.params}`);
  const entry = entries[0];
  if (entries.length !== 1 || entry === undefined) return { problem: 'params must be one line of SvcParams' };
  if (entry.error !== null) return { problem: entry.error.message };
  try {
    return parseSVCB(entry.tokens, origin);
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

// One HTTPS RRset per (A answer, AAAA answer) pair: the answer sets are prebuilt per health
// state, so the pairs are few and the HTTPS RRset of a pair is built once.
const NONE: RRset = Object.freeze([]) as RRset;
const built = new WeakMap<RRset, WeakMap<RRset, RRset>>();

/** The HTTPS RRset at `owner` from `template` with the hints of the `a` and `aaaa` answers. */
export function httpsAnswer(owner: string, ttl: number, template: Uint8Array, a: RRset | null, aaaa: RRset | null): RRset {
  const first = a ?? NONE;
  const second = aaaa ?? NONE;
  let inner = built.get(first);
  if (inner === undefined) {
    inner = new WeakMap();
    built.set(first, inner);
  }
  let rrset = inner.get(second);
  if (rrset === undefined || rrset[0]!.ttl !== ttl || rrset[0]!.name !== owner) {
    const rr: RR = {
      name: owner,
      type: RRType.HTTPS,
      ttl,
      data: { kind: 'raw', bytes: withHints(template, addressesOf(first, RRType.A), addressesOf(second, RRType.AAAA)) },
    };
    rrset = Object.freeze([rr]);
    inner.set(second, rrset);
  }
  return rrset;
}

function addressesOf(rrset: RRset, type: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const rr of rrset) if (rr.type === type && rr.data.kind === 'raw') out.push(rr.data.bytes);
  return out;
}

/** `rdata` with ipv4hint and ipv6hint inserted in key order (RFC 9460 §2.2); an empty list adds none. */
export function withHints(rdata: Uint8Array, v4: readonly Uint8Array[], v6: readonly Uint8Array[]): Uint8Array {
  let at = 2;
  while (rdata[at]! !== 0) at += rdata[at]! + 1; // TargetName, uncompressed
  at++;
  const parts: Uint8Array[] = [rdata.subarray(0, at)];
  let pending4 = v4.length > 0;
  let pending6 = v6.length > 0;
  const flush = (before: number): void => {
    if (pending4 && before > SvcKey.ipv4hint) {
      parts.push(param(SvcKey.ipv4hint, v4));
      pending4 = false;
    }
    if (pending6 && before > SvcKey.ipv6hint) {
      parts.push(param(SvcKey.ipv6hint, v6));
      pending6 = false;
    }
  };
  while (at + 4 <= rdata.length) {
    const key = (rdata[at]! << 8) | rdata[at + 1]!;
    const length = (rdata[at + 2]! << 8) | rdata[at + 3]!;
    flush(key);
    parts.push(rdata.subarray(at, at + 4 + length));
    at += 4 + length;
  }
  flush(0x10000);
  return Buffer.concat(parts);
}

function param(key: number, values: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const v of values) length += v.length;
  const out = Buffer.alloc(4 + length);
  out.writeUInt16BE(key, 0);
  out.writeUInt16BE(length, 2);
  let at = 4;
  for (const v of values) {
    out.set(v, at);
    at += v.length;
  }
  return out;
}
