// Domain names: the wire form <-> the canonical string form described at the top of types.ts.
//
// Reading names from packets is on the hot path and must be safe against hostile input, so the
// walker below never recurses, never allocates per label, and follows compression pointers only
// backwards (each jump lands strictly before the segment it came from, so it always ends).

/** Longest name on the wire, counting length bytes and the root byte (RFC 1035 2.3.4). */
export const MAX_NAME_WIRE = 255;
export const MAX_LABEL = 63;
/** The DNS header; no name can start (or be pointed to) inside it. */
const HEADER_SIZE = 12;
/** A name has at most 127 labels, so more pointer hops than that is nonsense. */
const MAX_POINTER_HOPS = 127;

/** Why a name could not be read; negative so it can share a return slot with an offset. */
export const NameError = {
  TRUNCATED: -1,
  BAD_LABEL_TYPE: -2,
  FORWARD_POINTER: -3,
  POINTER_INTO_HEADER: -4,
  TOO_MANY_HOPS: -5,
  TOO_LONG: -6,
} as const;

const nameErrorText: Record<number, string> = {
  [NameError.TRUNCATED]: 'name runs past the end of the message',
  [NameError.BAD_LABEL_TYPE]: 'reserved label type (0x40/0x80)',
  [NameError.FORWARD_POINTER]: 'compression pointer does not point backwards',
  [NameError.POINTER_INTO_HEADER]: 'compression pointer into the header',
  [NameError.TOO_MANY_HOPS]: 'too many compression pointers',
  [NameError.TOO_LONG]: 'name longer than 255 bytes',
};

/** Human text for a negative result of scanName / a NameError value. */
export function nameErrorReason(code: number): string {
  return nameErrorText[code] ?? `name error ${code}`;
}

/** Thrown by readName and by the text -> wire conversions on an invalid name. */
export class WireNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireNameError';
  }
}

// Scratch space for building a name's text: worst case is 255 bytes each written as "\DDD".
const textScratch = Buffer.allocUnsafe(MAX_NAME_WIRE * 4);
let textLength = 0;
/** Uncompressed wire length of the last name walked by scanName. */
let lastWireLength = 0;

const CH_DOT = 0x2e;
const CH_BACKSLASH = 0x5c;

/** Appends one label's bytes to textScratch in canonical escaped, lowercased form. */
function appendLabelText(buf: Uint8Array, start: number, len: number): void {
  let t = textLength;
  if (t !== 0) textScratch[t++] = CH_DOT;
  for (let i = start, end = start + len; i < end; i++) {
    let c = buf[i]!;
    if (c >= 0x41 && c <= 0x5a) {
      textScratch[t++] = c + 32;
    } else if (c > 0x20 && c < 0x7f) {
      if (c === CH_DOT || c === CH_BACKSLASH) textScratch[t++] = CH_BACKSLASH;
      textScratch[t++] = c;
    } else {
      textScratch[t++] = CH_BACKSLASH;
      textScratch[t++] = 0x30 + ((c / 100) | 0);
      c %= 100;
      textScratch[t++] = 0x30 + ((c / 10) | 0);
      textScratch[t++] = 0x30 + (c % 10);
    }
  }
  textLength = t;
}

/**
 * Walks the name at `offset`, validating it (pointers only backwards and never into the header,
 * bounded hops, labels <= 63, total <= 255 bytes). Returns the offset just past the name where it
 * starts (after its first pointer if it is compressed), or a negative NameError. With `wantText`
 * the canonical text is left in the scratch buffer (see takeText). `limit` is the end of the
 * message (pointers may target anything before the segment they occur in).
 */
export function scanName(buf: Uint8Array, offset: number, limit: number, wantText: boolean): number {
  let pos = offset;
  let segmentStart = offset;
  let after = -1;
  let wire = 1;
  let hops = 0;
  textLength = 0;
  for (;;) {
    if (pos >= limit) return NameError.TRUNCATED;
    const len = buf[pos]!;
    if (len === 0) {
      lastWireLength = wire;
      return after < 0 ? pos + 1 : after;
    }
    const kind = len & 0xc0;
    if (kind === 0) {
      wire += len + 1;
      if (wire > MAX_NAME_WIRE) return NameError.TOO_LONG;
      if (pos + 1 + len > limit) return NameError.TRUNCATED;
      if (wantText) appendLabelText(buf, pos + 1, len);
      pos += len + 1;
    } else if (kind === 0xc0) {
      if (pos + 1 >= limit) return NameError.TRUNCATED;
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target < HEADER_SIZE) return NameError.POINTER_INTO_HEADER;
      if (target >= segmentStart) return NameError.FORWARD_POINTER;
      if (++hops > MAX_POINTER_HOPS) return NameError.TOO_MANY_HOPS;
      if (after < 0) after = pos + 2;
      pos = target;
      segmentStart = target;
    } else {
      return NameError.BAD_LABEL_TYPE;
    }
  }
}

