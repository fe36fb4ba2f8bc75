// Zone transfers to secondaries: which version of each zone is offered (a new one only when its
// serial increases), the IXFR journal between offered versions, answering AXFR/IXFR requests
// (streamed over TCP, a chunk per turn of the event loop, so queries keep being answered), TSIG
// on requests and replies, the per-zone ACLs, and NOTIFY on every new serial.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StateHolder, ServingState } from '../config/state.js';
import { steerError } from '../errors.js';
import type { Logger } from '../server/logger.js';
import { Opcode, RRClass, RRType, Rcode, type RR } from '../wire/types.js';
import type { Zone } from '../zone/types.js';
import { TransferAcl } from './acl.js';
import { diffRecords, ixfrRecords, Journal, soaSerial, type JournalLimits } from './journal.js';
import { chunks, recordsSize, replyMessage } from './messages.js';
import { Notifier, type NotifyOutcome } from './notify.js';
import { readSignedRequest, type SignedRequest } from './request.js';
import { TRANSFER_DEFAULTS, type TransferSettings, type TransferZoneSettings } from './settings.js';
import { appendTsigError, RCODE_NOTAUTH, serverTimeOther, TsigError, type TsigSigner, verifyRequest } from './tsig.js';
import { loadKeyFiles, type TsigKey } from './tsig-keys.js';
import { lbSnapshot } from './lb-snapshot.js';
import { SnapshotThrottle } from './snapshot-throttle.js';
import { patchSoaSerials } from './soa-serial-patch.js';
import { recordKey, serialNewer, transferRecords } from './zone-records.js';

export type TransferKind = 'axfr' | 'ixfr' | 'notify';
/**
 * full: the whole zone (AXFR, or IXFR answered with the whole zone); incremental: IXFR from the
 * journal; current: the client already has the serial (the SOA alone); refused: outside the
 * ACL or not a zone we serve; notauth: TSIG failed; acknowledged/failed: NOTIFY.
 */
export type TransferOutcome = 'full' | 'incremental' | 'current' | 'refused' | 'notauth' | 'acknowledged' | 'failed' | 'aborted';

/** One counter per (zone, kind, outcome); the zone is "" when the request named none of ours. */
export interface TransferCount {
  readonly zone: string;
  readonly kind: TransferKind;
  readonly outcome: TransferOutcome;
  readonly count: number;
}

export interface ZoneTransferStatus {
  readonly zone: string;
  /** Serial offered to secondaries (may lag the served one when a reload did not raise it). */
  readonly serial: number;
  readonly journalVersions: number;
  readonly journalBytes: number;
  readonly notify: readonly string[];
}

/** A version of a zone offered to secondaries. */
interface Offered {
  /** The zone file version it is built from. */
  readonly zone: Zone;
  /** The last zone file version looked at (differs from `zone` after a reload that was not offered). */
  readonly seen: Zone;
  /** The SOA secondaries get: the file's, with the transfer serial (above the file's after snapshots). */
  readonly soa: RR;
  /** The load-balancer snapshot (lb: snapshot); empty with lb: omit. */
  readonly lb: readonly RR[];
  records: RR[] | null;
}

/** What to send for one request; `messages` is walked lazily, one message per turn. */
interface Plan {
  readonly zone: string;
  readonly kind: TransferKind;
  readonly outcome: TransferOutcome;
  readonly signer: TsigSigner | null;
  readonly messages: Iterable<Buffer>;
}

export interface TransferServiceOptions {
  readonly state: StateHolder;
  readonly logger: Logger;
  readonly settings: TransferSettings;
  /** Send NOTIFYs (false in cluster workers: their primary sends them). */
  readonly sendNotify: boolean;
}

/** What we send over UDP to a client with EDNS (the pipeline's limit, DNS flag day 2020). */
const UDP_LIMIT_EDNS = 1232;
const now = (): number => Math.floor(Date.now() / 1000);

