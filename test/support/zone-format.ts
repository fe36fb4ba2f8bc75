// Test helper: RRs as master-file text, so tests compare readable lines. Not used at run time.
import { formatIp } from '../../src/wire/rdata.js';
import { RRType, type RData, type RR, type RRset } from '../../src/wire/types.js';
import { typeName } from '../../src/zone/rrtype-names.js';

function abs(name: string): string {
  return `${name}.`;
}

function quoted(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return `${out}"`;
}

function strings(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 1 + bytes[i]!) out.push(quoted(bytes.subarray(i + 1, i + 1 + bytes[i]!)));
  return out;
}

export function formatRData(type: number, d: RData): string {
  switch (d.kind) {
    case 'name':
      return abs(d.name);
    case 'mx':
      return `${d.preference} ${abs(d.exchange)}`;
    case 'srv':
      return `${d.priority} ${d.weight} ${d.port} ${abs(d.target)}`;
    case 'soa':
      return `${abs(d.mname)} ${abs(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'raw':
      if ((type === RRType.A && d.bytes.length === 4) || (type === RRType.AAAA && d.bytes.length === 16)) return formatIp(d.bytes);
      if (type === RRType.TXT || type === RRType.HINFO) return strings(d.bytes).join(' ');
      if (type === RRType.CAA) {
        const tagLen = d.bytes[1]!;
        const tag = Buffer.from(d.bytes.subarray(2, 2 + tagLen)).toString('latin1');
        return `${d.bytes[0]} ${tag} ${quoted(d.bytes.subarray(2 + tagLen))}`;
      }
      return `\\# ${d.bytes.length}${d.bytes.length ? ` ${Buffer.from(d.bytes).toString('hex')}` : ''}`;
  }
}

export function formatRR(rr: RR): string {
  return `${abs(rr.name)} ${rr.ttl} IN ${typeName(rr.type)} ${formatRData(rr.type, rr.data)}`;
}

/** A section (list of RRsets) as one line per record. */
export function formatSection(section: readonly RRset[]): string[] {
  return section.flatMap((set) => set.map(formatRR));
}
