import { isIP } from 'node:net';
import { steerError } from '../errors.js';

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
  const family = host ? isIP(host) : 0;
  if (!m || !host || family === 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw steerError('STEER_CLI_USAGE', [`--listen ${text}: expected ADDRESS:PORT, e.g. 127.0.0.1:5300 or [::1]:5300`]);
  }
  return { host, port, family: family as 4 | 6 };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
