import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RRType } from '../wire/types.js';
import { parseZoneText, type ParseOptions, type ParsedRecord } from './parser.js';
import { formatRR } from '../../test/support/zone-format.js';

const FILE = '/zones/example.com.zone';

function parse(text: string, files: Record<string, string> = {}, extra: Partial<ParseOptions> = {}) {
  return parseZoneText(text, {
    file: FILE,
    origin: 'example.com',
    zonesDir: '/zones',
    readFile: (p) => {
      const content = files[p];
      if (content === undefined) throw new Error(`ENOENT: no such file ${p}`);
      return content;
    },
    ...extra,
  });
}

/** Records as text; fails the test on any error. */
function records(text: string, files: Record<string, string> = {}): string[] {
  const r = parse(text, files);
  expect(r.errors.map((e) => e.describe())).toEqual([]);
  return r.records.map(formatRR);
}

/** Errors as "file:line CODE". */
function errors(text: string, files: Record<string, string> = {}, extra: Partial<ParseOptions> = {}): string[] {
  return parse(text, files, extra).errors.map((e) => `${e.file}:${e.line} ${e.code}`);
}

describe('master file syntax', () => {
  it('reads $ORIGIN, $TTL, @, relative and absolute names, and blank owners', () => {
    expect(
      records(`$TTL 1h
@ IN SOA ns1 hostmaster.example.com. 1 2 3 4 5
  IN NS ns1
ns1 A 192.0.2.1
$ORIGIN sub.example.com.
www A 192.0.2.2
    AAAA 2001:db8::2
other.example.net. A 192.0.2.3
`),
    ).toEqual([
      'example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 5',
      'example.com. 3600 IN NS ns1.example.com.',
      'ns1.example.com. 3600 IN A 192.0.2.1',
      'www.sub.example.com. 3600 IN A 192.0.2.2',
      'www.sub.example.com. 3600 IN AAAA 2001:db8::2',
      'other.example.net. 3600 IN A 192.0.2.3',
    ]);
  });

  it('joins lines in parentheses and drops comments', () => {
    expect(
      records(`$TTL 300
@ SOA ( ns1   ; primary
        host  ; contact
        2024 ; serial
        1h 15m 1w 5m ) ; timers with units
`),
    ).toEqual(['example.com. 300 IN SOA ns1.example.com. host.example.com. 2024 3600 900 604800 300']);
  });

  it('accepts TTL and class in either order, and the class may be left out', () => {
    expect(
      records(`a 60 IN A 192.0.2.1
b IN 60 A 192.0.2.1
c 60 A 192.0.2.1
d CLASS1 60 A 192.0.2.1
e in 1H30M a 192.0.2.1
`),
    ).toEqual([
      'a.example.com. 60 IN A 192.0.2.1',
      'b.example.com. 60 IN A 192.0.2.1',
      'c.example.com. 60 IN A 192.0.2.1',
      'd.example.com. 60 IN A 192.0.2.1',
      'e.example.com. 5400 IN A 192.0.2.1',
    ]);
  });

  it.each([
    ['3600', 3600],
    ['1w2d', 777600],
    ['1h30m', 5400],
    ['2H', 7200],
    ['1d1d', 172800],
    ['0', 0],
    ['2147483647', 2147483647],
  ])('TTL %s is %i seconds', (text, seconds) => {
    expect(records(`a ${text} A 192.0.2.1`)).toEqual([`a.example.com. ${seconds} IN A 192.0.2.1`]);
  });

  it.each(['1h30', '1x', '2147483648', '1hh'])('TTL %s is an error', (text) => {
    expect(errors(`a ${text} A 192.0.2.1`)).toEqual([`${FILE}:1 STEER_ZONE_BAD_TTL`]);
  });

  it('uses $TTL, else the last explicit TTL (RFC 1035), else reports the record', () => {
    expect(records('a 60 A 192.0.2.1\nb A 192.0.2.2\n$TTL 90\nc 30 A 192.0.2.3\nd A 192.0.2.4')).toEqual([
      'a.example.com. 60 IN A 192.0.2.1',
      'b.example.com. 60 IN A 192.0.2.2',
      'c.example.com. 30 IN A 192.0.2.3',
      'd.example.com. 90 IN A 192.0.2.4',
    ]);
    expect(errors('\n\na A 192.0.2.1')).toEqual([`${FILE}:3 STEER_ZONE_NO_TTL`]);
  });

  it('lowercases names and handles \\. and \\DDD escapes', () => {
    expect(
      records('$TTL 1\nWWW.Example.COM. A 192.0.2.1\na\\.b A 192.0.2.1\nsp\\032ace A 192.0.2.1\n\\065 A 192.0.2.1\nx\\\\y A 192.0.2.1'),
    ).toEqual([
      'www.example.com. 1 IN A 192.0.2.1',
      'a\\.b.example.com. 1 IN A 192.0.2.1',
      'sp\\032ace.example.com. 1 IN A 192.0.2.1',
      'a.example.com. 1 IN A 192.0.2.1',
      'x\\\\y.example.com. 1 IN A 192.0.2.1',
    ]);
  });

  it('records where each record was written', () => {
    const r = parse('$TTL 1\na A 192.0.2.1\n\nb TXT (\n "x" )\n');
    expect(r.records.map((x: ParsedRecord) => `${x.file}:${x.line}`)).toEqual([`${FILE}:2`, `${FILE}:4`]);
  });

  it('reports the zone origin as set by an $ORIGIN before the first record', () => {
    expect(parse('$TTL 1\n$ORIGIN other.test.\n@ A 192.0.2.1').origin).toBe('other.test');
    expect(parse('$TTL 1\n@ A 192.0.2.1\n$ORIGIN other.test.\n@ A 192.0.2.1').origin).toBe('example.com');
    expect(parse('$ORIGIN rel\n$TTL 1\n@ A 192.0.2.1').origin).toBe('rel.example.com');
  });
});