/** The canonical text left by the last scanName(..., true). */
export function takeText(): string {
  return textLength === 0 ? '' : textScratch.toString('latin1', 0, textLength);
}

/** Uncompressed wire length of the name last walked by scanName. */
export function lastNameWireLength(): number {
  return lastWireLength;
}

export interface NameRead {
  /** Canonical (lowercase, escaped) name. */
  readonly name: string;
  /** Offset just past the name as it appears at `offset` (compressed length). */
  readonly end: number;
}

/** Reads a possibly compressed name; throws WireNameError on anything invalid. Not for the hot path. */
export function readName(buf: Uint8Array, offset: number, limit: number = buf.length): NameRead {
  const end = scanName(buf, offset, Math.min(limit, buf.length), true);
  if (end < 0) throw new WireNameError(nameErrorReason(end));
  return { name: takeText(), end };
}

/** Canonical text of an uncompressed wire name (labels up to and including the root byte). */
export function wireLabelsToName(wire: Uint8Array, offset = 0): string {
  textLength = 0;
  let pos = offset;
  let total = 1;
  for (;;) {
    if (pos >= wire.length) throw new WireNameError(nameErrorReason(NameError.TRUNCATED));
    const len = wire[pos]!;
    if (len === 0) break;
    if (len > MAX_LABEL) throw new WireNameError('label longer than 63 bytes or compressed');
    total += len + 1;
    if (total > MAX_NAME_WIRE) throw new WireNameError(nameErrorReason(NameError.TOO_LONG));
    if (pos + 1 + len > wire.length) throw new WireNameError(nameErrorReason(NameError.TRUNCATED));
    appendLabelText(wire, pos + 1, len);
    pos += len + 1;
  }
  return takeText();
}

// ---------------------------------------------------------------------------------------------
// Text -> wire

/** A name prepared for writing: uncompressed wire form plus, per label, its suffix text. */
export interface NameInfo {
  /** Uncompressed wire bytes, ending with the root byte. Shared: never mutate. */
  readonly wire: Uint8Array;
  /** suffixes[i] = canonical text of the name from label i on (suffixes[0] is the name). */
  readonly suffixes: readonly string[];
  /** offsets[i] = where label i starts inside `wire`. */
  readonly offsets: readonly number[];
}

const wireScratch = new Uint8Array(MAX_NAME_WIRE + 64);

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Parses presentation text (escapes "\X" and "\DDD", optional trailing dot, "" or "." for the
 * root) into wireScratch; returns the wire length. Letter case is kept as written.
 */
function textToWire(text: string, labelStarts: number[] | null): number {
  const n = text.length;
  if (n === 0 || (n === 1 && text.charCodeAt(0) === CH_DOT)) {
    wireScratch[0] = 0;
    return 1;
  }
  let w = 0;
  let i = 0;
  while (i < n) {
    const lenPos = w++;
    if (labelStarts) labelStarts.push(lenPos);
    let len = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (c === CH_DOT) break;
      if (c === CH_BACKSLASH) {
        if (i + 1 >= n) throw new WireNameError(`dangling escape in name "${text}"`);
        const d = text.charCodeAt(i + 1);
        if (isDigit(d)) {
          const d2 = text.charCodeAt(i + 2);
          const d3 = text.charCodeAt(i + 3);
          if (!isDigit(d2) || !isDigit(d3)) throw new WireNameError(`bad \\DDD escape in name "${text}"`);
          c = (d - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30);
          if (c > 255) throw new WireNameError(`bad \\DDD escape in name "${text}"`);
          i += 4;
        } else {
          if (d > 0x7e) throw new WireNameError(`non-ASCII character in name "${text}" (use \\DDD)`);
          c = d;
          i += 2;
        }
      } else {
        // Presentation text carries only printable ASCII; anything else must be written \DDD.
        if (c <= 0x20 || c >= 0x7f) throw new WireNameError(`unescaped non-printable or non-ASCII character in name "${text}" (use \\DDD)`);
        i += 1;
      }
      if (++len > MAX_LABEL) throw new WireNameError(`label longer than 63 bytes in name "${text}"`);
      if (w >= MAX_NAME_WIRE) throw new WireNameError(`name "${text}" is longer than 255 bytes`);
      wireScratch[w++] = c;
    }
    if (len === 0) throw new WireNameError(`empty label in name "${text}"`);
    wireScratch[lenPos] = len;
    if (i < n) {
      i++; // the dot
      if (i === n) break; // trailing dot: absolute name
    }
  }
  if (w >= MAX_NAME_WIRE) throw new WireNameError(`name "${text}" is longer than 255 bytes`);
  wireScratch[w++] = 0;
  return w;
}