export class TransferService {
  private settings: TransferSettings;
  private keys: ReadonlyMap<string, TsigKey> = new Map();
  private acls = new Map<string, TransferAcl>();
  private readonly offered = new Map<string, Offered>();
  private readonly journals = new Map<string, Journal>();
  private readonly throttles = new Map<string, SnapshotThrottle>();
  /** Zones whose transfer serial is above their file's, with that serial: the SOA queries get. */
  private raised: ReadonlyMap<string, number> = new Map();
  private readonly raisedSerial = (owner: string): number | null => this.raised.get(owner) ?? null;
  private readonly counts = new Map<string, number>();
  private readonly notifier: Notifier | null;
  private readonly logger: Logger;
  private readonly onSwap = (next: ServingState): void => this.sync(next);

  constructor(private readonly opts: TransferServiceOptions) {
    this.logger = opts.logger;
    this.settings = opts.settings;
    this.notifier = opts.sendNotify ? new Notifier(this.logger, (zone, outcome) => this.count(zone, 'notify', outcome)) : null;
    const problems = this.apply(opts.settings);
    if (problems !== null) throw problems[0];
    this.sync(opts.state.current, false);
    opts.state.on('swap', this.onSwap);
  }

  /** New settings (SIGHUP). A key file that no longer loads keeps every previous setting. */
  update(settings: TransferSettings): boolean {
    const problems = this.apply(settings);
    if (problems !== null) {
      for (const e of problems) this.logger.error({ code: e.code, file: e.file, line: e.line }, e.describe());
      this.logger.error('transfer settings not applied: the previous keys and ACLs stay in force');
      return false;
    }
    return true;
  }

  private apply(settings: TransferSettings): ReturnType<typeof steerError>[] | null {
    const loaded = loadKeyFiles(settings.key_files ?? []);
    if ('errors' in loaded) return [...loaded.errors];
    const acls = new Map<string, TransferAcl>();
    for (const [zone, z] of Object.entries(settings.zones ?? {})) acls.set(zoneKey(zone), new TransferAcl(z));
    this.settings = settings;
    this.keys = loaded.keys;
    this.acls = acls;
    for (const j of this.journals.values()) j.setLimits(this.limits());
    for (const t of this.throttles.values()) t.setInterval(this.snapshotIntervalMs());
    return null;
  }

  close(): void {
    this.opts.state.off('swap', this.onSwap);
    this.notifier?.close();
    for (const t of this.throttles.values()) t.close();
    this.throttles.clear();
  }

  private limits(): JournalLimits {
    return {
      maxVersions: this.settings.journal_versions ?? TRANSFER_DEFAULTS.journalVersions,
      maxBytes: this.settings.journal_bytes ?? TRANSFER_DEFAULTS.journalBytes,
    };
  }

  private zoneSettings(origin: string): TransferZoneSettings | null {
    for (const [zone, z] of Object.entries(this.settings.zones ?? {})) if (zoneKey(zone) === origin) return z;
    return null;
  }

  private snapshotIntervalMs(): number {
    return (this.settings.snapshot_interval ?? TRANSFER_DEFAULTS.snapshotIntervalMs / 1000) * 1000;
  }

  private snapshotMode(origin: string): boolean {
    return this.zoneSettings(origin)?.lb === 'snapshot';
  }

  private throttle(origin: string): SnapshotThrottle {
    let t = this.throttles.get(origin);
    if (t === undefined) {
      t = new SnapshotThrottle(this.snapshotIntervalMs(), () => this.snapshot(origin));
      this.throttles.set(origin, t);
    }
    return t;
  }

