// Loads the batched UDP addon (native/udp_batch.c, built at npm install by
// scripts/build-native.mjs) once per process. A missing or broken addon is not an error here:
// the caller falls back to node:dgram and says why, once.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What native/udp_batch.c's open() returns: one bound socket and the memory it shares. */
export interface NativeUdpSocket {
  readonly port: number;
  readonly batch: number;
  readonly slotSize: number;
  readonly slotStride: number;
  readonly metaInts: number;
  /** Received datagrams, one per slot. */
  readonly in: ArrayBuffer;
  /** Per slot: length, family, flags (1 = truncated), port, then 16 address bytes. */
  readonly meta: ArrayBuffer;
  /** Replies, one per slot: reply i goes to the sender of datagram i. */
  readonly out: ArrayBuffer;
  /** Per slot: the reply's length, 0 for none. */
  readonly outLen: ArrayBuffer;
  /** Float64 counters, named by the addon's statNames. */
  readonly stats: ArrayBuffer;
  /** IP_MTU_DISCOVER (IPV6_MTU_DISCOVER) as the kernel holds it: PMTU_DISCOVERY_OMIT when set. */
  readonly pmtuDiscover: number;
  close(): void;
}

/** Linux's IP_PMTUDISC_OMIT (and IPV6_PMTUDISC_OMIT): interface MTU, no DF bit, ICMP "fragmentation needed" ignored. */
export const PMTU_DISCOVERY_OMIT = 5;

export interface NativeOpenOptions {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly reusePort: boolean;
  readonly batch: number;
  readonly recvBufferSize: number;
  readonly sendBufferSize: number;
}

export interface UdpBatchAddon {
  open(options: NativeOpenOptions, onBatch: (count: number) => void): NativeUdpSocket;
  readonly statNames: readonly string[];
}

export type AddonLoad = { readonly addon: UdpBatchAddon; readonly file: string } | { readonly addon: null; readonly reason: string };

/** Where the build script puts the addon: native/build/Release, two levels above src/transport or dist/transport. */
export function defaultAddonFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', '..', 'native', 'build', 'Release', 'udp_batch.node');
}

/** Loads the addon at `file`; never throws. */
export function loadUdpBatchAddon(file: string = defaultAddonFile()): AddonLoad {
  if (process.platform !== 'linux') return { addon: null, reason: 'recvmmsg/sendmmsg are Linux system calls' };
  try {
    const required = createRequire(import.meta.url)(file) as Partial<UdpBatchAddon>;
    if (typeof required.open !== 'function' || !Array.isArray(required.statNames)) {
      return { addon: null, reason: `${file} is not the steerdns UDP addon` };
    }
    return { addon: required as UdpBatchAddon, file };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'MODULE_NOT_FOUND' ? `${file} is not built (npm install builds it; it needs python3, make and a C compiler)` : e.message;
    return { addon: null, reason: why };
  }
}

let loaded: AddonLoad | null = null;

/** The process's addon, loaded on first use (STEERDNS_UDP_ADDON names another file, for tests). */
export function udpBatchAddon(): AddonLoad {
  loaded ??= loadUdpBatchAddon(process.env.STEERDNS_UDP_ADDON || undefined);
  return loaded;
}
