// Type mnemonics ↔ numbers (IANA registry), and which types may appear in zone data.
import { TypedRaw } from '../wire/rdata-text.js';
import { RRType } from '../wire/types.js';

const byName: ReadonlyMap<string, number> = new Map<string, number>([
  ['A', 1],
  ['NS', 2],
  ['MD', 3],
  ['MF', 4],
  ['CNAME', 5],
  ['SOA', 6],
  ['MB', 7],
  ['MG', 8],
  ['MR', 9],
  ['NULL', 10],
  ['WKS', 11],
  ['PTR', 12],
  ['HINFO', 13],
  ['MINFO', 14],
  ['MX', 15],
  ['TXT', 16],
  ['RP', 17],
  ['AFSDB', 18],
  ['X25', 19],
  ['ISDN', 20],
  ['RT', 21],
  ['NSAP', 22],
  ['NSAP-PTR', 23],
  ['SIG', 24],
  ['KEY', 25],
  ['PX', 26],
  ['GPOS', 27],
  ['AAAA', 28],
  ['LOC', 29],
  ['NXT', 30],
  ['EID', 31],
  ['NIMLOC', 32],
  ['SRV', 33],
  ['ATMA', 34],
  ['NAPTR', 35],
  ['KX', 36],
  ['CERT', 37],
  ['A6', 38],
  ['DNAME', 39],
  ['SINK', 40],
  ['OPT', 41],
  ['APL', 42],
  ['DS', 43],
  ['SSHFP', 44],
  ['IPSECKEY', 45],
  ['RRSIG', 46],
  ['NSEC', 47],
  ['DNSKEY', 48],
  ['DHCID', 49],
  ['NSEC3', 50],
  ['NSEC3PARAM', 51],
  ['TLSA', 52],
  ['SMIMEA', 53],
  ['HIP', 55],
  ['NINFO', 56],
  ['RKEY', 57],
  ['TALINK', 58],
  ['CDS', 59],
  ['CDNSKEY', 60],
  ['OPENPGPKEY', 61],
  ['CSYNC', 62],
  ['ZONEMD', 63],
  ['SVCB', 64],
  ['HTTPS', 65],
  ['SPF', 99],
  ['NID', 104],
  ['L32', 105],
  ['L64', 106],
  ['LP', 107],
  ['EUI48', 108],
  ['EUI64', 109],
  ['TKEY', 249],
  ['TSIG', 250],
  ['IXFR', 251],
  ['AXFR', 252],
  ['MAILB', 253],
  ['MAILA', 254],
  ['ANY', 255],
  ['URI', 256],
  ['CAA', 257],
  ['AVC', 258],
  ['DOA', 259],
  ['AMTRELAY', 260],
  ['TA', 32768],
  ['DLV', 32769],
]);

const byNumber: ReadonlyMap<number, string> = new Map([...byName].map(([n, t]) => [t, n]));

/** Types whose presentation format this server reads; all others need RFC 3597 generic form. */
export const PRESENTATION_TYPES: ReadonlySet<number> = new Set<number>([
  RRType.A,
  RRType.NS,
  RRType.CNAME,
  RRType.SOA,
  RRType.PTR,
  RRType.HINFO,
  RRType.MX,
  RRType.TXT,
  RRType.AAAA,
  RRType.SRV,
  RRType.CAA,
  RRType.DNAME,
  ...Object.values(TypedRaw),
]);

/** "A", "txt", "TYPE65280" → number; undefined when not a type. */
export function typeFromText(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = byName.get(upper);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

/** Mnemonic, or "TYPEnnn" (RFC 3597) for types without one. */
export function typeName(type: number): string {
  return byNumber.get(type) ?? `TYPE${type}`;
}

/**
 * Type 0, OPT and the QTYPE/meta range 128-255 (AXFR, ANY, TSIG...) describe queries or
 * transactions, never stored data (RFC 6895 §3.1).
 */
export function isDataType(type: number): boolean {
  return type !== 0 && type !== RRType.OPT && (type < 128 || type > 255);
}