// A two-generation cache: lookups hit `young` then `old`; when `young` is full it becomes `old`.
// Bounded memory, and a hot name never falls out just because the cache turned over.
const CACHE_GENERATION = 4096;
let young = new Map<string, NameInfo>();
let old = new Map<string, NameInfo>();

function buildNameInfo(name: string): NameInfo {
  const starts: number[] = [];
  const length = textToWire(name, starts);
  const wire = wireScratch.slice(0, length);
  if (starts.length === 0) return { wire, suffixes: [], offsets: [] };
  const suffixes: string[] = new Array<string>(starts.length);
  // Suffix texts are cut from the input at unescaped dots, so they are canonical iff it is.
  let label = 0;
  suffixes[0] = name;
  for (let i = 0; i < name.length && label + 1 < starts.length; i++) {
    const c = name.charCodeAt(i);
    if (c === CH_BACKSLASH) i++;
    else if (c === CH_DOT) suffixes[++label] = name.slice(i + 1);
  }
  return { wire, suffixes, offsets: starts };
}

/** Wire form and suffixes of a canonical name, cached. Throws WireNameError if invalid. */
export function nameInfo(name: string): NameInfo {
  let info = young.get(name);
  if (info !== undefined) return info;
  info = old.get(name);
  if (info === undefined) info = buildNameInfo(name);
  if (young.size >= CACHE_GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(name, info);
  return info;
}

/** Uncompressed wire bytes of a canonical name (cached and shared: do not mutate). */
export function nameToWire(name: string): Uint8Array {
  return nameInfo(name).wire;
}

/**
 * Canonical form of any presentation name: escapes resolved and re-escaped canonically,
 * letters lowercased, trailing dot dropped ("" or "." is the root). Throws WireNameError.
 */
export function canonicalName(text: string): string {
  const length = textToWire(text, null);
  return wireLabelsToName(wireScratch.subarray(0, length));
}

/** True when `c` at index `i` of `name` is a label separator (a dot not escaped by '\'). */
function isSeparatorAt(name: string, i: number): boolean {
  if (name.charCodeAt(i) !== CH_DOT) return false;
  let backslashes = 0;
  for (let j = i - 1; j >= 0 && name.charCodeAt(j) === CH_BACKSLASH; j--) backslashes++;
  return (backslashes & 1) === 0;
}

/** True when `name` equals `zone` or lies below it (both canonical). The root contains all. */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '') return true;
  if (name.length === zone.length) return name === zone;
  if (name.length < zone.length + 1 || !name.endsWith(zone)) return false;
  return isSeparatorAt(name, name.length - zone.length - 1);
}

/** Number of labels (the root has 0). */
export function labelCount(name: string): number {
  if (name === '') return 0;
  let count = 1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === CH_BACKSLASH) i++;
    else if (c === CH_DOT) count++;
  }
  return count;
}

/** The name with its first label removed; null for the root. */
export function parentName(name: string): string | null {
  if (name === '') return null;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === CH_BACKSLASH) i++;
    else if (c === CH_DOT) return name.slice(i + 1);
  }
  return '';
}

/** Labels of a canonical name, still in escaped text form ("" → []). */
export function splitLabels(name: string): string[] {
  if (name === '') return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === CH_BACKSLASH) i++;
    else if (c === CH_DOT) {
      out.push(name.slice(start, i));
      start = i + 1;
    }
  }
  out.push(name.slice(start));
  return out;
}

/** Presentation form with the trailing dot: "www.example.com." ; the root is ".". */
export function nameToText(name: string): string {
  return name === '' ? '.' : `${name}.`;
}
