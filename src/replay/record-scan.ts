// Reads the fields replay needs from a record line's bytes, without JSON.parse, without
// decoding the line and without a string or an object per line: field values stay byte ranges
// of the line, and the key the what-if fast path looks its memo up by (name, type, ECS,
// resolver, transport) is hashed from them.
//
// It takes only the shape the record writer emits — one flat object, no white space, plain
// ASCII strings without escapes, integers, null, true, false, arrays of such strings — and
// only lines parseRecord would take as they are. Anything else (an escape, a fraction, nesting,
// a missing or bad field, a duplicate key, bad syntax) gives false, and the caller parses the
// line as text with parseRecord: every line ends up with the same record or the same problem
// as before.
import { MAX_GROUPED_SAMPLE } from './pending-tally.js';
import { RECORD_VERSION } from './record.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

// Fields replay reads, as bits (a duplicate is left to JSON.parse, whose last one wins).
const F_V = 1;
const F_TS = 2;
const F_TRANSPORT = 4;
const F_RESOLVER = 8;
const F_ECS = 16;
const F_QNAME = 32;
const F_QTYPE = 64;
const F_SAMPLE = 128;
const REQUIRED = F_TS | F_RESOLVER | F_QNAME | F_QTYPE;

/** The fields of one line; refilled by every scan. Ranges are into the scanned buffer. */
export class RecordScan {
  ts = 0;
  sample = 1;
  tcp = false;
  qnameStart = 0;
  qnameEnd = 0;
  qtypeStart = 0;
  qtypeEnd = 0;
  /** -1 when the record has no ECS (absent or null). */
  ecsStart = -1;
  ecsEnd = -1;
  resolverStart = 0;
  resolverEnd = 0;
  /** Hash of the memo key: qname, qtype, ecs, resolver, transport. */
  hash = 0;
  #seen = 0;
  #pos = 0;
  #valueStart = 0;
  #valueEnd = 0;
  #number = 0;

