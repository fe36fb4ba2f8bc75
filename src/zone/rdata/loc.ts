// LOC (RFC 1876 §3): "d [m [s]] N|S d [m [s]] E|W alt[m] [size[m] [hp[m] [vp[m]]]]" → the
// 16-byte wire form. Latitude and longitude are thousandths of an arc second offset by 2^31,
// altitude is centimetres offset by 100 km, and the three sizes are one byte each:
// mantissa (high nibble) × 10^exponent (low nibble) centimetres.
import type { Token } from '../lexer.js';
import { RDataError } from './fields.js';

const EQUATOR = 2 ** 31;
const ALTITUDE_BASE = 10_000_000; // cm below the reference spheroid that wire value 0 stands for
const MAX_ALTITUDE_CM = 0xffffffff - ALTITUDE_BASE;
const MAX_SIZE_CM = 9_000_000_000; // 9e9 cm: mantissa 9, exponent 9
const DEFAULT_SIZE = 0x12; // 1 m
const DEFAULT_HORIZ = 0x16; // 10 km
const DEFAULT_VERT = 0x13; // 10 m

/** "12.345" with at most `places` decimals → an integer in units of 10^-places; null if not one. */
function fixed(text: string, places: number, signed: boolean): number | null {
  const m = (signed ? /^(-?)(\d+)(?:\.(\d+))?$/ : /^()(\d+)(?:\.(\d+))?$/).exec(text);
  if (m === null) return null;
  const frac = m[3] ?? '';
  if (frac.length > places) return null;
  const v = Number(m[2]) * 10 ** places + Number(frac.padEnd(places, '0'));
  return m[1] === '-' ? -v : v;
}

/** RFC 1876 precsize encoding of a length in centimetres (rounding down, like the RFC's code). */
export function precSize(cm: number): number {
  let exponent = 0;
  while (exponent < 9 && cm >= 10 ** (exponent + 1)) exponent++;
  const mantissa = Math.min(9, Math.floor(cm / 10 ** exponent));
  return (mantissa << 4) | exponent;
}

export function parseLOC(tokens: readonly Token[]): Uint8Array {
  let i = 0;
  const next = (what: string): Token => {
    const t = tokens[i++];
    if (t === undefined) throw new RDataError(`LOC ends before the ${what}`, tokens[tokens.length - 1] ?? null);
    if (t.quoted) throw new RDataError(`LOC ${what} "${t.text}" must not be quoted`, t);
    return t;
  };
  const integer = (t: Token, max: number, what: string): number => {
    if (!/^\d+$/.test(t.text) || Number(t.text) > max) throw new RDataError(`LOC ${what} "${t.text}" must be 0 to ${max}`, t);
    return Number(t.text);
  };
  const coordinate = (maxDegrees: number, positive: string, negative: string, what: string): number => {
    const hemisphere = (t: Token): 1 | -1 | 0 => {
      const u = t.text.toUpperCase();
      return u === positive ? 1 : u === negative ? -1 : 0;
    };
    const degrees = integer(next(`${what} degrees`), maxDegrees, `${what} degrees`);
    let minutes = 0;
    let milliseconds = 0;
    let t = next(`${what} hemisphere (${positive} or ${negative})`);
    if (hemisphere(t) === 0) {
      minutes = integer(t, 59, `${what} minutes`);
      t = next(`${what} hemisphere (${positive} or ${negative})`);
      if (hemisphere(t) === 0) {
        const s = fixed(t.text, 3, false);
        if (s === null || s >= 60_000) throw new RDataError(`LOC ${what} seconds "${t.text}" must be 0 to 59.999`, t);
        milliseconds = s;
        t = next(`${what} hemisphere (${positive} or ${negative})`);
      }
    }
    const sign = hemisphere(t);
    if (sign === 0) throw new RDataError(`LOC ${what} needs ${positive} or ${negative}, got "${t.text}"`, t);
    const value = (degrees * 60 + minutes) * 60 * 1000 + milliseconds;
    if (value > maxDegrees * 3_600_000) throw new RDataError(`LOC ${what} is beyond ${maxDegrees} degrees`, t);
    return EQUATOR + sign * value;
  };
  const latitude = coordinate(90, 'N', 'S', 'latitude');
  const longitude = coordinate(180, 'E', 'W', 'longitude');

  const altTok = next('altitude');
  const altitude = fixed(altTok.text.replace(/[mM]$/, ''), 2, true);
  if (altitude === null || altitude < -ALTITUDE_BASE || altitude > MAX_ALTITUDE_CM) {
    throw new RDataError(`LOC altitude "${altTok.text}" must be -100000.00m to 42849672.95m`, altTok);
  }
  const sizes = [DEFAULT_SIZE, DEFAULT_HORIZ, DEFAULT_VERT];
  const sizeNames = ['size', 'horizontal precision', 'vertical precision'];
  for (let k = 0; k < 3 && i < tokens.length; k++) {
    const t = next(sizeNames[k]!);
    const cm = fixed(t.text.replace(/[mM]$/, ''), 2, false);
    if (cm === null || cm > MAX_SIZE_CM) throw new RDataError(`LOC ${sizeNames[k]} "${t.text}" must be 0m to 90000000.00m`, t);
    sizes[k] = precSize(cm);
  }
  if (i < tokens.length) throw new RDataError(`unexpected "${tokens[i]!.text}" after the LOC vertical precision`, tokens[i]!);

  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  out[0] = 0; // version
  out[1] = sizes[0]!;
  out[2] = sizes[1]!;
  out[3] = sizes[2]!;
  view.setUint32(4, latitude);
  view.setUint32(8, longitude);
  view.setUint32(12, altitude + ALTITUDE_BASE);
  return out;
}
