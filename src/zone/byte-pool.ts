// RDATA bytes of a zone carved out of a few large buffers. A Uint8Array of its own per record
// costs an ArrayBuffer and its bookkeeping (over 100 bytes for 4 bytes of A data); a view into a
// shared buffer costs only the view. Views are never written after the parser fills them.

const CHUNK = 64 * 1024;
/** Bigger data gets a buffer of its own, so a chunk is never mostly wasted. */
const LARGEST_POOLED = 1024;

export class BytePool {
  private chunk = new Uint8Array(0);
  private used = 0;

  /** n fresh (zeroed) bytes. */
  alloc(n: number): Uint8Array {
    if (n > LARGEST_POOLED) return new Uint8Array(n);
    if (this.used + n > this.chunk.length) {
      this.chunk = new Uint8Array(CHUNK);
      this.used = 0;
    }
    const view = this.chunk.subarray(this.used, this.used + n);
    this.used += n;
    return view;
  }

  /** A pooled copy of `bytes`. */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.alloc(bytes.length);
    out.set(bytes);
    return out;
  }
}
