// A fast path for reading a query record line: the writer emits flat objects of plain strings,
// integers, null, booleans and arrays of strings, and JSON.parse with its generic object
// building was the largest cost of a replay. This scanner takes exactly that shape and returns
// undefined for anything else (escapes, fractions, nesting, bad syntax), so the caller falls
// back to JSON.parse: every line gets the same value or the same error as before.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The object on `line`, or undefined when the line is not in the simple shape (not an error). */
export function scanFlatObject(line: string): Record<string, unknown> | undefined {
  const n = line.length;
  let i = skip(line, 0);
  if (line.charCodeAt(i) !== 0x7b) return undefined; // {
  const o: Record<string, unknown> = {};
  i = skip(line, i + 1);
  if (line.charCodeAt(i) === 0x7d) return skip(line, i + 1) === n ? o : undefined; // {}
  for (;;) {
    if (line.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(line, i + 1);
    if (keyEnd < 0) return undefined;
    const key = line.slice(i + 1, keyEnd);
    // A "__proto__" key is an own property for JSON.parse, a prototype change here: leave it to it.
    if (key === '__proto__') return undefined;
    i = skip(line, keyEnd + 1);
    if (line.charCodeAt(i) !== 0x3a) return undefined; // :
    i = skip(line, i + 1);
    const c = line.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(line, i + 1);
      if (end < 0) return undefined;
      o[key] = line.slice(i + 1, end);
      i = end + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = integerEnd(line, i);
      if (end < 0) return undefined;
      o[key] = Number(line.slice(i, end));
      i = end;
    } else if (c === 0x5b) {
      const arr: string[] = [];
      i = skip(line, i + 1);
      if (line.charCodeAt(i) !== 0x5d) {
        for (;;) {
          if (line.charCodeAt(i) !== QUOTE) return undefined;
          const end = stringEnd(line, i + 1);
          if (end < 0) return undefined;
          arr.push(line.slice(i + 1, end));
          i = skip(line, end + 1);
          const d = line.charCodeAt(i);
          if (d === 0x5d) break;
          if (d !== 0x2c) return undefined;
          i = skip(line, i + 1);
        }
      }
      o[key] = arr;
      i++;
    } else if (line.startsWith('null', i)) {
      o[key] = null;
      i += 4;
    } else if (line.startsWith('true', i)) {
      o[key] = true;
      i += 4;
    } else if (line.startsWith('false', i)) {
      o[key] = false;
      i += 5;
    } else return undefined;
    i = skip(line, i);
    const d = line.charCodeAt(i);
    if (d === 0x7d) return skip(line, i + 1) === n ? o : undefined;
    if (d !== 0x2c) return undefined;
    i = skip(line, i + 1);
  }
}

function skip(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** Index of the closing quote of a string starting at `i`; -1 on an escape or control character. */
function stringEnd(s: string, i: number): number {
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/** End of a JSON integer (-?(0|[1-9][0-9]*)) at `i` of at most 15 digits (exact); -1 otherwise. */
function integerEnd(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x2d) i++;
  const start = i;
  const first = s.charCodeAt(i);
  if (first === 0x30) i++;
  else while (s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === start || i - start > 15) return -1;
  const c = s.charCodeAt(i);
  // A fraction, an exponent or "01": JSON.parse decides.
  if (c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) return -1;
  return i;
}