  /**
   * After a swap: offer every zone whose file serial went up, journal the change and NOTIFY. A
   * swap that leaves the file alone (a health change) may change a snapshot: that is throttled.
   */
  private sync(state: ServingState, notify = true): void {
    for (const origin of [...this.offered.keys()]) {
      if (!state.origins.has(origin)) {
        this.offered.delete(origin);
        this.journals.delete(origin);
        this.throttles.get(origin)?.close();
        this.throttles.delete(origin);
      }
    }
    for (const [origin, config] of state.origins) {
      const zone = config.zone;
      const before = this.offered.get(origin);
      const snapshot = this.snapshotMode(origin);
      if (before === undefined) {
        const lb = snapshot ? lbSnapshot(zone, state.lb.get(origin)) : [];
        this.offered.set(origin, { zone, seen: zone, soa: zone.soa, lb, records: null });
        this.journals.set(origin, new Journal(this.limits()));
        if (snapshot) this.throttle(origin).ran();
        continue;
      }
      if (before.seen === zone) {
        if (snapshot) this.throttle(origin).request();
        continue;
      }
      const step = diffRecords(before.zone.soa, transferRecords(before.zone).slice(1), zone.soa, transferRecords(zone).slice(1));
      if (!serialNewer(zone.serial, before.zone.serial)) {
        if (step.added.length === 0 && step.deleted.length === 0 && zone.serial === before.zone.serial) {
          // Reparsed, nothing changed.
          this.offered.set(origin, { ...before, zone, seen: zone, records: before.records });
          if (snapshot) this.throttle(origin).request();
          continue;
        }
        this.offered.set(origin, { ...before, seen: zone });
        const e = steerError('STEER_TRANSFER_SERIAL', [origin, zone.serial, `reload (offered: ${before.zone.serial})`], {
          file: zone.file,
        });
        this.logger.error({ code: e.code, zone: origin, file: zone.file, serial: zone.serial, offered: before.zone.serial }, e.describe());
        continue;
      }
      // The file's serial, unless snapshots already took the transfer serial past it.
      const offered = soaSerial(before.soa);
      const serial = serialNewer(zone.serial, offered) ? zone.serial : (offered + 1) >>> 0;
      const lb = snapshot ? lbSnapshot(zone, state.lb.get(origin)) : [];
      if (snapshot) this.throttle(origin).ran();
      this.offer(origin, before, { zone, seen: zone, soa: withSerial(zone.soa, serial), lb, records: null }, notify, 'reload');
    }
    this.refreshRaised(state);
  }

  private refreshRaised(state: ServingState): void {
    const raised = new Map<string, number>();
    for (const [origin, o] of this.offered) {
      // A signed zone keeps the file's SOA in answers: its RRSIG covers that serial.
      if (o.soa !== o.zone.soa && !state.origins.get(origin)?.signing) raised.set(origin, soaSerial(o.soa));
    }
    this.raised = raised;
  }

  /**
   * A query's reply with every SOA of a zone whose transfer serial is above its file's carrying
   * the transfer serial, so queries and secondaries see one serial; null: nothing to change.
   */
  patchReply(reply: Uint8Array): Buffer | null {
    return this.raised.size === 0 ? null : patchSoaSerials(reply, this.raisedSerial);
  }

  /** A snapshot run: a new serial when the default answer of some load-balanced name changed. */
  private snapshot(origin: string): void {
    const before = this.offered.get(origin);
    if (before === undefined || !this.snapshotMode(origin)) return;
    const lb = lbSnapshot(before.zone, this.opts.state.current.lb.get(origin));
    if (sameRecords(lb, before.lb)) return;
    const serial = (soaSerial(before.soa) + 1) >>> 0;
    this.offer(origin, before, { ...before, soa: withSerial(before.soa, serial), lb, records: null }, true, 'snapshot');
    this.refreshRaised(this.opts.state.current);
  }

  private offer(origin: string, before: Offered, next: Offered, notify: boolean, cause: 'reload' | 'snapshot'): void {
    const step = diffRecords(before.soa, offeredRecords(before).slice(1), next.soa, offeredRecords(next).slice(1));
    this.journals.get(origin)!.add(step);
    this.offered.set(origin, next);
    const serial = soaSerial(next.soa);
    this.logger.info(
      { zone: origin, serial, previous: soaSerial(before.soa), added: step.added.length, deleted: step.deleted.length, cause },
      `zone ${origin}: serial ${serial} offered to secondaries`,
    );
    const z = this.zoneSettings(origin);
    if (notify && this.notifier !== null && z?.notify !== undefined && z.notify.length > 0) {
      const key = z.notify_key === undefined ? null : (this.keys.get(zoneKey(z.notify_key)) ?? null);
      this.notifier.notify(origin, next.soa, z.notify, key, {
        retries: this.settings.notify_retries ?? TRANSFER_DEFAULTS.notifyRetries,
        timeoutMs: (this.settings.notify_timeout ?? TRANSFER_DEFAULTS.notifyTimeoutMs / 1000) * 1000,
      });
    }
  }

