// Domain names for the zone area: presentation text (as written in master files) → the canonical
// string form described at the top of wire/types.ts, and label walking over canonical strings.
// Kept here, not shared with src/wire, so the zone area depends only on the wire *types*.

export const MAX_LABEL_BYTES = 63;
export const MAX_NAME_WIRE = 255;

const BACKSLASH = 0x5c;
const DOT = 0x2e;

const utf8 = new TextEncoder();

export type NameParse = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly error: string };

/** Canonical text of one label's bytes: lowercase, "\." "\\" and "\DDD" escapes. */
export function labelText(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x41 && b <= 0x5a) out += String.fromCharCode(b + 0x20);
    else if (b === DOT) out += '\\.';
    else if (b === BACKSLASH) out += '\\\\';
    else if (b >= 0x21 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}

/**
 * A name as written in a master file → canonical form. "@" is the origin, a name without a
 * trailing dot is relative to `origin` (itself canonical). Escapes: "\DDD" (a byte, exactly
 * three digits) and "\X" (X literally, so "\." is a dot inside a label).
 */
export function parseNameText(text: string, origin: string): NameParse {
  if (text === '@') return { ok: true, name: origin };
  if (text === '.') return { ok: true, name: '' };
  if (text === '') return { ok: false, error: 'empty name' };
  const plain = plainName(text, origin);
  if (plain !== null) return { ok: true, name: plain };
  return readNameText(text, origin);
}

/** parseNameText without the plain-name shortcut: reads any name, byte by byte. */
export function readNameText(text: string, origin: string): NameParse {
  if (text === '') return { ok: false, error: 'empty name' };
  const bytes = utf8.encode(text);
  const labels: string[] = [];
  let label: number[] = [];
  let absolute = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === BACKSLASH) {
      const esc = readEscape(bytes, i);
      if (typeof esc === 'string') return { ok: false, error: `${esc} in name "${text}"` };
      label.push(esc.byte);
      i = esc.next - 1;
    } else if (b === DOT) {
      if (label.length === 0) return { ok: false, error: `empty label in name "${text}"` };
      if (label.length > MAX_LABEL_BYTES) return { ok: false, error: `label longer than 63 bytes in name "${text}"` };
      labels.push(labelText(label));
      label = [];
      if (i === bytes.length - 1) absolute = true;
    } else {
      label.push(b);
    }
  }
  if (!absolute) {
    if (label.length > MAX_LABEL_BYTES) return { ok: false, error: `label longer than 63 bytes in name "${text}"` };
    labels.push(labelText(label));
    if (origin !== '') labels.push(origin);
  }
  const name = labels.join('.');
  if (wireLength(name) > MAX_NAME_WIRE) return { ok: false, error: `name "${text}" is longer than 255 bytes` };
  return { ok: true, name };
}

/**
 * The common case of parseNameText without allocating: a name of printable ASCII without
 * escapes (so its text is already canonical once lowercased), no empty or over-long label, and
 * within 255 bytes. Returns null for anything else, which parseNameText then reads in full.
 * Not for "@", "." or "".
 */
export function plainName(text: string, origin: string): string | null {
  let label = 0;
  let upper = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (label === 0 || label > MAX_LABEL_BYTES) return null;
      label = 0;
    } else if (c < 0x21 || c > 0x7e || c === BACKSLASH) {
      return null;
    } else {
      if (c >= 0x41 && c <= 0x5a) upper = true;
      label++;
    }
  }
  if (label > MAX_LABEL_BYTES) return null;
  // Printable ASCII without escapes: one byte per character, and each dot is a length byte.
  if (label === 0) return n + 1 > MAX_NAME_WIRE ? null : (upper ? text.toLowerCase() : text).slice(0, -1);
  if (origin === '') return n + 2 > MAX_NAME_WIRE ? null : upper ? text.toLowerCase() : text;
  if (n + 1 + originWireLength(origin) > MAX_NAME_WIRE) return null;
  // toLowerCase also turns the concatenation into one flat string: names are kept for the life
  // of a zone, and a concatenated string costs an extra object each (30 MB per million names).
  return `${text}.${origin}`.toLowerCase();
}

