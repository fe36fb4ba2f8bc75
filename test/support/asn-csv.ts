// Real ASN data for integration tests: rows of the @ip-location-db/asn package's IPv4 CSV
// (RouteViews + DB-IP, CC BY 4.0; "start,end,asn,organization", inclusive ranges), written as a
// GeoLite2-ASN layout mmdb with the project's own writer. Only the rows whose range starts in
// the given /8s are kept, so the file stays small and quick to build.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mmdbUint32, writeMmdb, type MmdbNetwork } from './mmdb-writer.js';

export function asnCsvPath(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/asn/asn-ipv4.csv');
}

const toNumber = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toText = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The CIDRs that exactly cover the inclusive range [start, end]. */
export function rangeToCidrs(start: number, end: number): string[] {
  const out: string[] = [];
  let at = start;
  while (at <= end) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 - 1 <= end && size < 2 ** 32) size *= 2;
    out.push(`${toText(at)}/${32 - Math.log2(size)}`);
    at += size;
  }
  return out;
}

/** Splits one CSV line with optional double-quoted fields. */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** A GeoLite2-ASN style mmdb (ip_version 4) from the real CSV rows starting in `firstOctets`. */
export function realAsnMmdb(firstOctets: readonly number[]): Buffer {
  const wanted = new Set(firstOctets);
  const networks: MmdbNetwork[] = [];
  for (const line of readFileSync(asnCsvPath(), 'utf8').split('\n')) {
    const dot = line.indexOf('.');
    if (dot < 0 || !wanted.has(Number(line.slice(0, dot)))) continue;
    const [start, end, asn, org] = fields(line);
    const data = { autonomous_system_number: mmdbUint32(Number(asn)), autonomous_system_organization: org ?? '' };
    for (const network of rangeToCidrs(toNumber(start!), toNumber(end!))) networks.push({ network, data });
  }
  return writeMmdb({ database_type: 'GeoLite2-ASN', languages: ['en'], ip_version: 4 }, networks);
}