  /**
   * Answers a message that is not a TCP transfer but must not go to the plain pipeline as it is:
   * an IXFR over UDP, an AXFR over UDP, or any query carrying TSIG. null: malformed, let the
   * pipeline answer it (FORMERR). `answerPlain` answers an unsigned query the usual way.
   */
  answerMessage(
    packet: Uint8Array,
    client: string,
    transport: 'udp' | 'tcp',
    answerPlain: (unsigned: Uint8Array) => Buffer | null,
  ): Buffer | null {
    const request = readSignedRequest(packet);
    if (request === null) return null;
    const udpLimit = transport === 'tcp' ? 65535 : request.edns ? UDP_LIMIT_EDNS : 512;
    const checked = this.checkTsig(request, client);
    if ('reply' in checked) return checked.reply;
    const signer = checked.signer;
    const sign = (bytes: Buffer): Buffer => (signer === null ? bytes : signer.sign(bytes, now()));
    const isXfr = request.qtype === RRType.AXFR || request.qtype === RRType.IXFR;
    if (!isXfr || request.opcode !== Opcode.QUERY) {
      const bytes = answerPlain(request.unsigned);
      return bytes === null ? null : sign(bytes);
    }
    // A transfer over UDP: AXFR is not defined there (RFC 5936 §4.2); IXFR gets the SOA alone or
    // the whole difference when it fits (RFC 1995 §2).
    const zone = this.admit(request, client, signer, 'udp');
    if ('reply' in zone) return zone.reply;
    if (request.qtype === RRType.AXFR) return sign(replyMessage(request, Rcode.FORMERR, [], true, 512));
    const soa = zone.offered.soa;
    if (request.clientSerial !== null && !serialNewer(soaSerial(soa), request.clientSerial)) {
      this.count(zone.origin, 'ixfr', 'current');
      return sign(replyMessage(request, Rcode.NOERROR, [soa], true, udpLimit));
    }
    const steps = request.clientSerial === null ? null : this.journals.get(zone.origin)!.from(request.clientSerial);
    if (steps !== null) {
      const records = ixfrRecords(soa, steps);
      if (recordsSize(records) + 300 <= udpLimit) {
        this.count(zone.origin, 'ixfr', 'incremental');
        return sign(replyMessage(request, Rcode.NOERROR, records, true, udpLimit));
      }
    }
    // Too big for a datagram, or not in the journal: the current SOA tells the client to use TCP.
    this.count(zone.origin, 'ixfr', 'current');
    return sign(replyMessage(request, Rcode.NOERROR, [soa], true, udpLimit));
  }

  /** AXFR/IXFR over TCP: every message, in order, through `send` (which resolves when the socket can take more). */
  async stream(packet: Uint8Array, client: string, send: (message: Buffer) => Promise<boolean>): Promise<void> {
    const plan = this.plan(packet, client);
    if (plan === null) return;
    let sent = 0;
    for (const message of plan.messages) {
      const signed = plan.signer === null ? message : plan.signer.sign(message, now());
      if (!(await send(signed))) {
        this.count(plan.zone, plan.kind, 'aborted');
        this.logger.info({ zone: plan.zone, client, kind: plan.kind, messages: sent }, 'zone transfer aborted: the connection closed');
        return;
      }
      sent++;
      // Queries on every other connection are answered between two messages of a transfer.
      await nextTurn();
    }
    // Refusals and TSIG failures were counted (and logged) where they were decided.
    if (plan.outcome !== 'refused' && plan.outcome !== 'notauth') this.count(plan.zone, plan.kind, plan.outcome);
    if (plan.outcome === 'full' || plan.outcome === 'incremental') {
      this.logger.info(
        { zone: plan.zone, client, kind: plan.kind, outcome: plan.outcome, messages: sent },
        `zone ${plan.zone} transferred`,
      );
    }
  }

