import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SteerError } from '../errors.js';
import { readLineBytes, splitLines } from './line-bytes.js';

/** mulberry32, so a failure can be rerun. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes rich in line ends, white space and multi-byte (and broken) UTF-8. */
function soup(r: () => number, length: number): Buffer {
  const pieces = ['a', 'b', '{"x":1}', '\n', '\r', '\r\n', ' ', '\t', 'é', '€', '\u2028', '\n\n'];
  const parts: Buffer[] = [];
  for (let i = 0; i < length; i++) {
    if (r() < 0.03)
      parts.push(Buffer.from([0xe2, 0x82])); // a cut multi-byte sequence
    else parts.push(Buffer.from(pieces[Math.floor(r() * pieces.length)]!, 'utf8'));
  }
  return Buffer.concat(parts);
}

/**
 * `bytes` cut at random places, single bytes included. Never an empty chunk: a file or gunzip
 * stream gives none, and readline would take "\r", empty chunk, "\n" as two line ends.
 */
function chunks(r: () => number, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(r() * 8);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function viaReadline(parts: Buffer[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of createInterface({ input: Readable.from(parts), crlfDelay: Number.POSITIVE_INFINITY })) lines.push(l);
  return lines;
}

async function viaSplit(parts: Buffer[]): Promise<string[]> {
  const lines: string[] = [];
  const count = await splitLines(
    (async function* () {
      yield* parts;
    })(),
    (buf, start, end, n) => {
      expect(n).toBe(lines.length + 1);
      lines.push(buf.toString('utf8', start, end));
    },
  );
  expect(count).toBe(lines.length);
  return lines;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-line-bytes-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('splitLines', () => {
  it('ends lines exactly where readline does, however the bytes are cut', async () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const r = rng(seed);
      const bytes = soup(r, Math.floor(r() * 60));
      const parts = chunks(r, bytes);
      expect(await viaSplit(parts), `seed ${seed}`).toEqual(await viaReadline(parts));
    }
  });

  it('handles the edges: nothing, a lone line end, no last line end', async () => {
    for (const text of ['', '\n', '\r', '\r\n', 'a', 'a\r', 'a\r\n', '\r\r\n\n', 'a\n\rb']) {
      const parts = [Buffer.from(text)];
      expect(await viaSplit(parts), JSON.stringify(text)).toEqual(await viaReadline(parts));
    }
  });
});

describe('readLineBytes', () => {
  async function lines(file: string): Promise<string[]> {
    const out: string[] = [];
    await readLineBytes(file, (buf, start, end) => out.push(buf.toString('utf8', start, end)));
    return out;
  }

  it('reads a plain file, a line longer than its buffer, and gzip', async () => {
    const long = 'x'.repeat(3 << 20);
    const text = `first\r\n${long}\nlast`;
    const plain = path.join(dir, 'log.jsonl');
    fs.writeFileSync(plain, text);
    const gz = path.join(dir, 'log.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(text));
    expect(await lines(plain)).toEqual(['first', long, 'last']);
    expect(await lines(gz)).toEqual(['first', long, 'last']);
  });

  it('says which file cannot be read, and lets what the caller throws through', async () => {
    const missing = path.join(dir, 'missing.jsonl');
    await expect(lines(missing)).rejects.toThrow(SteerError);
    await expect(lines(missing)).rejects.toThrow(/missing\.jsonl/);
    const notGzip = path.join(dir, 'bad.jsonl.gz');
    fs.writeFileSync(notGzip, 'not gzip');
    await expect(lines(notGzip)).rejects.toThrow(SteerError);
    const file = path.join(dir, 'two.jsonl');
    fs.writeFileSync(file, 'a\nb\n');
    const mine = new Error('stop');
    await expect(
      readLineBytes(file, () => {
        throw mine;
      }),
    ).rejects.toBe(mine);
  });
});
