import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingFile } from './rotating-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-rotate-'));
  dirs.push(d);
  return d;
}

describe('RotatingFile', () => {
  it('rotates at the size limit, keeps that many old files, newest as FILE.1, and loses no line', () => {
    const file = path.join(tmp(), 'q.jsonl');
    const out = new RotatingFile(file, { maxBytes: 1000, keep: 2 });
    const line = (i: number): string => `{"n":${i},"pad":"${'x'.repeat(80)}"}`;
    for (let i = 0; i < 60; i++) {
      out.writeLine(line(i));
      if (i % 5 === 4) out.flush(); // batches of five lines, about 470 bytes
    }
    out.close();
    const read = (f: string): number[] =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).n as number);
    expect(fs.existsSync(`${file}.3`)).toBe(false);
    const [older, newer, current] = [read(`${file}.2`), read(`${file}.1`), read(file)];
    expect([...older, ...newer, ...current]).toEqual(Array.from({ length: current.at(-1)! - older[0]! + 1 }, (_, i) => older[0]! + i));
    expect(current.at(-1)).toBe(59);
    for (const f of [`${file}.2`, `${file}.1`]) expect(fs.statSync(f).size).toBeGreaterThanOrEqual(1000);
  });

  it('appends to an existing file and flushes what is buffered on close', () => {
    const file = path.join(tmp(), 'q.jsonl');
    fs.writeFileSync(file, 'old\n');
    const out = new RotatingFile(file, { maxBytes: 1 << 20, keep: 1 });
    out.writeLine('new');
    out.close();
    out.writeLine('after close');
    expect(fs.readFileSync(file, 'utf8')).toBe('old\nnew\n');
  });
});
