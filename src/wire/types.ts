// Shared DNS data model. Everything above src/wire imports these shapes; nothing here imports
// from elsewhere in the project.
//
// Names: absolute domain names as canonical lowercase presentation strings WITHOUT the trailing
// dot; the root is "". Labels are separated by '.'. Canonical escaping, so that one wire name
// has exactly one string: bytes 0x21-0x7E other than '.' and '\' stand as themselves (A-Z
// lowercased to a-z); '.' is written "\." and '\' is written "\\"; every other byte (space,
// control, >= 0x7F) is written "\DDD" (three decimal digits). Lowercasing and canonical
// escaping happen at the edges (decoder, zone parser); everything inside compares strings.

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
  CAA: 257,
} as const;

export const RRClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

// 12-bit extended rcodes (the high 8 bits travel in OPT).
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
  /** RFC 7873 §8: a server cookie we did not make (the low 4 bits are 7, the rest in OPT). */
  BADCOOKIE: 23,
} as const;

export const EdnsOption = { NSID: 3, ECS: 8, COOKIE: 10 } as const;

/** Record data, by shape. Names inside RDATA follow the same convention as owner names. */
export type RData =
  /**
   * RDATA bytes as on the wire: A, AAAA, TXT, CAA, HINFO, every type whose names are never
   * compressed (RP, AFSDB, KX, NAPTR, SVCB/HTTPS...), and types held in RFC 3597 generic form.
   */
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  /** NS, CNAME, PTR: a single compressible domain name; DNAME: one never compressed (RFC 6672 §2.5). */
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'mx'; readonly preference: number; readonly exchange: string }
  /** SRV target is never compressed (RFC 2782). */
  | {
      readonly kind: 'srv';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | {
      readonly kind: 'soa';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    };

/** One resource record of class IN. */
export interface RR {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly data: RData;
}

/** A non-empty list of records sharing name and type: the unit that is kept or dropped whole. */
export type RRset = readonly RR[];

/** EDNS Client Subnet as carried in a query or a reply (RFC 7871). */
export interface ClientSubnet {
  readonly family: 1 | 2;
  readonly sourcePrefix: number;
  readonly scopePrefix: number;
  /** Exactly ceil(sourcePrefix / 8) bytes, as on the wire. */
  readonly address: Uint8Array;
}

export interface QueryEdns {
  readonly version: number;
  readonly udpSize: number;
  readonly dnssecOk: boolean;
  /** Present only when the query carried a valid ECS option. */
  readonly ecs: ClientSubnet | null;
  /**
   * The data of the first COOKIE option, of any length (RFC 7873: the pipeline judges it, and
   * ignores it when cookies are off); null or absent: none.
   */
  readonly cookie?: Uint8Array | null;
  /** The query asked for the server's identity with an NSID option (RFC 5001). */
  readonly nsid?: boolean;
}

/** A decoded query that passed wire-level validation. */
export interface Query {
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly cd: boolean;
  /** Lowercased presentation name (see the naming note above). */
  readonly qname: string;
  /** The question name exactly as the client sent it (uncompressed wire bytes, original case). */
  readonly qnameWire: Uint8Array;
  readonly qtype: number;
  readonly qclass: number;
  /** null when the query has no OPT record. */
  readonly edns: QueryEdns | null;
  /** Size of the whole query message in bytes. */
  readonly size: number;
}

export interface ReplyEdns {
  /** The UDP payload size this server advertises. */
  readonly udpSize: number;
  readonly dnssecOk: boolean;
  /** Echo of the query's ECS with the scope this answer depended on; null → no ECS option. */
  readonly ecs: ClientSubnet | null;
}

export interface Reply {
  readonly id: number;
  readonly opcode: number;
  /** 12-bit rcode; the upper 8 bits go into OPT (so BADVERS needs edns set). */
  readonly rcode: number;
  readonly aa: boolean;
  readonly rd: boolean;
  readonly cd: boolean;
  /** Echoed question; null for replies to packets whose question could not be read. */
  readonly question: {
    readonly qnameWire: Uint8Array;
    readonly qname: string;
    readonly qtype: number;
    readonly qclass: number;
  } | null;
  readonly answer: readonly RRset[];
  readonly authority: readonly RRset[];
  readonly additional: readonly RRset[];
  readonly edns: ReplyEdns | null;
}