describe('record data', () => {
  it.each([
    ['MX 10 mail', 'MX 10 mail.example.com.'],
    ['MX 0 .', 'MX 0 .'],
    ['SRV 1 2 443 target.example.net.', 'SRV 1 2 443 target.example.net.'],
    ['CNAME @', 'CNAME example.com.'],
    ['PTR host', 'PTR host.example.com.'],
    ['NS ns', 'NS ns.example.com.'],
    ['AAAA ::ffff:192.0.2.1', 'AAAA ::ffff:192.0.2.1'], // RFC 5952 §5: mapped addresses in mixed notation
    ['TXT "a" "b c" d', 'TXT "a" "b c" "d"'],
    ['TXT ""', 'TXT ""'],
    ['TXT "say \\"hi\\"" \\;semi "\\255\\000"', 'TXT "say \\"hi\\"" ";semi" "\\255\\000"'],
    ['TXT "é"', 'TXT "\\195\\169"'],
    ['HINFO "Intel x86" Linux', 'HINFO "Intel x86" "Linux"'],
    ['CAA 128 issuewild ";"', 'CAA 128 issuewild ";"'],
    ['CAA 0 iodef "mailto:a@example.com"', 'CAA 0 iodef "mailto:a@example.com"'],
    ['TYPE12345 \\# 3 abcdef', 'TYPE12345 \\# 3 abcdef'],
    ['TYPE12345 \\# 0', 'TYPE12345 \\# 0'],
    ['DS \\# 4 ( 0102 0304 )', 'DS \\# 4 01020304'],
    ['A \\# 4 C0000201', 'A 192.0.2.1'],
    ['TYPE1 192.0.2.1', 'A 192.0.2.1'],
    ['NS \\# 17 036e733107657861 6d706c6503636f6d00', 'NS ns1.example.com.'],
    ['MX \\# 5 000a 010000', 'MX 10 \\000.'],
    ['TXT \\# 3 02 6869', 'TXT "hi"'],
    ['SOA \\# 22 00 00 0000000100000002000000030000000400000005', 'SOA . . 1 2 3 4 5'],
  ])('%s', (rdata, expected) => {
    expect(records(`$TTL 5\nx ${rdata}`)).toEqual([`x.example.com. 5 IN ${expected}`]);
  });

  it('splits TXT strings longer than 255 bytes and keeps separate strings separate', () => {
    const r = parse(`$TTL 5\nx TXT "${'a'.repeat(600)}" "b"`);
    const rec = r.records[0]!;
    expect(rec.data.kind).toBe('raw');
    const bytes = rec.data.kind === 'raw' ? rec.data.bytes : new Uint8Array();
    const lengths: number[] = [];
    for (let i = 0; i < bytes.length; i += 1 + bytes[i]!) lengths.push(bytes[i]!);
    expect(lengths).toEqual([255, 255, 90, 1]);
  });

  it('keeps RDATA shapes: names for NS/CNAME/PTR, typed MX/SRV/SOA, raw bytes otherwise', () => {
    const r = parse('$TTL 5\na NS b\na MX 1 b\na SRV 1 2 3 b\na A 192.0.2.1\na CAA 0 issue x');
    expect(r.records.map((x) => x.data.kind)).toEqual(['name', 'mx', 'srv', 'raw', 'raw']);
  });

  it.each([
    ['A 192.0.2.256', 'STEER_ZONE_BAD_RDATA'],
    ['A 192.0.2.1 192.0.2.2', 'STEER_ZONE_BAD_RDATA'],
    ['A', 'STEER_ZONE_BAD_RDATA'],
    ['AAAA 192.0.2.1', 'STEER_ZONE_BAD_RDATA'],
    ['AAAA fe80::1%eth0', 'STEER_ZONE_BAD_RDATA'],
    ['MX 65536 mail', 'STEER_ZONE_BAD_RDATA'],
    ['MX -1 mail', 'STEER_ZONE_BAD_RDATA'],
    ['MX 10 "mail"', 'STEER_ZONE_BAD_RDATA'],
    ['SRV 1 2 mail', 'STEER_ZONE_BAD_RDATA'],
    ['SOA a b 4294967296 1 2 3 4', 'STEER_ZONE_BAD_RDATA'],
    ['TXT', 'STEER_ZONE_BAD_RDATA'],
    ['TXT "\\256"', 'STEER_ZONE_BAD_RDATA'],
    ['TXT "\\12x"', 'STEER_ZONE_BAD_RDATA'],
    ['HINFO "only one"', 'STEER_ZONE_BAD_RDATA'],
    [`HINFO "${'c'.repeat(256)}" os`, 'STEER_ZONE_BAD_RDATA'],
    ['CAA 0 "" x', 'STEER_ZONE_BAD_RDATA'],
    ['CAA 0 is-sue x', 'STEER_ZONE_BAD_RDATA'],
    ['CAA 256 issue x', 'STEER_ZONE_BAD_RDATA'],
    ['TYPE65280 \\# 3 abcd', 'STEER_ZONE_BAD_RDATA'],
    ['TYPE65280 \\# 2 abc', 'STEER_ZONE_BAD_RDATA'],
    ['TYPE65280 \\# 2 zz00', 'STEER_ZONE_BAD_RDATA'],
    ['TYPE65280 \\#', 'STEER_ZONE_BAD_RDATA'],
    ['A \\# 3 c00002', 'STEER_ZONE_BAD_RDATA'],
    ['NS \\# 3 c00c00', 'STEER_ZONE_BAD_RDATA'],
    ['NS \\# 2 0161', 'STEER_ZONE_BAD_RDATA'],
    ['TXT \\# 2 0561', 'STEER_ZONE_BAD_RDATA'],
    ['CAA \\# 2 0000', 'STEER_ZONE_BAD_RDATA'],
    ['MB mailhost', 'STEER_ZONE_GENERIC_ONLY'],
    ['TYPE65280 0a000001', 'STEER_ZONE_GENERIC_ONLY'],
    ['FOO 1', 'STEER_ZONE_UNKNOWN_TYPE'],
    ['TYPE65536 \\# 0', 'STEER_ZONE_UNKNOWN_TYPE'],
    ['"A" 192.0.2.1', 'STEER_ZONE_UNKNOWN_TYPE'],
    ['AXFR \\# 0', 'STEER_ZONE_META_TYPE'],
    ['TYPE255 \\# 0', 'STEER_ZONE_META_TYPE'],
    ['ANY \\# 0', 'STEER_ZONE_BAD_CLASS'],
    ['OPT \\# 0', 'STEER_ZONE_META_TYPE'],
    ['TYPE0 \\# 0', 'STEER_ZONE_META_TYPE'],
    ['CH A 192.0.2.1', 'STEER_ZONE_BAD_CLASS'],
    ['CLASS3 A 192.0.2.1', 'STEER_ZONE_BAD_CLASS'],
    ['IN IN A 192.0.2.1', 'STEER_ZONE_SYNTAX'],
    ['5 5 A 192.0.2.1', 'STEER_ZONE_SYNTAX'],
    ['IN 5', 'STEER_ZONE_SYNTAX'],
  ])('x %s → %s', (rdata, code) => {
    expect(errors(`$TTL 5\n\nx ${rdata}`)).toEqual([`${FILE}:3 ${code}`]);
  });

  it('points at the line of the bad field in a multi-line record', () => {
    expect(errors('$TTL 5\n@ SOA ( ns1 host\n  1 2\n  3x 4 5 )')).toEqual([`${FILE}:4 STEER_ZONE_BAD_RDATA`]);
  });
});

