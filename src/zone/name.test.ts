import { describe, expect, it } from 'vitest';
import { firstLabel, isInZone, parentName, parseNameText, readWireName, wireLength } from './name.js';

describe('parseNameText', () => {
  it.each([
    ['@', 'example.com', 'example.com'],
    ['.', 'example.com', ''],
    ['www', 'example.com', 'www.example.com'],
    ['www', '', 'www'],
    ['WWW.Example.ORG.', 'example.com', 'www.example.org'],
    ['a\\.b', 'example.com', 'a\\.b.example.com'],
    ['a\\\\b.', 'x', 'a\\\\b'],
    ['\\065\\066', 'x', 'ab.x'],
    ['tab\\009', 'x', 'tab\\009.x'],
    ['\\255.', 'x', '\\255'],
    ['sp\\ ace.', 'x', 'sp\\032ace'],
    ['é.', 'x', '\\195\\169'],
    ['*.w', 'example.com', '*.w.example.com'],
  ])('%s relative to %s → %s', (text, origin, expected) => {
    expect(parseNameText(text, origin)).toEqual({ ok: true, name: expected });
  });

  it.each(['', 'a..b', '.a', '..', 'a\\', 'a\\25', 'a\\256', 'x'.repeat(64)])('rejects %j', (text) => {
    expect(parseNameText(text, 'example.com').ok).toBe(false);
  });

  it('counts escaped bytes once toward the 255-byte limit', () => {
    const label = '\\000'.repeat(63); // 63 bytes written as 252 characters
    expect(parseNameText(`${label}.${label}.${label}.${'\\000'.repeat(61)}.`, '').ok).toBe(true);
    expect(parseNameText(`${label}.${label}.${label}.${'\\000'.repeat(62)}.`, '').ok).toBe(false);
  });
});

describe('canonical name helpers', () => {
  it('walks labels, skipping escaped dots', () => {
    expect(parentName('a\\.b.example.com')).toBe('example.com');
    expect(parentName('a\\\\.example.com')).toBe('example.com');
    expect(parentName('com')).toBe('');
    expect(firstLabel('a\\.b.example.com')).toBe('a\\.b');
  });

  it.each([
    ['www.example.com', 'example.com', true],
    ['example.com', 'example.com', true],
    ['anything', '', true],
    ['badexample.com', 'example.com', false],
    ['a\\.example.com', 'example.com', false],
    ['a\\\\.example.com', 'example.com', true],
    ['example.com', 'www.example.com', false],
  ])('isInZone(%s, %s) = %s', (name, origin, expected) => {
    expect(isInZone(name, origin)).toBe(expected);
  });

  it('measures wire length', () => {
    expect(wireLength('')).toBe(1);
    expect(wireLength('com')).toBe(5);
    expect(wireLength('www.example.com')).toBe(17);
    expect(wireLength('a\\.b\\255.com')).toBe(10);
  });

  it('reads uncompressed wire names', () => {
    expect(readWireName(Uint8Array.from([1, 0x41, 2, 0x2e, 0x5c, 0]), 0)).toEqual({ name: 'a.\\.\\\\', next: 6 });
    expect(readWireName(Uint8Array.from([0]), 0)).toEqual({ name: '', next: 1 });
    expect(typeof readWireName(Uint8Array.from([0xc0, 0x0c]), 0)).toBe('string');
    expect(typeof readWireName(Uint8Array.from([3, 0x61]), 0)).toBe('string');
  });
});
