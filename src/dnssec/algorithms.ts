// The two DNSSEC algorithms steerdns signs with (RFC 8624 "MUST"/"RECOMMENDED" for signing):
// 13 ECDSA P-256 with SHA-256 (RFC 6605) and 15 Ed25519 (RFC 8080). Raw key bytes as DNSKEY and
// BIND's .private files carry them ↔ node:crypto KeyObjects, and one signing call per algorithm.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export const Algorithm = { ECDSAP256SHA256: 13, ED25519: 15 } as const;
export type AlgorithmNumber = (typeof Algorithm)[keyof typeof Algorithm];

/** Mnemonic as BIND writes it in the "Algorithm:" line of a .private file. */
export function algorithmName(alg: number): string {
  return alg === Algorithm.ECDSAP256SHA256 ? 'ECDSAP256SHA256' : alg === Algorithm.ED25519 ? 'ED25519' : `ALG${alg}`;
}

export function isSupportedAlgorithm(alg: number): alg is AlgorithmNumber {
  return alg === Algorithm.ECDSAP256SHA256 || alg === Algorithm.ED25519;
}

/** Bytes of the private value (P-256 scalar or Ed25519 seed) and of the DNSKEY public key field. */
const PRIVATE_BYTES: Record<AlgorithmNumber, number> = { 13: 32, 15: 32 };
const PUBLIC_BYTES: Record<AlgorithmNumber, number> = { 13: 64, 15: 32 };

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** A key pair from the raw private value; throws when the bytes are not a valid key. */
export function privateKeyFromRaw(alg: AlgorithmNumber, raw: Uint8Array): { privateKey: KeyObject; publicRaw: Uint8Array } {
  if (raw.length !== PRIVATE_BYTES[alg]) throw new Error(`the private key is ${raw.length} bytes, expected ${PRIVATE_BYTES[alg]}`);
  if (alg === Algorithm.ED25519) {
    // PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410): a fixed 16-byte prefix.
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    return { privateKey, publicRaw: Buffer.from(jwk.x!, 'base64url') };
  }
  // SEC1 "EC PRIVATE KEY" holding only the scalar; node derives the public point from it.
  const der = Buffer.concat([Buffer.from('30310201010420', 'hex'), raw, Buffer.from('a00a06082a8648ce3d030107', 'hex')]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'sec1' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicRaw: Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]) };
}

/** A KeyObject for a DNSKEY public key field; throws when it is not a valid key. */
export function publicKeyFromRaw(alg: AlgorithmNumber, raw: Uint8Array): KeyObject {
  if (raw.length !== PUBLIC_BYTES[alg]) throw new Error(`the public key is ${raw.length} bytes, expected ${PUBLIC_BYTES[alg]}`);
  if (alg === Algorithm.ED25519) return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' });
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(0, 32)), y: b64url(raw.subarray(32)) },
    format: 'jwk',
  });
}

/** A fresh key: the raw private value (as a .private file holds it) and the DNSKEY public key field. */
export function generateRawKey(alg: AlgorithmNumber): { privateRaw: Uint8Array; publicRaw: Uint8Array } {
  if (alg === Algorithm.ED25519) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    return { privateRaw: Buffer.from(jwk.d!, 'base64url'), publicRaw: Buffer.from(jwk.x!, 'base64url') };
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    privateRaw: Buffer.from(jwk.d!, 'base64url'),
    publicRaw: Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]),
  };
}

/** The signature field of an RRSIG over `data`: r||s for ECDSA (RFC 6605 §4), 64 bytes for Ed25519. */
export function signData(alg: AlgorithmNumber, key: KeyObject, data: Uint8Array): Buffer {
  if (alg === Algorithm.ED25519) return sign(null, data, key);
  return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}