describe('names', () => {
  it.each([
    [`${'a'.repeat(64)} A 192.0.2.1`, 'label over 63 bytes'],
    [`${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}. A 192.0.2.1`, 'name over 255 bytes'],
    ['a..b A 192.0.2.1', 'empty label'],
    ['.a A 192.0.2.1', 'leading dot'],
    ['a\\1 A 192.0.2.1', 'short \\DDD'],
    ['a\\300 A 192.0.2.1', '\\DDD over 255'],
    ['"quoted" A 192.0.2.1', 'quoted owner'],
  ])('%s is an error (%s)', (line) => {
    expect(errors(`$TTL 5\n${line}`)).toEqual([`${FILE}:2 STEER_ZONE_BAD_NAME`]);
  });

  it('accepts a 63-byte label and a 255-byte name', () => {
    const label63 = 'a'.repeat(63);
    // 3 x (63+1) + (49+1) + "example"(8) + "com"(4) + root(1) = 255
    const name = `${label63}.${label63}.${label63}.${'d'.repeat(49)}`;
    expect(records(`$TTL 5\n${name} A 192.0.2.1`)).toHaveLength(1);
    expect(errors(`$TTL 5\n${name}d A 192.0.2.1`)).toEqual([`${FILE}:2 STEER_ZONE_BAD_NAME`]);
  });
});