  /** Fills this from bytes [start, end) of `buf`; false when the line is for parseRecord. */
  scan(buf: Uint8Array, start: number, end: number): boolean {
    if (end - start < 2 || buf[start] !== OPEN_BRACE || buf[end - 1] !== CLOSE_BRACE) return false;
    this.#seen = 0;
    this.sample = 1;
    this.tcp = false;
    this.ecsStart = -1;
    this.ecsEnd = -1;
    let i = start + 1;
    for (;;) {
      if (buf[i] !== QUOTE) return false;
      const keyStart = i + 1;
      const keyEnd = stringEnd(buf, keyStart, end);
      if (keyEnd < 0 || buf[keyEnd + 1] !== COLON) return false;
      this.#pos = keyEnd + 2;
      if (!this.#field(buf, keyStart, keyEnd, end)) return false;
      i = this.#pos;
      const c = buf[i];
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c !== CLOSE_BRACE || i !== end - 1) return false;
      break;
    }
    if ((this.#seen & REQUIRED) !== REQUIRED) return false;
    this.hash = this.#keyHash(buf);
    return true;
  }

  /** One "key": value, value from this.#pos; this.#pos left after the value. */
  #field(buf: Uint8Array, ks: number, ke: number, end: number): boolean {
    const kind = this.#value(buf, end);
    if (kind === NONE) return false;
    const bit = fieldBit(buf, ks, ke);
    if (bit === 0) return true;
    if ((this.#seen & bit) !== 0) return false;
    this.#seen |= bit;
    switch (bit) {
      case F_V:
        // A newer version is a problem parseRecord words.
        return kind !== INTEGER || this.#number <= RECORD_VERSION;
      case F_TS:
        this.ts = this.#number;
        return kind === INTEGER;
      case F_TRANSPORT:
        this.tcp = kind === STRING && isTcp(buf, this.#valueStart, this.#valueEnd);
        return true;
      case F_RESOLVER:
        this.resolverStart = this.#valueStart;
        this.resolverEnd = this.#valueEnd;
        return kind === STRING;
      case F_ECS:
        if (kind === NULL) return true;
        this.ecsStart = this.#valueStart;
        this.ecsEnd = this.#valueEnd;
        return kind === STRING && hasSlash(buf, this.#valueStart, this.#valueEnd);
      case F_QNAME:
        this.qnameStart = this.#valueStart;
        this.qnameEnd = this.#valueEnd;
        return kind === STRING;
      case F_QTYPE:
        this.qtypeStart = this.#valueStart;
        this.qtypeEnd = this.#valueEnd;
        return kind === STRING && this.#valueEnd > this.#valueStart;
      case F_SAMPLE:
        if (kind !== INTEGER) return true;
        if (this.#number > MAX_GROUPED_SAMPLE) return false; // parseRecord's, and the run stops grouping
        this.sample = Math.max(this.#number, 1);
        return true;
      default:
        return true;
    }
  }

  /** The value at this.#pos: its kind, its range (strings) or number (integers). */
  #value(buf: Uint8Array, end: number): number {
    let i = this.#pos;
    const c = buf[i]!;
    if (c === QUOTE) {
      const e = stringEnd(buf, i + 1, end);
      if (e < 0) return NONE;
      this.#valueStart = i + 1;
      this.#valueEnd = e;
      this.#pos = e + 1;
      return STRING;
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) {
      const negative = c === MINUS;
      if (negative) i++;
      const first = i;
      let n = 0;
      for (;;) {
        const d = buf[i]!;
        if (d < ZERO || d > NINE) break;
        n = n * 10 + (d - ZERO);
        i++;
      }
      const digits = i - first;
      // No digit, a leading zero, or more digits than a double holds exactly: not ours.
      if (digits === 0 || digits > 15 || (digits > 1 && buf[first] === ZERO)) return NONE;
      const after = buf[i];
      if (after !== COMMA && after !== CLOSE_BRACE) return NONE; // a fraction or exponent
      this.#number = negative ? -n : n;
      this.#pos = i;
      return INTEGER;
    }
    if (c === OPEN_BRACKET) {
      i++;
      if (buf[i] !== CLOSE_BRACKET) {
        for (;;) {
          if (buf[i] !== QUOTE) return NONE;
          const e = stringEnd(buf, i + 1, end);
          if (e < 0) return NONE;
          i = e + 1;
          if (buf[i] === CLOSE_BRACKET) break;
          if (buf[i] !== COMMA) return NONE;
          i++;
        }
      }
      this.#pos = i + 1;
      return ARRAY;
    }
    if (word(buf, i, 'null')) {
      this.#pos = i + 4;
      return NULL;
    }
    if (word(buf, i, 'true')) {
      this.#pos = i + 4;
      return OTHER;
    }
    if (word(buf, i, 'false')) {
      this.#pos = i + 5;
      return OTHER;
    }
    return NONE;
  }

  #keyHash(buf: Uint8Array): number {
    let h = this.tcp ? 0x811c9dc5 : 0x050c5d1f;
    h = hashRange(h, buf, this.qnameStart, this.qnameEnd);
    h = hashRange(h, buf, this.qtypeStart, this.qtypeEnd);
    h = this.ecsStart < 0 ? Math.imul(h ^ 0xff, 0x01000193) : hashRange(h, buf, this.ecsStart, this.ecsEnd);
    return hashRange(h, buf, this.resolverStart, this.resolverEnd) >>> 0;
  }
}

const NONE = 0;
const STRING = 1;
const INTEGER = 2;
const NULL = 3;
const ARRAY = 4;
const OTHER = 5;

/** Index of the closing quote of a plain string from `i`; -1 on an escape, a control or a non-ASCII byte. */
function stringEnd(buf: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === QUOTE) return i;
    if (c < 0x20 || c >= 0x7f || c === BACKSLASH) return -1;
  }
  return -1;
}

function word(buf: Uint8Array, i: number, w: string): boolean {
  for (let k = 0; k < w.length; k++) if (buf[i + k] !== w.charCodeAt(k)) return false;
  return true;
}

function hasSlash(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i] === 0x2f) return true;
  return false;
}

function isTcp(buf: Uint8Array, s: number, e: number): boolean {
  return e - s === 3 && buf[s] === 0x74 && buf[s + 1] === 0x63 && buf[s + 2] === 0x70;
}

/** FNV-1a over the range, with its length mixed in so that fields cannot run into each other. */
function hashRange(h: number, buf: Uint8Array, s: number, e: number): number {
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return Math.imul(h ^ (e - s) ^ 0x100, 0x01000193);
}

/** The bit of a field replay reads, 0 for any other key. */
function fieldBit(buf: Uint8Array, ks: number, ke: number): number {
  switch (ke - ks) {
    case 1:
      return buf[ks] === 0x76 ? F_V : 0;
    case 2:
      return word(buf, ks, 'ts') ? F_TS : 0;
    case 3:
      return word(buf, ks, 'ecs') ? F_ECS : 0;
    case 5:
      return word(buf, ks, 'qname') ? F_QNAME : word(buf, ks, 'qtype') ? F_QTYPE : 0;
    case 6:
      return word(buf, ks, 'sample') ? F_SAMPLE : 0;
    case 8:
      return word(buf, ks, 'resolver') ? F_RESOLVER : 0;
    case 9:
      return word(buf, ks, 'transport') ? F_TRANSPORT : 0;
    default:
      return 0;
  }
}
