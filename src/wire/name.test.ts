import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalName,
  isSubdomain,
  labelCount,
  nameInfo,
  nameToText,
  nameToWire,
  parentName,
  readName,
  splitLabels,
  wireLabelsToName,
  WireNameError,
} from './name.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Wire form from a list of raw labels. */
function wireOf(labels: readonly Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const l of labels) parts.push(l.length, ...l);
  parts.push(0);
  return Uint8Array.from(parts);
}

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('nameToWire', () => {
  it('encodes labels and the root', () => {
    expect(hex(nameToWire('www.example.com'))).toBe('03777777076578616d706c6503636f6d00');
    expect(hex(nameToWire(''))).toBe('00');
    expect(hex(nameToWire('.'))).toBe('00');
    expect(hex(nameToWire('a.'))).toBe('016100');
  });

  it('resolves escapes', () => {
    expect(hex(nameToWire('a\\.b.c'))).toBe('03612e620163' + '00');
    expect(hex(nameToWire('a\\\\b'))).toBe('03615c62' + '00');
    expect(hex(nameToWire('\\000\\255x'))).toBe('0300ff78' + '00');
    expect(hex(nameToWire('\\032'))).toBe('0120' + '00');
  });

  it('keeps letter case as written', () => {
    expect(hex(nameToWire('WwW'))).toBe('0357775700');
  });

  it('rejects invalid names', () => {
    expect(() => nameToWire('a..b')).toThrow(WireNameError);
    expect(() => nameToWire('.a')).toThrow(WireNameError);
    expect(() => nameToWire('x'.repeat(64))).toThrow(/63/);
    expect(() => nameToWire('a\\')).toThrow(WireNameError);
    expect(() => nameToWire('a\\25')).toThrow(WireNameError);
    expect(() => nameToWire('a\\256')).toThrow(WireNameError);
    expect(() => nameToWire('é')).toThrow(WireNameError);
    expect(() => nameToWire('a b')).toThrow(WireNameError);
    expect(() => nameToWire('a\tb')).toThrow(WireNameError);
  });

  it('accepts exactly 255 wire bytes and rejects 256', () => {
    const label = 'x'.repeat(63);
    // 4 labels of 63 = 256 bytes of labels + root: too long; 3 x 63 + one of 61 = 254 + root = 255.
    const max = [label, label, label, 'y'.repeat(61)].join('.');
    expect(nameToWire(max).length).toBe(255);
    expect(() => nameToWire([label, label, label, 'y'.repeat(62)].join('.'))).toThrow(/255/);
  });

  it('returns the same cached bytes and suffix table for a repeated name', () => {
    expect(nameToWire('cache.example')).toBe(nameToWire('cache.example'));
    const info = nameInfo('a\\.b.example.com');
    expect(info.suffixes).toEqual(['a\\.b.example.com', 'example.com', 'com']);
    expect(info.offsets).toEqual([0, 4, 12]);
    expect(nameInfo('').suffixes).toEqual([]);
  });

  it('survives cache turnover with correct results', () => {
    let wrong = 0;
    for (let i = 0; i < 10_000; i++) if (nameToWire(`n${i}.example`)[0] !== `n${i}`.length) wrong++;
    expect(wrong).toBe(0);
    expect(hex(nameToWire('n5.example'))).toBe('026e35076578616d706c6500');
  });
});