// A file's names share one origin: remember the last one's length instead of rescanning it.
let lastOrigin = '';
let lastOriginWire = 1;
function originWireLength(origin: string): number {
  if (origin !== lastOrigin) {
    lastOriginWire = wireLength(origin);
    lastOrigin = origin;
  }
  return lastOriginWire;
}

/**
 * Reads the escape starting at bytes[i] (a backslash): "\DDD" or "\X". Returns the byte and the
 * index after the escape, or an error text.
 */
export function readEscape(bytes: Uint8Array, i: number): { byte: number; next: number } | string {
  const c = bytes[i + 1];
  if (c === undefined) return 'dangling backslash';
  if (c >= 0x30 && c <= 0x39) {
    const d2 = bytes[i + 2];
    const d3 = bytes[i + 3];
    if (d2 === undefined || d3 === undefined || d2 < 0x30 || d2 > 0x39 || d3 < 0x30 || d3 > 0x39) {
      return 'bad \\DDD escape (needs exactly three digits)';
    }
    const v = (c - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30);
    if (v > 255) return `\\${v} is not a byte value`;
    return { byte: v, next: i + 4 };
  }
  return { byte: c, next: i + 2 };
}

/** Uncompressed wire length of a canonical name, including the root byte. */
export function wireLength(name: string): number {
  if (name === '') return 1;
  let n = 2; // first label's length byte + root byte
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH) {
      const next = name.charCodeAt(i + 1);
      i += next >= 0x30 && next <= 0x39 ? 3 : 1;
      n++;
    } else {
      n++; // a byte, or a '.' that stands for the next label's length byte
    }
  }
  return n;
}

/** Index of the first label separator of a canonical name, or -1 for a single label. */
export function firstDot(name: string): number {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === DOT) return i;
  }
  return -1;
}

/** The name one label up ("" for a single label). Not meaningful for the root. */
export function parentName(name: string): string {
  const i = firstDot(name);
  return i < 0 ? '' : name.slice(i + 1);
}

/** The leftmost label of a canonical name, still in canonical (escaped) text. */
export function firstLabel(name: string): string {
  const i = firstDot(name);
  return i < 0 ? name : name.slice(0, i);
}

/** True when `name` is `origin` or below it, comparing whole labels. */
export function isInZone(name: string, origin: string): boolean {
  if (origin === '' || name === origin) return true;
  const cut = name.length - origin.length - 1;
  if (cut <= 0 || !name.endsWith(origin) || name.charCodeAt(cut) !== DOT) return false;
  // The dot separates labels only if it is not itself escaped: an odd run of backslashes
  // before it escapes it ("a\.example.com" is not in "example.com").
  let slashes = 0;
  for (let i = cut - 1; i >= 0 && name.charCodeAt(i) === BACKSLASH; i--) slashes++;
  return slashes % 2 === 0;
}

/** True for a wildcard owner ("*" as the leftmost label). */
export function isWildcardName(name: string): boolean {
  return name === '*' || name.startsWith('*.');
}

/** Wildcard name directly below `name`. */
export function wildcardOf(name: string): string {
  return name === '' ? '*' : `*.${name}`;
}

/** Presentation form with the trailing dot, for messages ("" → "."). */
export function absoluteText(name: string): string {
  return `${name}.`;
}

/**
 * Reads an uncompressed wire name at bytes[offset] (as found in RFC 3597 generic RDATA).
 * Returns the canonical name and the offset after it, or an error text.
 */
export function readWireName(bytes: Uint8Array, offset: number): { name: string; next: number } | string {
  const labels: string[] = [];
  let i = offset;
  let total = 1;
  for (;;) {
    const len = bytes[i];
    if (len === undefined) return 'name runs past the end of the data';
    if (len === 0) break;
    if (len > MAX_LABEL_BYTES) return len >= 0xc0 ? 'compressed name not allowed here' : 'bad label length';
    if (i + 1 + len > bytes.length) return 'name runs past the end of the data';
    total += len + 1;
    if (total > MAX_NAME_WIRE) return 'name longer than 255 bytes';
    labels.push(labelText(bytes.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return { name: labels.join('.'), next: i + 1 };
}
