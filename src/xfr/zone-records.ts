// What a secondary gets of a zone: the SOA, then every static RRset. Names a load balancer
// answers for are left out (`lb: omit`): a secondary cannot steer, so it must not hand out one
// frozen choice as if it were the zone's data.
import type { RData, RR } from '../wire/types.js';
import { RRType } from '../wire/types.js';
import type { Zone } from '../zone/types.js';

/** The zone's records for a transfer, SOA first (it is not repeated at the end here). */
export function transferRecords(zone: Zone): RR[] {
  const out: RR[] = [zone.soa];
  for (const node of zone.nodes.values()) {
    for (const rrset of node.rrsets.values()) {
      if (rrset.length === 0) continue;
      if (rrset[0]!.type === RRType.SOA && node.name === zone.origin) continue;
      for (const rr of rrset) out.push(rr);
    }
  }
  return out;
}

/** One string per distinct record (owner, type, TTL, data): equal strings, equal records. */
export function recordKey(rr: RR): string {
  return `${rr.name}\u0000${rr.type}\u0000${rr.ttl}\u0000${dataKey(rr.data)}`;
}

function dataKey(data: RData): string {
  switch (data.kind) {
    case 'raw':
      return Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength).toString('base64');
    case 'name':
      return data.name;
    case 'mx':
      return `${data.preference} ${data.exchange}`;
    case 'srv':
      return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
    case 'soa':
      return `${data.mname} ${data.rname} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
  }
}

/** An upper bound of a record's uncompressed wire size: for chunking and journal bounds. */
export function recordSize(rr: RR): number {
  const data = rr.data;
  let rdata: number;
  switch (data.kind) {
    case 'raw':
      rdata = data.bytes.length;
      break;
    case 'name':
      rdata = data.name.length + 2;
      break;
    case 'mx':
      rdata = 2 + data.exchange.length + 2;
      break;
    case 'srv':
      rdata = 6 + data.target.length + 2;
      break;
    case 'soa':
      rdata = data.mname.length + data.rname.length + 4 + 20;
      break;
  }
  // Escaped presentation text is never shorter than the wire name it stands for, minus one.
  return rr.name.length + 2 + 10 + rdata;
}

/** RFC 1982 serial arithmetic: a is newer than b. */
export function serialNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}