describe('wireLabelsToName and canonical text', () => {
  it('lowercases and escapes canonically', () => {
    expect(wireLabelsToName(wireOf([ascii('WwW'), ascii('Example')]))).toBe('www.example');
    expect(wireLabelsToName(wireOf([ascii('a.b'), ascii('c\\d')]))).toBe('a\\.b.c\\\\d');
    expect(wireLabelsToName(wireOf([Uint8Array.of(0x20, 0x00, 0x7f, 0xc9, 0x41, 0x7e, 0x21)]))).toBe('\\032\\000\\127\\201a~!');
    expect(wireLabelsToName(Uint8Array.of(0))).toBe('');
  });

  it('rejects compressed or truncated input', () => {
    expect(() => wireLabelsToName(Uint8Array.of(0xc0, 0x0c))).toThrow(WireNameError);
    expect(() => wireLabelsToName(Uint8Array.of(3, 0x61, 0x62))).toThrow(WireNameError);
  });

  it('canonicalName normalises any presentation form', () => {
    expect(canonicalName('WWW.Example.COM.')).toBe('www.example.com');
    expect(canonicalName('.')).toBe('');
    expect(canonicalName('\\065\\.b')).toBe('a\\.b');
    expect(canonicalName('a\\ b')).toBe('a\\032b');
    expect(canonicalName('\\X')).toBe('x');
    expect(() => canonicalName('a..')).toThrow(WireNameError);
  });
});

describe('readName', () => {
  // 12 bytes of header, then "www.example.com" at 12, then names that point back into it.
  const header = new Array<number>(12).fill(0);
  const first = [...nameToWire('www.Example.com')];
  const exampleAt = 12 + 4;

  it('reads an uncompressed name', () => {
    const buf = Uint8Array.from([...header, ...first]);
    expect(readName(buf, 12)).toEqual({ name: 'www.example.com', end: 12 + first.length });
  });

  it('follows pointers and reports the end after the first pointer', () => {
    const buf = Uint8Array.from([...header, ...first, 4, 0x6d, 0x61, 0x69, 0x6c, 0xc0, exampleAt, 0xc0, 12]);
    const second = 12 + first.length;
    expect(readName(buf, second)).toEqual({ name: 'mail.example.com', end: second + 7 });
    expect(readName(buf, second + 7)).toEqual({ name: 'www.example.com', end: second + 9 });
  });

  it('follows a chain of pointers', () => {
    // name2 = "a" + ptr(name1 suffix), name3 = "b" + ptr(name2)
    const n2 = 12 + first.length;
    const buf = Uint8Array.from([...header, ...first, 1, 0x61, 0xc0, exampleAt, 1, 0x62, 0xc0, n2]);
    expect(readName(buf, n2 + 4).name).toBe('b.a.example.com');
  });

  it('rejects pointer loops, forward pointers and pointers into the header', () => {
    const loop = Uint8Array.from([...header, 1, 0x61, 0xc0, 12]);
    expect(() => readName(loop, 12)).toThrow(/backwards/);
    const selfPtr = Uint8Array.from([...header, 0xc0, 12]);
    expect(() => readName(selfPtr, 12)).toThrow(/backwards/);
    const forward = Uint8Array.from([...header, 0xc0, 14, 0]);
    expect(() => readName(forward, 12)).toThrow(/backwards/);
    const intoHeader = Uint8Array.from([...header, 0xc0, 3]);
    expect(() => readName(intoHeader, 12)).toThrow(/header/);
    // A two-step loop: B points to A, whose tail points forward to B.
    const twoStep = Uint8Array.from([...header, 1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12]);
    expect(() => readName(twoStep, 16)).toThrow();
  });

  it('rejects reserved label types, truncation and over-long names', () => {
    expect(() => readName(Uint8Array.from([...header, 0x40, 0]), 12)).toThrow(/label type/);
    expect(() => readName(Uint8Array.from([...header, 0x80, 0]), 12)).toThrow(/label type/);
    expect(() => readName(Uint8Array.from([...header, 3, 0x61]), 12)).toThrow(/end/);
    expect(() => readName(Uint8Array.from([...header, 0xc0]), 12)).toThrow(/end/);
    expect(() => readName(Uint8Array.from(header), 12)).toThrow(/end/);
    const long = [...header];
    for (let i = 0; i < 5; i++) long.push(63, ...new Array<number>(63).fill(0x61));
    long.push(0);
    expect(() => readName(Uint8Array.from(long), 12)).toThrow(/255/);
  });

  it('rejects a name made too long through pointers', () => {
    // 4 x 63-byte labels via a chain of pointers: each piece is short, the whole is 257 bytes.
    const label = [63, ...new Array<number>(63).fill(0x62)];
    const buf = [...header, ...label, 0];
    let prev = 12;
    for (let i = 0; i < 3; i++) {
      const at = buf.length;
      buf.push(...label, 0xc0, prev);
      prev = at;
    }
    expect(() => readName(Uint8Array.from(buf), prev)).toThrow(/255/);
  });
});

