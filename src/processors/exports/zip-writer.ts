import { once } from 'node:events';
import { crc32, createDeflateRaw, type DeflateRaw, type ZlibOptions } from 'node:zlib';

// ZIP as APPNOTE 6.3.10 describes it, written front to back: each entry's local header, its
// deflated bytes, then a data descriptor with its CRC-32 and sizes (known only at the end), and
// the central directory last. Every entry and the directory are in ZIP64 form (64-bit sizes and
// offsets), so one layout serves a 10 KB bundle and a file past 4 GiB.
const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END = 0x06054b50;
const ZIP64_EXTRA = 0x0001;
const VERSION = 45; // ZIP64
const MADE_BY_UNIX = (3 << 8) | VERSION;
/** Bit 3: sizes and CRC follow the data; bit 11: names are UTF-8. */
const FLAGS = 0x0808;
const DEFLATE = 8;
/** 1980-01-01 00:00, the earliest MS-DOS date: entries carry no meaningful time. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const FILE_MODE = 0o100644;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

type Written = { name: Buffer; crc: number; compressed: number; size: number; offset: number };

/** One entry being written: its bytes go through `write`, then `end` closes it. */
export type ZipEntryWriter = {
  /** `consumed`: called once the deflater has read `bytes`, so that their buffer may be filled again. */
  write(bytes: Buffer, consumed?: () => void): Promise<void>;
  end(): Promise<void>;
};

/**
 * A ZIP archive streamed into `out`: entries one after another, deflated by zlib (in the libuv
 * threadpool), their CRC-32 by zlib's native `crc32` (yazl's JavaScript CRC took 1.3 s of a
 * million-event CSV export). `finish` writes the directory and ends `out`.
 */
export class ZipWriter {
  private offset = 0;
  private readonly written: Written[] = [];
  private open = false;

