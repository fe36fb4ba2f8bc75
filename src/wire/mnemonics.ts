// Mnemonics that appear inside RDATA presentation form: DNSSEC algorithm numbers (RFC 8624
// registry) and CERT certificate types (RFC 4398 §2.1). Shared by the zone parser and the formatter.

export const DNSSEC_ALGORITHMS: ReadonlyMap<string, number> = new Map([
  ['RSAMD5', 1],
  ['DH', 2],
  ['DSA', 3],
  ['RSASHA1', 5],
  ['DSA-NSEC3-SHA1', 6],
  ['RSASHA1-NSEC3-SHA1', 7],
  ['RSASHA256', 8],
  ['RSASHA512', 10],
  ['ECC-GOST', 12],
  ['ECDSAP256SHA256', 13],
  ['ECDSAP384SHA384', 14],
  ['ED25519', 15],
  ['ED448', 16],
  ['INDIRECT', 252],
  ['PRIVATEDNS', 253],
  ['PRIVATEOID', 254],
]);

export const CERT_TYPES: ReadonlyMap<string, number> = new Map([
  ['PKIX', 1],
  ['SPKI', 2],
  ['PGP', 3],
  ['IPKIX', 4],
  ['ISPKI', 5],
  ['IPGP', 6],
  ['ACPKIX', 7],
  ['IACPKIX', 8],
  ['URI', 253],
  ['OID', 254],
]);

export const CERT_TYPE_NAMES: ReadonlyMap<number, string> = new Map([...CERT_TYPES].map(([name, n]) => [n, name]));

export const DNSSEC_ALGORITHM_NAMES: ReadonlyMap<number, string> = new Map([...DNSSEC_ALGORITHMS].map(([name, n]) => [n, name]));
