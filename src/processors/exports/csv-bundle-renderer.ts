import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { ByteChunks } from './byte-chunks.js';
import { csvRecordBound, csvRecordInto } from './csv-format.js';
import { documentTables, rowPages, uniqueNames } from './document-tables.js';
import type { CellValue, ContentDigest, ExportRenderer } from './export-document.js';
import { eachZipEntry, readAll } from './zip-entries.js';

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
    const zip = new yazl.ZipFile();
    const written = pipeline(zip.outputStream, out);
    // A failure while rows are produced must not leave the zip stream waiting forever.
    written.catch(() => undefined);
    const name = fileNames();
    const contents: ContentDigest[] = [];
    const mtime = new Date(0);
    for (const table of documentTables(document)) {
      const file = name(table.name);
      const entry = new PassThrough({ highWaterMark: 4 * CHUNK });
      zip.addReadStream(entry, file, { mtime, mode: 0o100644, compressionLevel: COMPRESSION_LEVEL });
      const hash = createHash('sha256');
      const bytes = new ByteChunks(CHUNK, async (chunk) => {
        hash.update(chunk);
        if (!entry.write(chunk)) await once(entry, 'drain');
      });
      const keys = table.columns.map((c) => c.key);
      const record = async (values: CellValue[]) => {
        const buf = await bytes.room(csvRecordBound(values));
        bytes.offset = csvRecordInto(buf, bytes.offset, values);
      };
      await record(table.columns.map((c) => c.label));
      const values: CellValue[] = new Array(keys.length);
      for await (const page of rowPages(table.rows)) {
        for (const row of page) {
          for (let k = 0; k < keys.length; k++) values[k] = row[keys[k]!] ?? null;
          await record(values);
        }
      }
      await bytes.flush();
      entry.end();
      contents.push({ name: csvContentName(file), sha256: hash.digest('hex') });
    }
    zip.addBuffer(await manifestFor(contents), CSV_MANIFEST_ENTRY, { mtime, mode: 0o100644 });
    zip.end();
    await written;
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
