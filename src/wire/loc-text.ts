// LOC RDATA (RFC 1876) → presentation text, in the layout BIND and Knot print:
// "52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m". null for data that is not a valid LOC.

const EQUATOR = 2 ** 31;
const ALTITUDE_BASE = 10_000_000;

/** One precsize byte → "1m", "0.05m", ...; null when a nibble is above 9. */
function sizeText(byte: number): string | null {
  const mantissa = byte >> 4;
  const exponent = byte & 0x0f;
  if (mantissa > 9 || exponent > 9) return null;
  if (exponent >= 2) return `${mantissa * 10 ** (exponent - 2)}m`;
  const cm = mantissa * 10 ** exponent;
  return `${Math.floor(cm / 100)}.${String(cm % 100).padStart(2, '0')}m`;
}

function coordinateText(raw: number, maxDegrees: number, positive: string, negative: string): string | null {
  const offset = raw - EQUATOR;
  const value = Math.abs(offset);
  if (value > maxDegrees * 3_600_000) return null;
  const ms = value % 1000;
  const seconds = Math.floor(value / 1000) % 60;
  const minutes = Math.floor(value / 60_000) % 60;
  const degrees = Math.floor(value / 3_600_000);
  return `${degrees} ${minutes} ${seconds}.${String(ms).padStart(3, '0')} ${offset < 0 ? negative : positive}`;
}

export function locText(bytes: Uint8Array): string | null {
  if (bytes.length !== 16 || bytes[0] !== 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const size = sizeText(bytes[1]!);
  const horizontal = sizeText(bytes[2]!);
  const vertical = sizeText(bytes[3]!);
  const latitude = coordinateText(view.getUint32(4), 90, 'N', 'S');
  const longitude = coordinateText(view.getUint32(8), 180, 'E', 'W');
  if (size === null || horizontal === null || vertical === null || latitude === null || longitude === null) return null;
  const alt = view.getUint32(12) - ALTITUDE_BASE;
  const cm = Math.abs(alt);
  const altitude = `${alt < 0 ? '-' : ''}${Math.floor(cm / 100)}.${String(cm % 100).padStart(2, '0')}m`;
  return `${latitude} ${longitude} ${altitude} ${size} ${horizontal} ${vertical}`;
}
