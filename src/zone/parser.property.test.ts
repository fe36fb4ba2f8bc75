// Property tests for the zone-file parser at its edges: names at the label and name
// length limits, checked against an independent oracle; numbers at their range limits; and
// byte-level damage (bit flips, truncation) that must never throw and always point at a line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseZoneText } from './parser.js';

const ORIGIN_WIRE_LENGTH = 13; // 7example3com0

function parse(text: string) {
  return parseZoneText(text, { file: '/zones/example.com.zone', origin: 'example.com', zonesDir: '/zones', readFile: () => '' });
}

/** A label's bytes in master-file form: letters, digits and '-' as they are, anything else \DDD. */
function presentLabel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9-]/.test(c) ? c : `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}

/** The canonical form the project's naming convention prescribes (src/wire/types.ts). */
function canonicalLabel(bytes: Uint8Array): string {
  let out = '';
  for (let b of bytes) {
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b === 0x2e) out += '\\.';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x21 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return out;
}

const ALNUM = Uint8Array.from(Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'));

/** Labels mostly near the 63-byte limit, in numbers that land names near the 255-byte limit. */
const label = fc
  .oneof({ weight: 3, arbitrary: fc.integer({ min: 55, max: 66 }) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 20 }) })
  .chain((n) =>
    fc.oneof(
      fc.uint8Array({ minLength: n, maxLength: n }),
      fc.uint8Array({ minLength: n, maxLength: n }).map((b) => b.map((x) => ALNUM[x % ALNUM.length]!)),
    ),
  );
const labels = fc.array(label, { minLength: 1, maxLength: 6 });

describe('names at the length limits', () => {
  it('an owner is accepted exactly when every label is at most 63 bytes and the name at most 255', () => {
    fc.assert(
      fc.property(labels, fc.boolean(), (ls, absolute) => {
        const text = ls.map(presentLabel).join('.') + (absolute ? '.' : '');
        const wire = ls.reduce((n, l) => n + 1 + l.length, 0) + (absolute ? 1 : ORIGIN_WIRE_LENGTH);
        const valid = ls.every((l) => l.length <= 63) && wire <= 255;
        const r = parse(`$TTL 5\n${text} A 192.0.2.1\n`);
        if (valid) {
          expect(r.errors.map((e) => e.describe())).toEqual([]);
          const expected = ls.map(canonicalLabel).join('.') + (absolute ? '' : '.example.com');
          expect(r.records.map((x) => x.name)).toEqual([expected]);
        } else {
          expect(r.records).toEqual([]);
          expect(r.errors.map((e) => `${e.line} ${e.code}`)).toEqual(['2 STEER_ZONE_BAD_NAME']);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('a name inside record data obeys the same limits (CNAME, MX)', () => {
    fc.assert(
      fc.property(labels, fc.constantFrom('CNAME', 'MX 10'), (ls, type) => {
        const target = `${ls.map(presentLabel).join('.')}.`;
        const wire = ls.reduce((n, l) => n + 1 + l.length, 0) + 1;
        const valid = ls.every((l) => l.length <= 63) && wire <= 255;
        const r = parse(`$TTL 5\nx ${type} ${target}\n`);
        expect(r.records.length === 1 && r.errors.length === 0).toBe(valid);
        if (!valid) expect(r.errors.map((e) => e.line)).toEqual([2]);
      }),
      { numRuns: 800 },
    );
  });
});

describe('numbers at their range limits', () => {
  const edgy = fc.oneof(
    fc.constantFrom(0, 1, 65535, 65536, 2147483647, 2147483648, 4294967295, 4294967296, -1),
    fc.integer({ min: 0, max: 2 ** 33 }),
  );

  it('TTL: 0 to 2^31-1 (RFC 2181 §8), anything else is an error on its line', () => {
    fc.assert(
      fc.property(edgy, (ttl) => {
        const r = parse(`$TTL 5\nx ${ttl} A 192.0.2.1\n`);
        const valid = ttl >= 0 && ttl <= 2147483647;
        expect(r.records.map((x) => x.ttl)).toEqual(valid ? [ttl] : []);
        if (!valid) expect(r.errors.map((e) => e.line)).toEqual([2]);
      }),
    );
  });

  it('MX preference and SRV fields: 0 to 65535', () => {
    fc.assert(
      fc.property(edgy, edgy, (pref, port) => {
        const mx = parse(`$TTL 5\nx MX ${pref} mail\n`);
        expect(mx.records.length).toBe(pref >= 0 && pref <= 65535 ? 1 : 0);
        const srv = parse(`$TTL 5\n_s._tcp SRV 0 0 ${port} host\n`);
        expect(srv.records.length).toBe(port >= 0 && port <= 65535 ? 1 : 0);
      }),
    );
  });

  it('SOA serial: 0 to 2^32-1 (RFC 1982 arithmetic needs the full 32 bits)', () => {
    fc.assert(
      fc.property(edgy, (serial) => {
        const r = parse(`$TTL 5\n@ SOA ns host ${serial} 1 2 3 4\n`);
        expect(r.records.length).toBe(serial >= 0 && serial <= 4294967295 ? 1 : 0);
      }),
    );
  });
});

describe('byte-level damage', () => {
  const sample = [
    '$ORIGIN example.com.',
    '$TTL 3600',
    '@ IN SOA ns1 hostmaster ( 2026010101 7200 900 1209600 300 )',
    '  IN NS ns1',
    'ns1 IN A 192.0.2.1',
    'www IN A 192.0.2.10',
    '    IN AAAA 2001:db8::10',
    'txt IN TXT "a \\"quoted\\" string" "\\255\\000" ; comment',
    'mx  IN MX 10 www',
    '_sip._tcp IN SRV 0 5 5060 www',
    'gen IN TYPE65280 \\# 4 0a000001',
    'caa IN CAA 0 issue "letsencrypt.org"',
    '',
  ].join('\n');

  it('bit flips and truncation never throw, and every error names a line of the file', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat()),
        (flips, cut) => {
          const bytes = Buffer.from(sample, 'latin1');
          for (const f of flips) bytes[f.at % bytes.length]! ^= 1 << f.bit;
          const text = bytes.subarray(0, cut === null ? bytes.length : cut % (bytes.length + 1)).toString('latin1');
          const r = parse(text);
          const lines = text.split('\n').length;
          for (const e of r.errors) {
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.line).toBeLessThanOrEqual(lines);
          }
          for (const rec of r.records) expect(rec.line).toBeLessThanOrEqual(lines);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
