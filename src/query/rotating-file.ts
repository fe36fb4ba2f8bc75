// An append-only file rotated by size: FILE grows to maxBytes, then becomes FILE.1 (FILE.1 becomes
// FILE.2, ... up to `keep`; the oldest is deleted) and a fresh FILE starts. Lines are buffered and
// written in batches (at 64 KiB, or every flushMs), so a busy server makes one write() per batch,
// not per line. Writes are synchronous: a batch costs well under a millisecond, and the exit
// path can flush what is buffered without an event loop.
import fs from 'node:fs';

export interface RotatingFileOptions {
  /** Rotate once the file reaches this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept (FILE.1 … FILE.keep); 0 keeps none (the file restarts empty). */
  readonly keep: number;
  /** Longest a line waits in the buffer (default 200 ms). */
  readonly flushMs?: number;
  /** Reports a failed write or rotation (the line batch is lost; logging goes on). */
  readonly onError?: (err: Error) => void;
}

const BATCH_BYTES = 64 * 1024;

export class RotatingFile {
  readonly #file: string;
  readonly #options: RotatingFileOptions;
  #fd: number;
  #size: number;
  #buffer: string[] = [];
  #buffered = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(file: string, options: RotatingFileOptions) {
    this.#file = file;
    this.#options = options;
    this.#fd = fs.openSync(file, 'a', 0o640);
    this.#size = fs.fstatSync(this.#fd).size;
  }

  /** Appends one line (a newline is added). */
  writeLine(line: string): void {
    if (this.#closed) return;
    this.#buffer.push(line);
    this.#buffered += line.length + 1;
    if (this.#buffered >= BATCH_BYTES) this.flush();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#options.flushMs ?? 200);
      this.#timer.unref();
    }
  }

  /** Writes what is buffered now, rotating first when the file is full. */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#buffer.length === 0 || this.#closed) return;
    const text = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    this.#buffered = 0;
    try {
      if (this.#size > 0 && this.#size >= this.#options.maxBytes) this.#rotate();
      const bytes = Buffer.from(text, 'utf8');
      fs.writeSync(this.#fd, bytes);
      this.#size += bytes.length;
    } catch (err) {
      this.#options.onError?.(err as Error);
    }
  }

  /** Flushes and closes; later lines are dropped. Safe to call twice (and from an exit handler). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    fs.closeSync(this.#fd);
  }

  #rotate(): void {
    fs.closeSync(this.#fd);
    const keep = this.#options.keep;
    if (keep === 0) fs.rmSync(this.#file, { force: true });
    for (let i = keep; i >= 1; i--) {
      const from = i === 1 ? this.#file : `${this.#file}.${i - 1}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.#file}.${i}`);
    }
    this.#fd = fs.openSync(this.#file, 'a', 0o640);
    this.#size = 0;
  }
}
