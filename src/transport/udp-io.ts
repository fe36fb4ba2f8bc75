// Which UDP I/O path a server uses: `--udp-io auto|batch|dgram`. auto takes the batched addon
// when it loaded and node:dgram otherwise; batch insists on the addon (a start fails without it).
import { steerError } from '../errors.js';
import { udpBatchAddon, type AddonLoad, type UdpBatchAddon } from './udp-batch-addon.js';

export const UDP_IO_MODES = ['auto', 'batch', 'dgram'] as const;
export type UdpIoMode = (typeof UDP_IO_MODES)[number];

/** Counters of one batched socket (or their sum), as /metrics reads them at scrape time. */
export interface UdpIoStats {
  /** recvmmsg calls that returned datagrams: one JavaScript call each. */
  batches: number;
  received: number;
  sent: number;
  /** Replies that met a full socket and went out once it drained. */
  deferred: number;
  /** Replies waiting for the socket to drain right now. */
  pending: number;
  /** Replies the kernel refused (not for a full socket). */
  dropped: number;
  /** recvmmsg and sendmmsg calls, for syscalls per query. */
  recvCalls: number;
  sendCalls: number;
}

export function emptyUdpIoStats(): UdpIoStats {
  return { batches: 0, received: 0, sent: 0, deferred: 0, pending: 0, dropped: 0, recvCalls: 0, sendCalls: 0 };
}

export function addUdpIoStats(sum: UdpIoStats, s: UdpIoStats): void {
  for (const k of Object.keys(sum) as (keyof UdpIoStats)[]) sum[k] += s[k];
}

export type UdpIoChoice = { readonly io: 'batch'; readonly addon: UdpBatchAddon } | { readonly io: 'dgram'; readonly why: string };

/** The path for `mode`; throws STEER_UDP_IO when batch is asked for and the addon is missing. */
export function chooseUdpIo(mode: UdpIoMode, load: AddonLoad = udpBatchAddon()): UdpIoChoice {
  if (mode === 'dgram') return { io: 'dgram', why: '--udp-io dgram' };
  if (load.addon !== null) return { io: 'batch', addon: load.addon };
  if (mode === 'batch') throw steerError('STEER_UDP_IO', [load.reason]);
  return { io: 'dgram', why: `batched UDP addon not loaded: ${load.reason}` };
}