  private plan(packet: Uint8Array, client: string): Plan | null {
    const request = readSignedRequest(packet);
    if (request === null) {
      return { zone: '', kind: 'axfr', outcome: 'refused', signer: null, messages: [formerr(packet)].filter((m) => m !== null) };
    }
    const kind: TransferKind = request.qtype === RRType.IXFR ? 'ixfr' : 'axfr';
    const checked = this.checkTsig(request, client);
    if ('reply' in checked) return { zone: '', kind, outcome: 'notauth', signer: null, messages: [checked.reply] };
    const signer = checked.signer;
    const admitted = this.admit(request, client, signer, 'tcp');
    if ('reply' in admitted) return { zone: admitted.origin, kind, outcome: 'refused', signer: null, messages: [admitted.reply] };
    const { origin, offered } = admitted;
    const soa = offered.soa;
    if (kind === 'ixfr' && request.clientSerial !== null) {
      if (!serialNewer(soaSerial(soa), request.clientSerial)) {
        return { zone: origin, kind, outcome: 'current', signer, messages: [replyMessage(request, Rcode.NOERROR, [soa], true)] };
      }
      const steps = this.journals.get(origin)!.from(request.clientSerial);
      if (steps !== null) {
        return { zone: origin, kind, outcome: 'incremental', signer, messages: messagesOf(request, ixfrRecords(soa, steps)) };
      }
    }
    // AXFR, or an IXFR the journal cannot answer: the whole zone, SOA first and last (RFC 5936
    // §2.2, RFC 1995 §4).
    const records = offeredRecords(offered);
    return { zone: origin, kind, outcome: 'full', signer, messages: messagesOf(request, withTrailingSoa(records)) };
  }

  /** TSIG: the signer for the replies (null: unsigned request), or the NOTAUTH reply to send. */
  private checkTsig(request: SignedRequest, client: string): { signer: TsigSigner | null } | { reply: Buffer } {
    const verdict = verifyRequest(request, this.keys, now());
    if (verdict === null) return { signer: null };
    if (verdict.ok) return { signer: verdict.signer };
    const name = TSIG_ERROR_NAMES[verdict.error] ?? String(verdict.error);
    this.logger.warn(
      { client, key: verdict.tsig.keyName, tsigError: name, qname: request.qname, qtype: request.qtype },
      `TSIG check failed (${name}) for a request from ${client} with key ${verdict.tsig.keyName}`,
    );
    this.count(this.originOf(request.qname) ?? '', request.qtype === RRType.IXFR ? 'ixfr' : 'axfr', 'notauth');
    const reply = replyMessage(request, RCODE_NOTAUTH, [], true);
    if (verdict.signer !== null) {
      // BADTIME is signed, with our clock in "other data" so the client can see the skew (§5.2.3).
      return { reply: verdict.signer.sign(reply, now(), TsigError.BADTIME, serverTimeOther(now())) };
    }
    return { reply: appendTsigError(reply, verdict.tsig, verdict.error, now()) };
  }

  /** The zone a transfer asks for, if we serve it and the client passes its ACL; else the REFUSED reply. */
  private admit(
    request: SignedRequest,
    client: string,
    signer: TsigSigner | null,
    transport: string,
  ): { origin: string; offered: Offered } | { origin: string; reply: Buffer } {
    const kind = request.qtype === RRType.IXFR ? 'ixfr' : 'axfr';
    const offered = request.qclass === RRClass.IN ? this.offered.get(request.qname) : undefined;
    const acl = this.acls.get(request.qname);
    const verdict =
      offered === undefined
        ? { ok: false as const, reason: 'not a zone served here' }
        : acl === undefined
          ? { ok: false as const, reason: 'no transfer settings for the zone' }
          : acl.check(client, signer?.key.name ?? null);
    if (verdict.ok && offered !== undefined) return { origin: request.qname, offered };
    const origin = offered === undefined ? '' : request.qname;
    const reason = verdict.ok ? 'not a zone served here' : verdict.reason;
    this.count(origin, kind, 'refused');
    this.logger.warn(
      { zone: request.qname, client, kind, transport, key: signer?.key.name ?? null, reason },
      `zone transfer refused: ${kind.toUpperCase()} of ${request.qname} from ${client} (${reason})`,
    );
    const reply = replyMessage(request, Rcode.REFUSED, [], true);
    return { origin, reply: signer === null ? reply : signer.sign(reply, now()) };
  }

