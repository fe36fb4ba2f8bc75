// The shortcuts that make big zones load fast must agree with the general code they bypass.
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RRType, type RR, type RRset } from '../wire/types.js';
import { plainName, readNameText } from './name.js';
import { NodeMap } from './node-map.js';
import { ipv4Into } from './rdata-parse.js';
import { EMPTY_TABLE, rrsetTable, singleRRsetTable } from './rrset-table.js';
import type { ZoneNode } from './types.js';

// Name-ish text: mostly the characters zone files use, with the odd escape, dot run or byte above 0x7e.
const nameChar = fc.constantFrom(...'abcXYZ019-_*.\\ \t"é'.split(''), 'a', 'b', '.', '0');
const nameText = fc.array(nameChar, { minLength: 1, maxLength: 80 }).map((cs) => cs.join(''));
const origins = fc.constantFrom('', 'example.com', 'a\\.b.example', `${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}`);

describe('plainName (the parser shortcut for names)', () => {
  it('gives the same name as the full reader whenever it answers, and leaves every error to it', () => {
    fc.assert(
      fc.property(nameText, origins, (text, origin) => {
        fc.pre(text !== '@' && text !== '.');
        const full = readNameText(text, origin);
        const fast = plainName(text, origin);
        if (fast !== null) expect(full).toEqual({ ok: true, name: fast });
        if (!full.ok) expect(fast).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the common forms', () => {
    expect(plainName('h123', 'example.com')).toBe('h123.example.com');
    expect(plainName('WWW.Example.COM.', 'x')).toBe('www.example.com');
    expect(plainName('*.w', 'example.com')).toBe('*.w.example.com');
    expect(plainName('a\\.b', 'example.com')).toBeNull(); // escapes: the full reader
    expect(plainName('a..b', 'example.com')).toBeNull(); // errors: the full reader reports them
  });

  it('checks the 255-byte limit as the full reader does', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}`;
    for (let n = 55; n <= 70; n++) {
      const text = 'd'.repeat(Math.min(n, 63)) + (n > 63 ? `.${'e'.repeat(n - 64)}` : '');
      const full = readNameText(text, long);
      expect(plainName(text, long)).toBe(full.ok ? full.name : null);
    }
  });
});

describe('ipv4Into (the parser shortcut for A records)', () => {
  const check = (text: string): void => {
    const out = new Uint8Array(4);
    const ok = ipv4Into(text, 0, text.length, out);
    expect(ok, text).toBe(isIPv4(text));
    if (ok) expect([...out]).toEqual(text.split('.').map(Number));
  };

  it('accepts and reads exactly what node:net isIPv4 accepts', () => {
    fc.assert(fc.property(fc.ipV4(), check), { numRuns: 2000 });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...'0123456789.x '.split(''), '25', '255', '256', '00'), { maxLength: 20 }).map((a) => a.join('')),
        check,
      ),
      { numRuns: 3000 },
    );
    for (const t of [
      '',
      '1.2.3',
      '1.2.3.4.',
      '.1.2.3.4',
      '01.2.3.4',
      '1.2.3.04',
      '0.0.0.0',
      '255.255.255.255',
      '256.1.1.1',
      '1..2.3',
      '1.2.3.4.5',
      '1234.1.1.1',
    ])
      check(t);
  });

  it('reads an address inside a longer text', () => {
    const out = new Uint8Array(4);
    const text = 'h1 IN A 192.0.2.33 ; comment';
    expect(ipv4Into(text, 8, 18, out)).toBe(true);
    expect([...out]).toEqual([192, 0, 2, 33]);
  });
});

function node(name: string): ZoneNode {
  return { name, rrsets: EMPTY_TABLE, dynamic: null };
}

describe('NodeMap', () => {
  it('behaves as a Map, split over shards once big', () => {
    const names = Array.from({ length: 70_000 }, (_, i) => `n${i}.example.com`);
    const map = new NodeMap(names.length); // several shards
    const small = new NodeMap(10); // one
    for (const m of [map, small]) {
      for (const name of names) m.put(name, node(name));
      m.put(names[0]!, node('replaced'));
      expect(m.size).toBe(names.length);
      expect(m.get(names[0]!)!.name).toBe('replaced');
      expect(m.get(names[12345]!)!.name).toBe(names[12345]);
      expect(m.has('nope.example.com')).toBe(false);
      expect(new Set(m.keys())).toEqual(new Set(names));
      let count = 0;
      m.forEach((v, k, self) => {
        expect(self.get(k)).toBe(v);
        count++;
      });
      expect(count).toBe(names.length);
      expect([...m].length).toBe(names.length);
      expect([...m.values()].length).toBe(names.length);
    }
  });

  it('adds a node only when missing (getOrAdd)', () => {
    const m = new NodeMap(1);
    const a = m.getOrAdd('a', node);
    expect(m.getOrAdd('a', () => node('other'))).toBe(a);
    expect(m.size).toBe(1);
  });

  it('cannot change once sealed', () => {
    const m = new NodeMap(1);
    m.put('a', node('a'));
    m.seal();
    expect(() => m.put('b', node('b'))).toThrow(TypeError);
    expect(() => m.getOrAdd('b', node)).toThrow(TypeError);
    expect(m.getOrAdd('a', node).name).toBe('a');
    expect(() => (m as unknown as Map<string, ZoneNode>).set('b', node('b'))).toThrow(TypeError);
    expect(() => (m as unknown as Map<string, ZoneNode>).delete('a')).toThrow(TypeError);
    expect(Object.isFrozen(m)).toBe(true);
    expect(m.size).toBe(1);
  });
});

describe('RRset tables', () => {
  const set = (type: number): RRset =>
    Object.freeze([Object.freeze({ name: 'x', type, ttl: 1, data: { kind: 'raw', bytes: new Uint8Array(0) } } as RR)]);

  it.each([
    ['empty', [] as number[]],
    ['one', [RRType.A]],
    ['several', [RRType.A, RRType.MX, RRType.TXT, RRType.AAAA]],
  ])('%s: answers like a Map of the same entries', (_label, types) => {
    const sets = types.map(set);
    const table = types.length === 1 ? singleRRsetTable(types[0]!, sets[0]!) : rrsetTable(types, sets);
    const map = new Map(types.map((t, i) => [t, sets[i]!]));
    expect(table.size).toBe(map.size);
    for (const t of [RRType.A, RRType.AAAA, RRType.MX, RRType.TXT, RRType.NS]) {
      expect(table.get(t)).toBe(map.get(t));
      expect(table.has(t)).toBe(map.has(t));
    }
    expect([...table.keys()]).toEqual([...map.keys()]);
    expect([...table.values()]).toEqual([...map.values()]);
    expect([...table.entries()]).toEqual([...map.entries()]);
    expect([...table]).toEqual([...map]);
    const seen: number[] = [];
    table.forEach((v, k, self) => {
      expect(self.get(k)).toBe(v);
      seen.push(k);
    });
    expect(seen).toEqual(types);
    expect((table as unknown as { set?: unknown }).set).toBeUndefined();
  });
});
