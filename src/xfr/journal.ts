// The IXFR journal of one zone: what changed between successive versions that were offered to
// secondaries (RFC 1995 §4), oldest first, bounded by count and by size so that it never grows
// without limit. A client whose serial is no longer in it gets the whole zone instead.
import type { RR } from '../wire/types.js';
import { recordKey, recordSize, transferRecords } from './zone-records.js';
import type { Zone } from '../zone/types.js';

export interface JournalStep {
  /** The SOA of the version the step starts from, and of the one it leads to. */
  readonly fromSoa: RR;
  readonly toSoa: RR;
  readonly deleted: readonly RR[];
  readonly added: readonly RR[];
  /** Upper bound of its size on the wire. */
  readonly bytes: number;
}

export interface JournalLimits {
  readonly maxVersions: number;
  readonly maxBytes: number;
}

/** The difference between two versions of a zone (the SOAs themselves excepted). */
export function diffZones(before: Zone, after: Zone): JournalStep {
  return diffRecords(before.soa, transferRecords(before).slice(1), after.soa, transferRecords(after).slice(1));
}

/** The difference between two offered record lists (SOA excluded from both). */
export function diffRecords(fromSoa: RR, before: readonly RR[], toSoa: RR, after: readonly RR[]): JournalStep {
  const old = new Map<string, RR>();
  for (const rr of before) old.set(recordKey(rr), rr);
  const added: RR[] = [];
  for (const rr of after) {
    const key = recordKey(rr);
    if (old.has(key)) old.delete(key);
    else added.push(rr);
  }
  const deleted = [...old.values()];
  let bytes = recordSize(fromSoa) + recordSize(toSoa);
  for (const rr of deleted) bytes += recordSize(rr);
  for (const rr of added) bytes += recordSize(rr);
  return { fromSoa, toSoa, deleted, added, bytes };
}

export class Journal {
  private steps: JournalStep[] = [];
  private bytes = 0;

  constructor(private limits: JournalLimits) {}

  setLimits(limits: JournalLimits): void {
    this.limits = limits;
    this.trim();
  }

  add(step: JournalStep): void {
    this.steps.push(step);
    this.bytes += step.bytes;
    this.trim();
  }

  /** The steps from `serial` to the newest version, or null when the journal does not reach back to it. */
  from(serial: number): readonly JournalStep[] | null {
    const at = this.steps.findIndex((s) => soaSerial(s.fromSoa) === serial);
    return at < 0 ? null : this.steps.slice(at);
  }

  versions(): number {
    return this.steps.length;
  }

  size(): number {
    return this.bytes;
  }

  private trim(): void {
    while (this.steps.length > 0 && (this.steps.length > this.limits.maxVersions || this.bytes > this.limits.maxBytes)) {
      this.bytes -= this.steps.shift()!.bytes;
    }
  }
}

export function soaSerial(soa: RR): number {
  return soa.data.kind === 'soa' ? soa.data.serial : 0;
}

/** The records of an incremental reply (RFC 1995 §4): new SOA, each step (old SOA, deletions, new SOA, additions), new SOA. */
export function ixfrRecords(current: RR, steps: readonly JournalStep[]): RR[] {
  const out: RR[] = [current];
  for (const s of steps) {
    out.push(s.fromSoa, ...s.deleted, s.toSoa, ...s.added);
  }
  out.push(current);
  return out;
}
