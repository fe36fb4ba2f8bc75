// NOTIFY (RFC 1996): tell a secondary that a zone has a new serial, over UDP, retrying with a
// doubling timeout until it answers. A newer serial for the same zone and secondary replaces a
// NOTIFY still being retried.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { encodeReply } from '../wire/encode.js';
import { nameToWire } from '../wire/name.js';
import { Opcode, RRClass, RRType, type RR } from '../wire/types.js';
import { parseListenAddress } from '../transport/listen-address.js';
import type { Logger } from '../server/logger.js';
import type { TsigKey } from './tsig-keys.js';
import { signRequest } from './tsig.js';

export interface NotifyOptions {
  readonly retries: number;
  readonly timeoutMs: number;
}

export type NotifyOutcome = 'acknowledged' | 'failed';

/** The NOTIFY message for `zone` with its new SOA in the answer section (§3.7). */
export function notifyMessage(id: number, zone: string, soa: RR, key: TsigKey | null): Buffer {
  const bytes = encodeReply(
    {
      id,
      opcode: Opcode.NOTIFY,
      rcode: 0,
      aa: true,
      rd: false,
      cd: false,
      question: { qnameWire: nameToWire(zone), qname: zone, qtype: RRType.SOA, qclass: RRClass.IN },
      answer: [[soa]],
      authority: [],
      additional: [],
      edns: null,
    },
    65535,
  );
  bytes[2] = bytes[2]! & 0x7f; // a request: QR clear
  return key === null ? bytes : signRequest(bytes, key, Math.floor(Date.now() / 1000));
}

export class Notifier {
  /** In-flight NOTIFYs by "zone target": a newer serial cancels the older one's retries. */
  private readonly inFlight = new Map<string, () => void>();
  private closed = false;

  constructor(
    private readonly logger: Logger,
    private readonly onOutcome: (zone: string, outcome: NotifyOutcome) => void,
  ) {}

  notify(zone: string, soa: RR, targets: readonly string[], key: TsigKey | null, options: NotifyOptions): void {
    for (const target of targets) {
      const id = `${zone} ${target}`;
      this.inFlight.get(id)?.();
      const cancel = this.send(zone, soa, target, key, options, () => {
        if (this.inFlight.get(id) === cancel) this.inFlight.delete(id);
      });
      this.inFlight.set(id, cancel);
    }
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.inFlight.values()) cancel();
    this.inFlight.clear();
  }

  /** Sends and retries; returns a function that stops it. */
  private send(zone: string, soa: RR, target: string, key: TsigKey | null, options: NotifyOptions, done: () => void): () => void {
    const addr = parseListenAddress(target);
    const socket = dgram.createSocket(addr.family === 6 ? 'udp6' : 'udp4');
    const serial = soa.data.kind === 'soa' ? soa.data.serial : 0;
    const id = randomInt(0, 65536);
    let attempt = 0;
    let timer: NodeJS.Timeout | null = null;
    let finished = false;
    const finish = (outcome: NotifyOutcome | null): void => {
      if (finished) return;
      finished = true;
      if (timer !== null) clearTimeout(timer);
      socket.close();
      done();
      if (outcome !== null) this.onOutcome(zone, outcome);
    };
    const attemptOnce = (): void => {
      if (finished || this.closed) return;
      if (attempt > options.retries) {
        this.logger.warn({ zone, target, serial, attempts: attempt }, `NOTIFY for ${zone} to ${target}: no answer; giving up`);
        finish('failed');
        return;
      }
      const message = notifyMessage(id, zone, soa, key);
      socket.send(message, addr.port, addr.host);
      timer = setTimeout(attemptOnce, options.timeoutMs * 2 ** attempt);
      timer.unref();
      attempt++;
    };
    socket.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg[2]! & 0x80) === 0 || ((msg[2]! >> 3) & 0x0f) !== Opcode.NOTIFY) return;
      const rcode = msg[3]! & 0x0f;
      if (rcode === 0) {
        this.logger.info({ zone, target, serial }, `NOTIFY for ${zone} serial ${serial} acknowledged by ${target}`);
        finish('acknowledged');
      } else {
        this.logger.warn({ zone, target, serial, rcode }, `NOTIFY for ${zone} to ${target}: answered with rcode ${rcode}`);
        finish('failed');
      }
    });
    socket.on('error', (err) => {
      this.logger.warn({ zone, target, err: err.message }, `NOTIFY for ${zone} to ${target} failed`);
      finish('failed');
    });
    socket.bind(0, addr.family === 6 ? '::' : '0.0.0.0', () => attemptOnce());
    socket.unref();
    return () => finish(null);
  }
}
