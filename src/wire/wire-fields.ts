// Small readers for RDATA held as wire bytes, used by the presentation formatters.
import { MAX_LABEL, wireLabelsToName } from './name.js';
import { nameToText } from './name.js';

/** The uncompressed name at `off` as presentation text ("host.example."), or null if malformed. */
export function wireNameAt(b: Uint8Array, off: number): { text: string; next: number } | null {
  let pos = off;
  for (;;) {
    const len = b[pos];
    if (len === undefined || len > MAX_LABEL) return null;
    pos += len + 1;
    if (len === 0) break;
  }
  if (pos > b.length || pos - off > 255) return null;
  try {
    return { text: nameToText(wireLabelsToName(b, off)), next: pos };
  } catch {
    return null;
  }
}

/** One string as a quoted <character-string>: '"' and '\' escaped, non-printables as \DDD. */
export function quotedString(bytes: Uint8Array, from: number, to: number): string {
  let s = '"';
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c === 0x22 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${String(c).padStart(3, '0')}`;
  }
  return `${s}"`;
}

/** A length-prefixed <character-string> at `off`: quoted text and the offset after it. */
export function characterStringAt(b: Uint8Array, off: number): { text: string; next: number } | null {
  const len = b[off];
  if (len === undefined || off + 1 + len > b.length) return null;
  return { text: quotedString(b, off + 1, off + 1 + len), next: off + 1 + len };
}

export function hexUpper(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

export function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}