  private originOf(qname: string): string | null {
    return this.offered.has(qname) ? qname : null;
  }

  private count(zone: string, kind: TransferKind, outcome: TransferOutcome | NotifyOutcome): void {
    const key = `${zone}\u0000${kind}\u0000${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Every transfer counter so far. */
  counters(): TransferCount[] {
    return [...this.counts].map(([key, count]) => {
      const [zone, kind, outcome] = key.split('\u0000') as [string, TransferKind, TransferOutcome];
      return { zone, kind, outcome, count };
    });
  }

  /** The offered serial, journal and NOTIFY targets of every zone with transfer settings. */
  status(): ZoneTransferStatus[] {
    const out: ZoneTransferStatus[] = [];
    for (const [origin, offered] of this.offered) {
      const z = this.zoneSettings(origin);
      if (z === null) continue;
      const journal = this.journals.get(origin)!;
      out.push({
        zone: origin,
        serial: soaSerial(offered.soa),
        journalVersions: journal.versions(),
        journalBytes: journal.size(),
        notify: z.notify ?? [],
      });
    }
    return out;
  }

  /** The serial offered for `origin` (tests, status). */
  offeredSerial(origin: string): number | null {
    const o = this.offered.get(origin);
    return o === undefined ? null : soaSerial(o.soa);
  }
}

const TSIG_ERROR_NAMES: Readonly<Record<number, string>> = {
  [TsigError.BADSIG]: 'BADSIG',
  [TsigError.BADKEY]: 'BADKEY',
  [TsigError.BADTIME]: 'BADTIME',
  [TsigError.BADTRUNC]: 'BADTRUNC',
};

function zoneKey(text: string): string {
  return text.toLowerCase().replace(/\.$/, '');
}

/** Everything a full transfer sends but the trailing SOA: the SOA, the static records, the snapshot. */
function offeredRecords(o: Offered): RR[] {
  o.records ??= o.lb.length === 0 && o.soa === o.zone.soa ? transferRecords(o.zone) : [o.soa, ...transferRecords(o.zone).slice(1), ...o.lb];
  return o.records;
}

function withSerial(soa: RR, serial: number): RR {
  if (soa.data.kind !== 'soa' || soa.data.serial === serial) return soa;
  return Object.freeze({ ...soa, data: Object.freeze({ ...soa.data, serial }) });
}

function sameRecords(a: readonly RR[], b: readonly RR[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(recordKey));
  return b.every((rr) => keys.has(recordKey(rr)));
}

function* withTrailingSoa(records: readonly RR[]): Generator<RR> {
  yield* records;
  yield records[0]!;
}

/** The messages of a transfer: the question in the first one only (RFC 5936 §2.2.1). */
function* messagesOf(request: SignedRequest, records: Iterable<RR>): Generator<Buffer> {
  let first = true;
  for (const chunk of chunks(records)) {
    yield replyMessage(request, Rcode.NOERROR, chunk, first);
    first = false;
  }
}

/** FORMERR for a transfer request we cannot read; null when not even the header is there. */
function formerr(packet: Uint8Array): Buffer | null {
  if (packet.length < 12) return null;
  const out = Buffer.alloc(12);
  out.writeUInt16BE((packet[0]! << 8) | packet[1]!, 0);
  out[2] = 0x80 | (packet[2]! & 0x78);
  out[3] = Rcode.FORMERR;
  return out;
}
