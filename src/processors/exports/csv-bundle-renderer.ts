import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { ByteChunks } from './byte-chunks.js';
import { csvRecordBound, csvRecordInto } from './csv-format.js';
import { documentTables, rowPages, uniqueNames } from './document-tables.js';
import { CsvRecordBytes, type CellValue, type ContentDigest, type CsvRow, type ExportRenderer } from './export-document.js';
import { eachZipEntry, readAll } from './zip-entries.js';
import { ZipWriter } from './zip-writer.js';

export const CSV_MANIFEST_ENTRY = 'manifest.json';
/** How a CSV file of the bundle is named among the manifest's content digests. */
export const csvContentName = (fileName: string) => `file '${fileName}'`;

const CHUNK = 256 * 1024;
/**
 * Deflate level of the CSV files: 1, the fastest. Exports are mostly hashes and UUIDs, which no
 * level compresses much better: a million-event audit log is 110 MB at level 1 and was 107 MB at
 * zlib's default level 6, which costs several times the deflater's time.
 */
const COMPRESSION_LEVEL = 1;
/**
 * A 4 KiB deflate window (zlib windowBits 12) rather than 32 KiB: on the export benchmark's records
 * (65 MB of COPY output, level 1) it took 2.9 s of CPU per million records against 3.9–4.0 s, and
 * wrote 16.4 % of the input against 17.6 % (what repeats in an audit log — field names, type and
 * stream names, the previous record's hash as this one's previous hash — is close by). Any inflater
 * reads it: a window is the most a stream refers back, not something it declares.
 */
const WINDOW_BITS = 12;

/** `Audit log` → `audit-log.csv`, a second one `audit-log-2.csv`. */
const fileNames = () =>
  uniqueNames((name, n) => `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'table'}${n === 1 ? '' : `-${n}`}.csv`, [CSV_MANIFEST_ENTRY]);

/**
 * A ZIP of one RFC 4180 CSV file per table (UTF-8, CRLF, header row, formula-like text neutralised)
 * and `manifest.json`, the signed evidence manifest, written last because it names the SHA-256
 * of every CSV file. Streamed: rows go through a bounded buffer into the deflater.
 */
export const csvBundleRenderer: ExportRenderer = {
  format: 'csv',
  contentType: 'application/zip',
  extension: 'zip',

  async render(document, manifestFor, out) {
    const zip = new ZipWriter(out, COMPRESSION_LEVEL, WINDOW_BITS);
    const name = fileNames();
    const contents: ContentDigest[] = [];
    for (const table of documentTables(document)) {
      const file = name(table.name);
      const entry = await zip.entry(file);
      const hash = createHash('sha256');
      const bytes = new ByteChunks(CHUNK, async (chunk, release) => {
        hash.update(chunk);
        await entry.write(chunk, release);
      });
      const keys = table.columns.map((c) => c.key);
      const values: CellValue[] = new Array(keys.length);
      const record = async (cells: readonly CellValue[]) => {
        const buf = await bytes.room(csvRecordBound(cells));
        bytes.offset = csvRecordInto(buf, bytes.offset, cells);
      };
      const row = async (r: CsvRow) => {
        if (typeof r === 'string') return bytes.write(r);
        if (r instanceof CsvRecordBytes) return bytes.writeBytes(r.bytes);
        for (let k = 0; k < keys.length; k++) values[k] = r[keys[k]!] ?? null;
        return record(values);
      };
      await record(table.columns.map((c) => c.label));
      for await (const page of table.csvRows ? table.csvRows.pages : rowPages(table.rows)) for (const r of page) await row(r);
      await bytes.flush();
      await entry.end();
      contents.push({ name: csvContentName(file), sha256: hash.digest('hex') });
    }
    await zip.add(CSV_MANIFEST_ENTRY, await manifestFor(contents));
    await zip.finish();
    await finished(out);
  },

  async inspect(file) {
    const contents: ContentDigest[] = [];
    let manifest: Buffer | null = null;
    await eachZipEntry(file, async (name, stream) => {
      if (name === CSV_MANIFEST_ENTRY) {
        manifest = await readAll(stream);
        return;
      }
      const hash = createHash('sha256');
      for await (const c of stream) hash.update(c as Buffer);
      contents.push({ name: csvContentName(name), sha256: hash.digest('hex') });
    });
    if (!manifest) throw new Error(`the bundle has no ${CSV_MANIFEST_ENTRY}`);
    return { manifest, contents };
  },
};
