import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { ByteChunks } from '../../../src/processors/exports/byte-chunks.js';
import { ZipWriter } from '../../../src/processors/exports/zip-writer.js';
import { readAll } from '../../../src/processors/exports/zip-entries.js';

/** CRC-32 (ISO-HDLC, as ZIP uses it) bit by bit from its definition: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF. */
function crc32Reference(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

type Read = { name: string; crc32: number; size: number; bytes: Buffer; zip64: boolean };

async function readZip(file: string): Promise<Read[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z))));
  const out: Read[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        void readAll(stream).then((bytes) => {
          out.push({ name: entry.fileName, crc32: entry.crc32, size: entry.uncompressedSize, bytes, zip64: entry.extraFields.some((f) => f.id === 0x0001) });
          zip.readEntry();
        }, reject);
      });
    });
    zip.readEntry();
  });
  return out;
}

describe('ZipWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raia-zip-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([15, 12])('writes entries another reader inflates to the same bytes, with CRC-32 and sizes per the definition (window bits %i)', async (windowBits) => {
    const file = join(dir, `bundle-${windowBits}.zip`);
    const out = createWriteStream(file);
    const zip = new ZipWriter(out, 1, windowBits);
    // More than one deflater buffer (16 KB) and several writes; UTF-8 in bytes and in the name.
    const big = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${i},"ünï ""q""",=x\r\n`).join(''), 'utf8');
    const entry = await zip.entry('audit-log — ünï.csv');
    for (let at = 0; at < big.length; at += 7001) await entry.write(big.subarray(at, at + 7001));
    await entry.end();
    await zip.add('manifest.json', Buffer.from('{"format":"x"}'));
    await zip.add('empty.csv', Buffer.alloc(0));
    await zip.finish();
    await new Promise<void>((resolve) => out.on('close', () => resolve()));

    const read = await readZip(file);
    expect(read.map((r) => r.name)).toEqual(['audit-log — ünï.csv', 'manifest.json', 'empty.csv']);
    const expected = [big, Buffer.from('{"format":"x"}'), Buffer.alloc(0)];
    read.forEach((r, i) => {
      expect(r.bytes.equals(expected[i]!)).toBe(true);
      expect(r.size).toBe(expected[i]!.length);
      expect(r.crc32).toBe(crc32Reference(expected[i]!));
      expect(r.zip64).toBe(true);
    });
    // The classic end record defers to the ZIP64 one (APPNOTE 4.4.1.4): 0xFFFF entries, 0xFFFFFFFF size and offset.
    const bytes = readFileSync(file);
    const end = bytes.subarray(bytes.length - 22);
    expect(end.readUInt32LE(0)).toBe(0x06054b50);
    expect([end.readUInt16LE(10), end.readUInt32LE(12), end.readUInt32LE(16)]).toEqual([0xffff, 0xffffffff, 0xffffffff]);
  });

  it('gives a written buffer back only once the deflater has read it: refilled buffers still inflate to every byte written', async () => {
    const file = join(dir, 'reused.zip');
    const out = createWriteStream(file);
    const zip = new ZipWriter(out, 1, 12);
    const entry = await zip.entry('rows.csv');
    let written = 0;
    let released = 0;
    // 12 MiB of distinct rows through 64 KiB buffers: more than the deflater's 2 MiB of queued input, so buffers come back and are refilled.
    const chunks = new ByteChunks(64 * 1024, (bytes, release) => (written++, entry.write(bytes, () => (released++, release()))));
    const rows: string[] = [];
    // Row by row, as the renderers write (a text longer than a third of a buffer would get a buffer of its own).
    for (let i = 0, size = 0; size < 12 * 2 ** 20; i++) {
      const row = `${i},${(i * 2654435761) % 2 ** 32},row ${i} of the reuse test\r\n`;
      rows.push(row);
      size += row.length;
      await chunks.write(row);
    }
    await chunks.flush();
    await entry.end();
    await zip.finish();
    await new Promise<void>((resolve) => out.on('close', () => resolve()));

    const [read] = await readZip(file);
    expect(read!.bytes.equals(Buffer.from(rows.join(''), 'utf8'))).toBe(true);
    expect(read!.crc32).toBe(crc32Reference(read!.bytes));
    // Every buffer came back from the deflater (and so was refilled rather than replaced).
    expect(released).toBe(written);
    expect(written).toBeGreaterThan(150);
  });

  it('refuses a second entry while one is open', async () => {
    const out = createWriteStream(join(dir, 'open.zip'));
    const zip = new ZipWriter(out, 1);
    const first = await zip.entry('a.csv');
    await expect(zip.entry('b.csv')).rejects.toThrow('the previous ZIP entry is not ended');
    await first.end();
    await zip.finish();
    await new Promise<void>((resolve) => out.on('close', () => resolve()));
  });
});
