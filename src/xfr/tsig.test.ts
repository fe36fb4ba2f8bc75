// TSIG against requests signed by other implementations: BIND's dig (HMAC-SHA256) and Knot's
// kdig (HMAC-SHA512, an IXFR with the client's SOA), captured off the wire once and kept here.
import { describe, expect, it } from 'vitest';
import { readSignedRequest } from './request.js';
import { TsigError, TsigSigner, verifyRequest } from './tsig.js';
import { parseKeyFile, type TsigKey } from './tsig-keys.js';

// dig -y hmac-sha256:xfr-key:<secret> +noedns example.com SOA
const DIG_SHA256 =
  '6e7b01200001000000000001076578616d706c6503636f6d0000060001077866722d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b140a65012c0020b9fe344a90413f3be9595cc2c2a635f6f00a8733a1f687ab40b4e3437e3b185a6e7b00000000';
// kdig -y hmac-sha512:other.key:<secret> example.com IXFR=5 +notcp
const KDIG_SHA512_IXFR =
  'fe6401200001000000010001076578616d706c6503636f6d0000fb0001c00c0006000100000000001600000000000500000000000000000000000000000000056f74686572036b65790000fa00ff00000000005d0b686d61632d7368613531320000006b140a99012c00408d734daeda79a871e88d3465bbbcca8e2944aa6a37e572c2e271dbf9cbba3e44a044a2a18b26405b7abd5416dbf79df31d8b4e3ad812f4e6ee6520b14667f7bcfe6400000000';

function keys(): Map<string, TsigKey> {
  const parsed = parseKeyFile(
    `key "xfr-key" { algorithm hmac-sha256; secret "c3RlZXJkbnMgdGVzdCBrZXkgMjU2IGJpdHMgbG9uZyE="; };
key "other.key." { algorithm hmac-sha512; secret "c3RlZXJkbnMgdGVzdCBrZXkgNTEyIGJpdHMgbG9uZyE="; };`,
    'test.key',
  );
  if ('errors' in parsed) throw new Error(parsed.errors.map((e) => e.describe()).join('\n'));
  return new Map(parsed.keys.map((k) => [k.name, k]));
}

function request(hex: string) {
  const r = readSignedRequest(Buffer.from(hex, 'hex'));
  if (r === null || r.tsig === null) throw new Error('vector did not parse');
  return r;
}

describe('TSIG request verification', () => {
  it("accepts dig's HMAC-SHA256 signature", () => {
    const r = request(DIG_SHA256);
    expect(r.tsig!.keyName).toBe('xfr-key');
    expect(r.tsig!.algorithm).toBe('hmac-sha256');
    const verdict = verifyRequest(r, keys(), r.tsig!.timeSigned + 10);
    expect(verdict?.ok).toBe(true);
  });

  it("accepts kdig's HMAC-SHA512 signature on an IXFR and reads the client's serial", () => {
    const r = request(KDIG_SHA512_IXFR);
    expect(r.qtype).toBe(251);
    expect(r.clientSerial).toBe(5);
    expect(verifyRequest(r, keys(), r.tsig!.timeSigned)?.ok).toBe(true);
  });

  it('one changed bit of the message is BADSIG', () => {
    const bytes = Buffer.from(DIG_SHA256, 'hex');
    bytes[13] = bytes[13]! ^ 0x20; // "example" → "Example": the MAC covers the exact bytes
    const r = readSignedRequest(bytes)!;
    const verdict = verifyRequest(r, keys(), r.tsig!.timeSigned);
    expect(verdict).toMatchObject({ ok: false, error: TsigError.BADSIG, signer: null });
  });

  it('an unknown key, or a known name with another algorithm, is BADKEY', () => {
    const r = request(DIG_SHA256);
    expect(verifyRequest(r, new Map(), r.tsig!.timeSigned)).toMatchObject({ ok: false, error: TsigError.BADKEY });
    const k = keys();
    k.set('xfr-key', { ...k.get('other.key')!, name: 'xfr-key' });
    expect(verifyRequest(r, k, r.tsig!.timeSigned)).toMatchObject({ ok: false, error: TsigError.BADKEY });
  });

  it('a clock off by more than the fudge is BADTIME, and that reply is signed', () => {
    const r = request(DIG_SHA256);
    const verdict = verifyRequest(r, keys(), r.tsig!.timeSigned + r.tsig!.fudge + 1);
    expect(verdict).toMatchObject({ ok: false, error: TsigError.BADTIME });
    expect(verdict!.ok === false && verdict!.signer).toBeInstanceOf(TsigSigner);
    expect(verifyRequest(r, keys(), r.tsig!.timeSigned - r.tsig!.fudge)?.ok).toBe(true);
  });

  it('a message without TSIG has no verdict', () => {
    const unsigned = readSignedRequest(request(DIG_SHA256).unsigned)!;
    expect(unsigned.tsig).toBeNull();
    expect(verifyRequest(unsigned, keys(), 0)).toBeNull();
  });
});

describe('TSIG reply signing', () => {
  it('appends one TSIG record, raises ARCOUNT, and chains each MAC to the one before', () => {
    const r = request(DIG_SHA256);
    const verdict = verifyRequest(r, keys(), r.tsig!.timeSigned);
    if (verdict === null || !verdict.ok) throw new Error('not verified');
    const reply = Buffer.from(r.unsigned);
    reply[2] = reply[2]! | 0x80;
    const first = verdict.signer.sign(reply, 1_800_000_000);
    const second = verdict.signer.sign(reply, 1_800_000_000);
    expect(first.readUInt16BE(10)).toBe(1);
    const tsigOfFirst = readSignedRequest(Buffer.concat([Buffer.from([0, 0, 0]), first.subarray(3)]));
    // Same message, same time: different MACs, because the second covers the first's MAC and only the timers.
    expect(first.subarray(r.unsigned.length).equals(second.subarray(r.unsigned.length))).toBe(false);
    expect(tsigOfFirst?.tsig?.mac.length).toBe(32);
    expect(tsigOfFirst?.tsig?.originalId).toBe(r.id);
  });
});