describe('name relations', () => {
  it('isSubdomain respects label boundaries and escapes', () => {
    expect(isSubdomain('www.example.com', 'example.com')).toBe(true);
    expect(isSubdomain('example.com', 'example.com')).toBe(true);
    expect(isSubdomain('anything', '')).toBe(true);
    expect(isSubdomain('', '')).toBe(true);
    expect(isSubdomain('wwwexample.com', 'example.com')).toBe(false);
    expect(isSubdomain('com', 'example.com')).toBe(false);
    expect(isSubdomain('a\\.example.com', 'example.com')).toBe(false);
    expect(isSubdomain('a\\.b.example.com', 'example.com')).toBe(true);
    expect(isSubdomain('a\\.example', 'example')).toBe(false);
    expect(isSubdomain('a\\\\.example', 'example')).toBe(true);
  });

  it('counts, splits and strips labels', () => {
    expect(labelCount('')).toBe(0);
    expect(labelCount('com')).toBe(1);
    expect(labelCount('a\\.b.example.com')).toBe(3);
    expect(splitLabels('a\\.b.example')).toEqual(['a\\.b', 'example']);
    expect(splitLabels('')).toEqual([]);
    expect(parentName('a\\.b.example')).toBe('example');
    expect(parentName('com')).toBe('');
    expect(parentName('')).toBeNull();
    expect(nameToText('')).toBe('.');
    expect(nameToText('a.b')).toBe('a.b.');
  });
});

describe('properties', () => {
  const label = fc.uint8Array({ minLength: 1, maxLength: 63 });
  const labels = fc.array(label, { maxLength: 8 }).filter((ls) => ls.reduce((n, l) => n + l.length + 1, 1) <= 255);
  const lower = (b: Uint8Array): Uint8Array => b.map((c) => (c >= 0x41 && c <= 0x5a ? c + 32 : c));

  it('wire -> canonical text -> wire is the lowercased wire', () => {
    fc.assert(
      fc.property(labels, (ls) => {
        const wire = wireOf(ls);
        const text = wireLabelsToName(wire);
        expect(hex(nameToWire(text))).toBe(hex(lower(wire)));
        expect(canonicalName(text)).toBe(text);
        expect(labelCount(text)).toBe(ls.length);
      }),
    );
  });

  it('readName through pointers gives the same name as the uncompressed form', () => {
    fc.assert(
      fc.property(labels, labels, fc.nat(), (head, tail, cut) => {
        // Message: [header][tail + root][head labels + pointer into tail at some label].
        const tailWire = wireOf(tail);
        const keep = tail.length === 0 ? 0 : cut % (tail.length + 1);
        let offset = 12;
        for (let i = 0; i < keep; i++) offset += tail[i]!.length + 1;
        const suffix = tail.slice(keep);
        fc.pre(head.reduce((n, l) => n + l.length + 1, 1) + suffix.reduce((n, l) => n + l.length + 1, 0) <= 255);
        const body: number[] = [...new Array<number>(12).fill(0), ...tailWire];
        const second = body.length;
        for (const l of head) body.push(l.length, ...l);
        body.push(0xc0 | (offset >> 8), offset & 0xff);
        const buf = Uint8Array.from(body);
        const read = readName(buf, second);
        expect(read.end).toBe(buf.length);
        expect(read.name).toBe(wireLabelsToName(wireOf([...head, ...suffix])));
      }),
    );
  });
});
