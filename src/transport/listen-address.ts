import { steerError } from '../errors.js';
import { parseAddress } from '../net/parse.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** "127.0.0.1:5300", "[::1]:5300", "0.0.0.0:53", "[::]:0" → host, port, family. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const host = m?.[1];
  const port = Number(m?.[2]);
  const ip = host ? parseAddress(host) : null;
  if (!m || ip === null || 'problem' in ip || !Number.isInteger(port) || port < 0 || port > 65535) {
    const why = ip !== null && 'problem' in ip ? ` (${ip.problem})` : '';
    throw steerError('STEER_CLI_USAGE', [`--listen ${text}: expected ADDRESS:PORT, e.g. 127.0.0.1:5300 or [::1]:5300${why}`]);
  }
  return { host: ip.text, port, family: ip.family };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
