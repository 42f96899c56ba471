/** More released buffers than the sink ever holds at once are not kept. */
const MAX_FREE = 16;

/**
 * Text written straight into fixed-size byte buffers, handed to `sink` as each fills. Renderers of
 * large tables write a million rows this way: building the file's text as one growing string and
 * encoding it at the end cost more than everything else together (V8 flattens the string's pieces
 * on encoding), and made garbage that kept the collector busy.
 */
export class ByteChunks {
  private chunk: Buffer;
  /**
   * Buffers the sink has released, to fill again. A buffer handed on lives until the collector
   * frees it, and one that waited in the deflater's queue has usually been promoted to the old
   * generation by then, so without reuse an XLSX export of a million events (1.3 GB of XML) held
   * dead buffers until each full collection: RSS climbed ~40 MB/s between them.
   */
  private readonly free: Buffer[] = [];
  offset = 0;

  /**
   * `sink` takes each full buffer and a `release` to call once it no longer needs the bytes (the
   * buffer is then filled again); a sink that never calls it gets a new buffer every time.
   */
  constructor(
    private readonly size: number,
    private readonly sink: (bytes: Buffer, release: () => void) => Promise<void>,
  ) {
    this.chunk = Buffer.allocUnsafe(size);
  }

  /** The buffer, with room for `bytes` more from `offset` on (a full buffer goes to the sink first). */
  async room(bytes: number): Promise<Buffer> {
    if (this.offset + bytes > this.chunk.length) {
      await this.flush();
      if (bytes > this.chunk.length) this.chunk = Buffer.allocUnsafe(bytes);
    }
    return this.chunk;
  }

  /** Writes text as UTF-8 (at most three bytes per UTF-16 unit). */
  async write(text: string): Promise<void> {
    const chunk = await this.room(text.length * 3);
    this.offset += chunk.write(text, this.offset);
  }

  /**
   * Writes bytes as they are, copied into the buffer (the sink's every call has a cost of its own:
   * hashing, CRC and deflate calls on pieces of a COPY stream's size cost more than the copy), or
   * handed to the sink whole after the buffer's bytes when they are a buffer's worth or more.
   */
  async writeBytes(bytes: Buffer): Promise<void> {
    if (bytes.length >= this.size) {
      await this.flush();
      await this.sink(bytes, () => undefined);
      return;
    }
    let from = 0;
    while (from < bytes.length) {
      if (this.offset === this.chunk.length) await this.flush();
      const copied = bytes.copy(this.chunk, this.offset, from);
      this.offset += copied;
      from += copied;
    }
  }

  async flush(): Promise<void> {
    if (this.offset === 0) return;
    const full = this.chunk;
    const bytes = full.subarray(0, this.offset);
    this.chunk = this.free.pop() ?? Buffer.allocUnsafe(this.size);
    this.offset = 0;
    let released = false;
    await this.sink(bytes, () => {
      // Once only, and only buffers of the usual size (one grown for a long text is let go).
      if (released || full.length !== this.size || this.free.length >= MAX_FREE) return;
      released = true;
      this.free.push(full);
    });
  }
}
