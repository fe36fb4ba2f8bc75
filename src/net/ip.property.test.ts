// The hand-written parser (query path, zone loading) and the `ip-address`-based one
// (configuration) must accept exactly the same text and read the same bytes.
import fc from 'fast-check';
import { Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import { formatIp, parseIpInto } from './ip.js';
import { parseAddress } from './parse.js';

const octet = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(String),
  fc.constantFrom('00', '01', '010', '256', '999', '0255', '', '1a', ' 1', '-1'),
);
const ipv4ish = fc.array(octet, { minLength: 2, maxLength: 6 }).map((parts) => parts.join('.'));
const group = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16)),
  fc.integer({ min: 0, max: 0xffff }).map((v) => v.toString(16).toUpperCase()),
  fc.constantFrom('0000', '00000', 'ffff', 'FFFF', 'g', '12345', '', ':', ' ', '%eth0', 'fe80'),
);
const ipv6ish = fc
  .tuple(
    fc.array(group, { minLength: 0, maxLength: 10 }),
    fc.integer({ min: -1, max: 10 }), // where "::" goes (-1: nowhere)
    fc.option(ipv4ish, { freq: 3 }),
    fc.constantFrom('', '', '', '%eth0', '/64', ':', '::', ' ', ']'),
  )
  .map(([gs, gap, tail, junk]) => {
    const head = gap >= 0 && gap <= gs.length ? `${gs.slice(0, gap).join(':')}::${gs.slice(gap).join(':')}` : gs.join(':');
    return `${head}${tail === null ? '' : `${head.endsWith(':') || head === '' ? '' : ':'}${tail}`}${junk}`;
  });
const mapped = ipv4ish.map((v4) => `::ffff:${v4}`);
const junk = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%/ x'.split('')), maxLength: 45 });
// A valid address with one small edit: most results are invalid by a single character.
const edited = fc
  .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat(), fc.constantFrom('0', '00', ':', '::', '.', '', 'F', 'g', '%1', '1.2.3.4'), fc.boolean())
  .map(([ip, at, insert, replace]) => {
    const i = at % (ip.length + 1);
    return ip.slice(0, i) + insert + ip.slice(replace ? i + 1 : i);
  });
const nearIp = fc.oneof(ipv4ish, ipv6ish, mapped, junk, edited, fc.ipV4(), fc.ipV6(), fc.ipV4Extended());

function fast(text: string): number[] | null {
  const out = new Uint8Array(16);
  const family = parseIpInto(text, out);
  return family === 0 ? null : [...out.subarray(0, family === 4 ? 4 : 16)];
}

function reference(text: string): number[] | null {
  const a = parseAddress(text);
  return 'problem' in a ? null : [...a.bytes];
}

describe('parseIpInto agrees with ip-address under the documented rules', () => {
  it('on random near-IP text, valid and invalid', () => {
    fc.assert(
      fc.property(nearIp, (text) => {
        expect(fast(text), text).toEqual(reference(text));
      }),
      { numRuns: 20000 },
    );
  });

  it('on every valid address, and formatIp output parses back to the same bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const bytes = fast(text);
        expect(bytes, text).not.toBeNull();
        expect(bytes).toEqual(reference(text));
        const again = formatIp(Uint8Array.from(bytes!));
        expect(fast(again), again).toEqual(bytes);
        expect(formatIp(Uint8Array.from(fast(again.toUpperCase())!))).toBe(again);
        // RFC 5952 canonical text, as ip-address writes it (it has no mixed form for mapped addresses).
        if (bytes!.length === 16 && !again.startsWith('::ffff:')) expect(again).toBe(new Address6(text).correctForm());
      }),
      { numRuns: 5000 },
    );
  });
});
