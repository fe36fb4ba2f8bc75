// Presentation text (zone-file / dig style) for logs, `explain` and the status page. Not on the
// hot path; clarity over speed.
import { nameToText } from './name.js';
import { formatIp } from './rdata.js';
import { characterStrings, typedRawText } from './rdata-text.js';
import { Opcode, Rcode, RRClass, RRType, type RR } from './types.js';
import { quotedString } from './wire-fields.js';

const typeNames = new Map<number, string>([
  ...Object.entries(RRType).map(([name, code]) => [code, name] as [number, string]),
  [3, 'MD'],
  [4, 'MF'],
  [7, 'MB'],
  [8, 'MG'],
  [9, 'MR'],
  [10, 'NULL'],
  [11, 'WKS'],
  [14, 'MINFO'],
  [17, 'RP'],
  [18, 'AFSDB'],
  [29, 'LOC'],
  [35, 'NAPTR'],
  [36, 'KX'],
  [37, 'CERT'],
  [39, 'DNAME'],
  [42, 'APL'],
  [44, 'SSHFP'],
  [45, 'IPSECKEY'],
  [49, 'DHCID'],
  [50, 'NSEC3'],
  [51, 'NSEC3PARAM'],
  [52, 'TLSA'],
  [53, 'SMIMEA'],
  [55, 'HIP'],
  [59, 'CDS'],
  [60, 'CDNSKEY'],
  [61, 'OPENPGPKEY'],
  [62, 'CSYNC'],
  [63, 'ZONEMD'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [99, 'SPF'],
  [108, 'EUI48'],
  [109, 'EUI64'],
  [249, 'TKEY'],
  [250, 'TSIG'],
  [256, 'URI'],
]);
const typeCodes = new Map<string, number>([...typeNames].map(([code, name]) => [name, code]));

/** "A", "AAAA", ... or RFC 3597 "TYPE65534" for types without a mnemonic. */
export function typeToString(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

/** Type code for a mnemonic or "TYPEnnn" (case-insensitive); undefined when unknown. */
export function typeFromString(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = typeCodes.get(upper);
  if (known !== undefined) return known;
  if (upper.startsWith('TYPE') && upper.length > 4 && upper.length <= 9) {
    const digits = upper.slice(4);
    for (let i = 0; i < digits.length; i++) {
      const c = digits.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return undefined;
    }
    const n = Number(digits);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

const classNames = new Map<number, string>(Object.entries(RRClass).map(([name, code]) => [code, name]));

/** "IN", "CH", ... or "CLASS42". */
export function classToString(cls: number): string {
  return classNames.get(cls) ?? `CLASS${cls}`;
}

const rcodeNames = new Map<number, string>([
  ...Object.entries(Rcode).map(([name, code]) => [code, name] as [number, string]),
  [6, 'YXDOMAIN'],
  [7, 'YXRRSET'],
  [8, 'NXRRSET'],
  [9, 'NOTAUTH'],
  [10, 'NOTZONE'],
  [17, 'BADKEY'],
  [18, 'BADTIME'],
  [19, 'BADMODE'],
  [20, 'BADNAME'],
  [21, 'BADALG'],
  [22, 'BADTRUNC'],
  [23, 'BADCOOKIE'],
]);

/** "NOERROR", "NXDOMAIN", "BADVERS", ... or "RCODE42". */
export function rcodeToString(rcode: number): string {
  return rcodeNames.get(rcode) ?? `RCODE${rcode}`;
}

const opcodeNames = new Map<number, string>(Object.entries(Opcode).map(([name, code]) => [code, name]));

/** "QUERY", "NOTIFY", ... or "OPCODE3". */
export function opcodeToString(opcode: number): string {
  return opcodeNames.get(opcode) ?? `OPCODE${opcode}`;
}

/** RFC 3597 generic form: "\# 3 0a0b0c" ("\# 0" when empty). */
export function genericRdataText(bytes: Uint8Array): string {
  if (bytes.length === 0) return '\\# 0';
  return `\\# ${bytes.length} ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

function caaText(bytes: Uint8Array): string | null {
  if (bytes.length < 2) return null;
  const tagLength = bytes[1]!;
  if (tagLength === 0 || 2 + tagLength > bytes.length) return null;
  const tag = Buffer.from(bytes.subarray(2, 2 + tagLength)).toString('latin1');
  return `${bytes[0]} ${tag} ${quotedString(bytes, 2 + tagLength, bytes.length)}`;
}

function rawText(type: number, bytes: Uint8Array): string {
  let text: string | null = null;
  switch (type) {
    case RRType.A:
      if (bytes.length === 4) text = formatIp(bytes);
      break;
    case RRType.AAAA:
      if (bytes.length === 16) text = formatIp(bytes);
      break;
    case RRType.TXT:
      // A TXT with no strings at all is malformed; show it generically.
      if (bytes.length > 0) text = characterStrings(bytes)?.join(' ') ?? null;
      break;
    case RRType.HINFO:
      text = characterStrings(bytes, 2)?.join(' ') ?? null;
      break;
    case RRType.CAA:
      text = caaText(bytes);
      break;
    default:
      text = typedRawText(type, bytes) ?? null;
  }
  return text ?? genericRdataText(bytes);
}

/** RDATA in presentation form: "192.0.2.1", "10 mail.example.com.", "\"v=spf1 -all\"", ... */
export function rdataToText(rr: RR): string {
  const d = rr.data;
  switch (d.kind) {
    case 'raw':
      return rawText(rr.type, d.bytes);
    case 'name':
      return nameToText(d.name);
    case 'mx':
      return `${d.preference} ${nameToText(d.exchange)}`;
    case 'srv':
      return `${d.priority} ${d.weight} ${d.port} ${nameToText(d.target)}`;
    case 'soa':
      return `${nameToText(d.mname)} ${nameToText(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
  }
}

/** dig-style line: "www.example.com. 300 IN A 192.0.2.1". */
export function rrToText(rr: RR): string {
  return `${nameToText(rr.name)} ${rr.ttl} IN ${typeToString(rr.type)} ${rdataToText(rr)}`;
}