describe('syntax errors', () => {
  it.each([
    ['$TTL 5\nx TXT "open\ny A 192.0.2.1', 2],
    ['$TTL 5\nx SOA ( a b 1 2 3 4 5\n\n', 2],
    ['$TTL 5\nx TXT ( ( "a" ) )', 2],
    ['$TTL 5\nx TXT "a" )', 2],
    ['$TTL 5\n\n$GENERATE 1-2 a A 192.0.2.1', 3],
    ['$TTL 5\n$ORIGIN\n', 2],
    ['$TTL\n', 1],
    ['$TTL 5\n  A 192.0.2.1', 2],
    ['$TTL 5\nx\n', 2],
    ['$TTL 5\nx TXT a\\', 2],
  ])('%j fails at line %i', (text, line) => {
    const found = errors(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${FILE}:${line} STEER_ZONE_`));
  });

  it('collects every error of a file, each with its line', () => {
    expect(errors('$TTL 5\nbad1 A 1.2.3\nok A 192.0.2.1\nbad2 FOO x\n\nbad3 CH A 192.0.2.1\nbad..4 A 192.0.2.1')).toEqual([
      `${FILE}:2 STEER_ZONE_BAD_RDATA`,
      `${FILE}:4 STEER_ZONE_UNKNOWN_TYPE`,
      `${FILE}:6 STEER_ZONE_BAD_CLASS`,
      `${FILE}:7 STEER_ZONE_BAD_NAME`,
    ]);
  });

  it('stops collecting at the cap', () => {
    const text = Array.from({ length: 20 }, (_, i) => `bad${i} A x`).join('\n');
    const found = errors(`$TTL 5\n${text}`, {}, { maxErrors: 5 });
    expect(found).toHaveLength(6);
    expect(found.at(-1)).toBe(`${FILE}:7 STEER_ZONE_TOO_MANY_ERRORS`);
  });

  it('skips blank-owner lines after an unreadable owner instead of misattributing them', () => {
    expect(errors('$TTL 5\na..b A 192.0.2.1\n   AAAA ::1\nok A 192.0.2.1\n   AAAA ::1')).toEqual([`${FILE}:2 STEER_ZONE_BAD_NAME`]);
    const r = parse('$TTL 5\nbroken TXT "open\n   A 192.0.2.1');
    expect(r.records.map(formatRR)).toEqual(['broken.example.com. 5 IN A 192.0.2.1']);
  });

  it('describes errors as file:line: message [CODE]', () => {
    const e = parse('$TTL 5\nx FOO 1').errors[0]!;
    expect(e.describe()).toBe(`${FILE}:2: unknown record type FOO [STEER_ZONE_UNKNOWN_TYPE]`);
  });
});

describe('$INCLUDE', () => {
  it('reads a file relative to the including file, with its own origin, and restores state', () => {
    const files = {
      '/zones/parts/hosts.inc': '$TTL 7\nhost A 192.0.2.7\n$INCLUDE deeper.inc\n',
      '/zones/parts/deeper.inc': 'deep A 192.0.2.8\n',
    };
    expect(records('$TTL 5\na A 192.0.2.1\n$INCLUDE parts/hosts.inc sub\n  AAAA ::1\nb A 192.0.2.2', files)).toEqual([
      'a.example.com. 5 IN A 192.0.2.1',
      'host.sub.example.com. 7 IN A 192.0.2.7',
      'deep.sub.example.com. 7 IN A 192.0.2.8',
      'a.example.com. 5 IN AAAA ::1',
      'b.example.com. 5 IN A 192.0.2.2',
    ]);
    const r = parse('$TTL 5\n$INCLUDE "parts/hosts.inc"', files);
    expect(r.records.map((x) => `${x.file}:${x.line}`)).toEqual(['/zones/parts/hosts.inc:2', '/zones/parts/deeper.inc:1']);
  });

  it('reports errors inside an included file with that file and line', () => {
    const files = { '/zones/bad.inc': '$TTL 5\n\nx A nope\n' };
    expect(errors('$INCLUDE bad.inc', files)).toEqual(['/zones/bad.inc:3 STEER_ZONE_BAD_RDATA']);
  });

  it.each([
    ['../etc/passwd', 'outside the zones directory'],
    ['/etc/passwd', 'outside the zones directory'],
    ['missing.inc', 'ENOENT'],
    ['example.com.zone', 'includes itself'],
  ])('refuses %s', (target, why) => {
    const r = parse(`$TTL 5\n\n$INCLUDE ${target}`, { '/etc/passwd': 'x A 1.2.3.4', '/zones/example.com.zone': '' });
    expect(r.errors.map((e) => `${e.file}:${e.line} ${e.code}`)).toEqual([`${FILE}:3 STEER_ZONE_INCLUDE`]);
    expect(r.errors[0]!.message).toContain(why);
    expect(r.records).toEqual([]);
  });

  it('bounds the include depth', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`/zones/f${i}.inc`] = `$INCLUDE f${i + 1}.inc\n`;
    const found = errors('$INCLUDE f0.inc', files);
    expect(found).toEqual(['/zones/f7.inc:1 STEER_ZONE_INCLUDE']);
  });

  describe('on disk', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-zone-'));
    const zonesDir = path.join(root, 'zones');
    fs.mkdirSync(path.join(zonesDir, 'parts'), { recursive: true });
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(path.join(root, 'outside', 'secret.zone'), 'leak A 192.0.2.66\n');
    fs.writeFileSync(path.join(zonesDir, 'parts', 'ok.inc'), 'fine A 192.0.2.1\n');
    fs.symlinkSync(path.join(root, 'outside', 'secret.zone'), path.join(zonesDir, 'link.inc'));
    fs.symlinkSync(path.join(root, 'outside'), path.join(zonesDir, 'dirlink'));
    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
    const file = path.join(zonesDir, 'example.com.zone');
    const diskParse = (text: string) => parseZoneText(text, { file, origin: 'example.com', zonesDir });

    it('reads an include inside the zones directory', () => {
      const r = diskParse('$TTL 5\n$INCLUDE parts/ok.inc');
      expect(r.errors).toEqual([]);
      expect(r.records.map(formatRR)).toEqual(['fine.example.com. 5 IN A 192.0.2.1']);
    });

    it.each(['link.inc', 'dirlink/secret.zone', 'parts/../../outside/secret.zone'])('refuses %s (resolves to outside)', (target) => {
      const r = diskParse(`$TTL 5\n$INCLUDE ${target}`);
      expect(r.errors.map((e) => `${e.line} ${e.code}`)).toEqual(['2 STEER_ZONE_INCLUDE']);
      expect(r.errors[0]!.message).toContain('outside the zones directory');
      expect(r.records).toEqual([]);
    });
  });
});

describe('robustness', () => {
  const sample = `$ORIGIN example.com.\n$TTL 3600\n@ IN SOA ns1 host ( 1 2 3 4 5 )\n  NS ns1\nwww A 192.0.2.1\n  AAAA ::1\nt TXT "a\\"b" c\ng TYPE9 \\# 2 abcd\n$INCLUDE x.inc\n`;
  const pieces = [
    '(',
    ')',
    '"',
    '\\',
    ';',
    '\n',
    ' ',
    '\t',
    '$TTL',
    '$ORIGIN',
    '$INCLUDE',
    '@',
    '.',
    '..',
    'IN',
    'CH',
    '1h',
    'A',
    'TXT',
    'SOA',
    'MX',
    'CAA',
    'SRV',
    '\\#',
    '\\0',
    '\\999',
    'TYPE65535',
    '*',
    'é',
    '\u0000',
    '4294967296',
  ];

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parse(text, { '/zones/x.inc': sample });
        expect(Array.isArray(r.errors)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated zone text, and every error has a line', () => {
    const mutation = fc.record({
      at: fc.nat({ max: sample.length }),
      cut: fc.nat({ max: 8 }),
      insert: fc.array(fc.constantFrom(...pieces), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (mutations) => {
        let text = sample;
        for (const m of mutations) text = text.slice(0, m.at) + m.insert.join('') + text.slice(m.at + m.cut);
        const r = parse(text, { '/zones/x.inc': sample });
        for (const e of r.errors) {
          expect(e.file).toBeTruthy();
          expect(e.line).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parses the sample without errors', () => {
    const r = parse(sample, { '/zones/x.inc': '' });
    expect(r.errors).toEqual([]);
    expect(r.records.filter((x) => x.type === RRType.TXT)).toHaveLength(1);
  });
});
