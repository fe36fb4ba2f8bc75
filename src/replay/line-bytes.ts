// Splits a log into lines as bytes, exactly where node:readline (crlfDelay: Infinity) splits its
// text — "\n", "\r\n" and a lone "\r" end a line, a last line without an end still counts — but
// without decoding a line to a string or building one per line: the what-if fast path reads
// most lines straight from the bytes. Files ending in .gz are decompressed on the fly.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { SteerError } from '../errors.js';

/** One line: bytes [start, end) of `buf` (no line end), numbered from 1 in its file. */
export type LineBytesSink = (buf: Buffer, start: number, end: number, line: number) => void;

const LF = 0x0a;
const CR = 0x0d;
const CHUNK = 1 << 20;

/** Calls `each` for every line of `chunks`, in order; returns the number of lines. */
export async function splitLines(chunks: AsyncIterable<Buffer>, each: LineBytesSink): Promise<number> {
  const split = new Splitter(each);
  for await (const chunk of chunks) split.push(chunk);
  return split.end();
}

class Splitter {
  line = 0;
  /** The start of a line whose end is in a later chunk. */
  carry: Buffer | null = null;

  constructor(private readonly each: LineBytesSink) {}

  push(chunk: Buffer): void {
    let from = 0;
    if (this.carry !== null) {
      // Only the carried line is copied, with the rest of it from this chunk, not the chunk.
      const lf = chunk.indexOf(LF);
      from = lf < 0 ? chunk.length : lf + 1;
      const head = Buffer.concat([this.carry, chunk.subarray(0, from)]);
      this.carry = null;
      const rest = this.lines(head, 0, head.length);
      if (rest < head.length) {
        // No line end in this chunk, or a "\r" last in it.
        this.carry = head.subarray(rest);
        return;
      }
    }
    const rest = this.lines(chunk, from, chunk.length);
    if (rest < chunk.length) this.carry = chunk.subarray(rest);
  }

  /** Emits the lines of buf[pos, len) that end in it; returns where the unfinished rest starts. */
  lines(buf: Buffer, pos: number, len: number): number {
    const each = this.each;
    // The next "\r" at or after pos, found once and moved on only past it: a log without "\r"
    // is searched for one once per chunk, not once per line.
    let cr = find(buf, CR, pos, len);
    for (;;) {
      const lf = find(buf, LF, pos, len);
      if (cr !== -1 && cr < pos) cr = find(buf, CR, pos, len);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A "\r" last in the chunk may be the first half of "\r\n": wait for the next chunk.
        if (cr + 1 >= len) return pos;
        end = cr;
        next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        return pos;
      }
      each(buf, pos, end, ++this.line);
      pos = next;
    }
  }

  /** The last line, when the input does not end with a line end. */
  end(): number {
    const carry = this.carry;
    if (carry !== null) this.last(carry, carry.length);
    return this.line;
  }

  /** buf[0, len), left over at the end of the input, as the last line. */
  last(buf: Buffer, len: number): void {
    // Only a last "\r" can be left over with a line end in it.
    if (buf[len - 1] === CR) {
      this.each(buf, 0, len - 1, ++this.line);
      return;
    }
    // Nothing left once the unfinished character is dropped: readline has no last line then.
    const end = len - unfinishedUtf8(buf, len);
    if (end > 0) this.each(buf, 0, end, ++this.line);
  }
}

/**
 * Bytes at the end of buf[0, len) that readline's decoder keeps waiting for the rest of a UTF-8
 * character with, and drops at the end of the input (it never flushes): 0 to 3.
 */
function unfinishedUtf8(buf: Buffer, len: number): number {
  if (buf[len - 1]! < 0x80) return 0;
  const text = new StringDecoder('utf8').write(buf.subarray(0, len));
  for (let k = 0; k <= 3 && k <= len; k++) if (buf.toString('utf8', 0, len - k) === text) return k;
  return 0;
}

/** indexOf within buf[from, len): the buffer may hold stale bytes past len. */
function find(buf: Buffer, byte: number, from: number, len: number): number {
  const i = buf.indexOf(byte, from);
  return i >= len ? -1 : i;
}

/**
 * The lines of a plain file, read into one buffer reused from read to read (the unfinished line
 * moved to its start): no allocation per read, so the memory of a replay stays flat.
 */
async function splitFile(handle: FileHandle, each: LineBytesSink): Promise<void> {
  const split = new Splitter(each);
  let buf = Buffer.allocUnsafe(CHUNK);
  let have = 0;
  for (;;) {
    if (have === buf.length) {
      // One line longer than the buffer: a larger one.
      const larger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(larger, 0, 0, have);
      buf = larger;
    }
    const { bytesRead } = await handle.read(buf, have, buf.length - have, null);
    if (bytesRead === 0) break;
    const len = have + bytesRead;
    const rest = split.lines(buf, 0, len);
    buf.copy(buf, 0, rest, len);
    have = len - rest;
  }
  if (have > 0) split.last(buf, have);
}

/**
 * Calls `each` for every line of `file`. Throws a SteerError (STEER_REPLAY_LOG) for a file that
 * cannot be opened or read; what `each` throws passes through unchanged.
 */
export async function readLineBytes(file: string, each: LineBytesSink): Promise<void> {
  let fromSink = false;
  const sink: LineBytesSink = (buf, start, end, line) => {
    try {
      each(buf, start, end, line);
    } catch (err) {
      fromSink = true;
      throw err;
    }
  };
  if (file.endsWith('.gz')) {
    const raw = createReadStream(file, { highWaterMark: CHUNK });
    await new Promise<void>((resolve, reject) => {
      raw.once('open', () => resolve());
      raw.once('error', (err) => reject(new SteerError('STEER_REPLAY_LOG', [file, err.message])));
    });
    try {
      await splitLines(raw.pipe(createGunzip({ chunkSize: CHUNK })), sink);
    } catch (err) {
      raw.destroy();
      if (fromSink || err instanceof SteerError) throw err;
      throw new SteerError('STEER_REPLAY_LOG', [file, (err as Error).message]);
    }
    return;
  }
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new SteerError('STEER_REPLAY_LOG', [file, (err as Error).message]);
  }
  try {
    await splitFile(handle, sink);
  } catch (err) {
    if (fromSink || err instanceof SteerError) throw err;
    throw new SteerError('STEER_REPLAY_LOG', [file, (err as Error).message]);
  } finally {
    await handle.close();
  }
}