  /** `level` and `windowBits` as zlib takes them (windowBits 15, a 32 KiB window, unless given). */
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly level: number,
    private readonly windowBits = 15,
  ) {}

  private async put(bytes: Buffer): Promise<void> {
    this.offset += bytes.length;
    if (!this.out.write(bytes)) await once(this.out as unknown as NodeJS.EventEmitter, 'drain');
  }

  /** Starts an entry named `name` (a path with `/`), to be ended before the next starts. */
  async entry(name: string): Promise<ZipEntryWriter> {
    if (this.open) throw new Error('the previous ZIP entry is not ended');
    this.open = true;
    const entry: Written = { name: Buffer.from(name, 'utf8'), crc: 0, compressed: 0, size: 0, offset: this.offset };
    const header = Buffer.alloc(30 + entry.name.length + 20);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    // CRC 0 (bytes 14–17) and sizes marked as in the ZIP64 extra, there zero: all three follow the data.
    header.writeUInt32LE(MAX32, 18);
    header.writeUInt32LE(MAX32, 22);
    header.writeUInt16LE(entry.name.length, 26);
    header.writeUInt16LE(20, 28);
    entry.name.copy(header, 30);
    header.writeUInt16LE(ZIP64_EXTRA, 30 + entry.name.length);
    header.writeUInt16LE(16, 32 + entry.name.length);
    await this.put(header);

    // Output in 256 KiB pieces (zlib's default, 16 KiB, made a callback and a file write every 16 KiB).
    // Up to 2 MiB of input waits for the deflater before `write` waits: with the stream default of
    // 16 KiB every 256 KiB write waited for its own deflate, so rendering and deflating took turns
    // instead of overlapping (an XLSX export of a million events went from 28–33k to 22k events/s).
    // (zlib streams take Transform options too; @types/node's ZlibOptions does not list them.)
    const options: ZlibOptions & { writableHighWaterMark: number } = { level: this.level, windowBits: this.windowBits, chunkSize: 256 * 1024, writableHighWaterMark: 2 * 1024 * 1024 };
    const deflater: DeflateRaw = createDeflateRaw(options);
    const pumped = (async () => {
      for await (const chunk of deflater) {
        entry.compressed += (chunk as Buffer).length;
        await this.put(chunk as Buffer);
      }
    })();
    // A failure surfaces from `end` (or a pending `write`); it must not also go unhandled here.
    pumped.catch(() => undefined);
    return {
      write: async (bytes, consumed) => {
        entry.crc = crc32(bytes, entry.crc);
        entry.size += bytes.length;
        // The stream calls back once its transform has taken all of the chunk in (zlib's input fully consumed).
        if (!deflater.write(bytes, consumed && (() => consumed()))) await Promise.race([once(deflater, 'drain'), pumped]);
      },
      end: async () => {
        deflater.end();
        await pumped;
        const descriptor = Buffer.alloc(24);
        descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0);
        descriptor.writeUInt32LE(entry.crc, 4);
        descriptor.writeBigUInt64LE(BigInt(entry.compressed), 8);
        descriptor.writeBigUInt64LE(BigInt(entry.size), 16);
        await this.put(descriptor);
        this.written.push(entry);
        this.open = false;
      },
    };
  }

  /** An entry of bytes in hand. */
  async add(name: string, bytes: Buffer): Promise<void> {
    const entry = await this.entry(name);
    await entry.write(bytes);
    await entry.end();
  }

  /** Writes the central directory and the ZIP64 and classic ends of it, then ends `out`. */
  async finish(): Promise<void> {
    if (this.open) throw new Error('the last ZIP entry is not ended');
    const directoryOffset = this.offset;
    for (const e of this.written) {
      const h = Buffer.alloc(46 + e.name.length + 28);
      h.writeUInt32LE(CENTRAL_HEADER, 0);
      h.writeUInt16LE(MADE_BY_UNIX, 4);
      h.writeUInt16LE(VERSION, 6);
      h.writeUInt16LE(FLAGS, 8);
      h.writeUInt16LE(DEFLATE, 10);
      h.writeUInt16LE(DOS_TIME, 12);
      h.writeUInt16LE(DOS_DATE, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(MAX32, 20);
      h.writeUInt32LE(MAX32, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt16LE(28, 30);
      // Comment length, disk number, internal attributes: 0 (bytes 32–37).
      h.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
      h.writeUInt32LE(MAX32, 42);
      e.name.copy(h, 46);
      const x = 46 + e.name.length;
      h.writeUInt16LE(ZIP64_EXTRA, x);
      h.writeUInt16LE(24, x + 2);
      h.writeBigUInt64LE(BigInt(e.size), x + 4);
      h.writeBigUInt64LE(BigInt(e.compressed), x + 12);
      h.writeBigUInt64LE(BigInt(e.offset), x + 20);
      await this.put(h);
    }
    const directorySize = this.offset - directoryOffset;
    const zip64End = this.offset;
    const end = Buffer.alloc(56 + 20 + 22);
    end.writeUInt32LE(ZIP64_END, 0);
    end.writeBigUInt64LE(44n, 4);
    end.writeUInt16LE(MADE_BY_UNIX, 12);
    end.writeUInt16LE(VERSION, 14);
    // This disk and the directory's disk: 0 (bytes 16–23).
    end.writeBigUInt64LE(BigInt(this.written.length), 24);
    end.writeBigUInt64LE(BigInt(this.written.length), 32);
    end.writeBigUInt64LE(BigInt(directorySize), 40);
    end.writeBigUInt64LE(BigInt(directoryOffset), 48);
    end.writeUInt32LE(ZIP64_LOCATOR, 56);
    end.writeBigUInt64LE(BigInt(zip64End), 64);
    end.writeUInt32LE(1, 72);
    end.writeUInt32LE(END, 76);
    end.writeUInt16LE(MAX16, 84);
    end.writeUInt16LE(MAX16, 86);
    end.writeUInt32LE(MAX32, 88);
    end.writeUInt32LE(MAX32, 92);
    await this.put(end);
    this.out.end();
  }
}
