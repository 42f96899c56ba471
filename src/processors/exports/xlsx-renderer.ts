import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import { ByteChunks } from './byte-chunks.js';
import { documentTables, rowPages, uniqueNames } from './document-tables.js';
import type { CellValue, ContentDigest, ExportRenderer, TableColumn } from './export-document.js';
import {
  CELL_STYLE,
  WORKSHEET_TAIL,
  appPropsXml,
  booleanCell,
  cellText,
  columnLetters,
  contentTypesXml,
  corePropsXml,
  excelSerial,
  numberCell,
  packageRelsXml,
  sheetPartName,
  stylesXml,
  textCell,
  workbookRelsXml,
  workbookXml,
  worksheetHead,
  type CellStyle,
} from './spreadsheet-ml.js';
import { ZipWriter, type ZipEntryWriter } from './zip-writer.js';

export const XLSX_MANIFEST_SHEET = 'RAIA manifest';
/** How a sheet is named among the manifest's content digests. */
export const sheetContentName = (sheet: string) => `sheet '${sheet}'`;

// Base64 pieces of the manifest, one per cell, well under Excel's 32,767 characters a cell.
const MANIFEST_PIECE = 30_000;

/** Excel sheet names: at most 31 characters, none of : \ / ? * [ ]. */
const sheetNames = () =>
  uniqueNames((name, n) => {
    const suffix = n === 1 ? '' : ` (${n})`;
    return (name.replace(/[:\\/?*[\]]/g, ' ').trim() || 'Sheet').slice(0, 31 - suffix.length) + suffix;
  }, [XLSX_MANIFEST_SHEET]);

/**
 * A cell's value in the canonical form the sheet digest is over, from what was written or from
 * what exceljs reads back: dates as ISO text, rich text as its plain text, nothing as null.
 */
export function canonicalCell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  // An empty text cell is not written as a value: it reads back as no value.
  // Line ends are stored as LF in a workbook's XML, whatever was written.
  if (typeof value === 'string') return value === '' ? null : value.replace(/\r\n?/g, '\n');
  if (typeof value === 'boolean') return value;
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: unknown };
    if (v.richText) return v.richText.map((r) => r.text).join('');
    if (v.text !== undefined) return canonicalCell(v.text);
    if (v.result !== undefined) return canonicalCell(v.result);
    if (v.error !== undefined) return String(v.error);
  }
  return String(value);
}

/**
 * One row of the canonical serialisation: its row number and a JSON array of its `width` cells,
 * newline-terminated; a row of empty cells contributes nothing (a reader never sees it).
 */
export function canonicalRow(rowNumber: number, cells: readonly unknown[], width: number): string {
  const values = Array.from({ length: width }, (_, i) => canonicalCell(cells[i]));
  return values.every((v) => v === null) ? '' : `${rowNumber}:${JSON.stringify(values)}\n`;
}

/** The style a column's cells take from its type. */
const COLUMN_STYLE: Record<NonNullable<TableColumn['type']>, CellStyle> = {
  text: CELL_STYLE.plain,
  number: CELL_STYLE.plain,
  boolean: CELL_STYLE.plain,
  integer: CELL_STYLE.integer,
  percent: CELL_STYLE.percent,
  date: CELL_STYLE.date,
};
const NUMERIC = new Set<TableColumn['type']>(['number', 'integer', 'percent']);

const CHUNK = 256 * 1024;
/** Deflate level of the parts: 1, the fastest; see csv-bundle-renderer.ts. */
const COMPRESSION_LEVEL = 1;

/** Canonical rows are hashed in batches of about this many characters: one hash update per row cost 8 % of an export. */
const HASH_BATCH = 64 * 1024;

/**
 * A worksheet written row by row: typed cells by column type (numbers stay numbers, formula-like
 * text stays inline text, never a formula), and the SHA-256 over the canonical serialisation of
 * what was written (canonicalRow), which a reader recomputes from the file alone.
 */
class SheetWriter {
  private readonly hash = createHash('sha256');
  /** Canonical rows not yet hashed. */
  private unhashed = '';
  private readonly refs: string[];
  private readonly styles: CellStyle[];
  private readonly numeric: boolean[];
  private readonly dates: boolean[];
  private rowNumber = 0;
  private readonly bytes: ByteChunks;

  constructor(
    private readonly part: ZipEntryWriter,
    private readonly columns: ReadonlyArray<Pick<TableColumn, 'type'>>,
  ) {
    // Bounded: each full buffer waits for the deflater, so a million rows never pile up in memory.
    this.bytes = new ByteChunks(CHUNK, (chunk, release) => part.write(chunk, release));
    this.refs = columns.map((_, i) => columnLetters(i));
    this.styles = columns.map((c) => COLUMN_STYLE[c.type ?? 'text']);
    this.numeric = columns.map((c) => NUMERIC.has(c.type));
    this.dates = columns.map((c) => c.type === 'date');
  }

  /** A row of cells in column order; `style` overrides the columns' (the header's bold). */
  async row(values: readonly CellValue[], style?: CellStyle): Promise<void> {
    const n = ++this.rowNumber;
    let xml = `<row r="${n}">`;
    const canonical: (string | number | boolean | null)[] = new Array(this.columns.length);
    let empty = true;
    for (let i = 0; i < this.columns.length; i++) {
      const ref = this.refs[i]! + n;
      const cellStyle = style ?? this.styles[i]!;
      let value = values[i] ?? null;
      canonical[i] = null;
      if (value === null) continue;
      if (this.numeric[i] && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) value = Number(value);
      if (this.dates[i] && typeof value === 'string' && !Number.isNaN(Date.parse(value))) value = new Date(value);
      if (value instanceof Date) {
        xml += numberCell(ref, excelSerial(value.getTime()), cellStyle);
        canonical[i] = value.toISOString();
      } else if (typeof value === 'number') {
        if (!Number.isFinite(value)) continue;
        xml += numberCell(ref, value, cellStyle);
        canonical[i] = value;
      } else if (typeof value === 'boolean') {
        xml += booleanCell(ref, value);
        canonical[i] = value;
      } else {
        const text = cellText(value);
        // An empty text cell is not written: a reader sees no value there.
        if (text === '') continue;
        xml += textCell(ref, text, cellStyle);
        canonical[i] = text;
      }
      empty = false;
    }
    await this.bytes.write(xml + '</row>');
    if (empty) return;
    this.unhashed += `${n}:${JSON.stringify(canonical)}\n`;
    if (this.unhashed.length >= HASH_BATCH) {
      this.hash.update(this.unhashed);
      this.unhashed = '';
    }
  }

  async end(): Promise<string> {
    await this.bytes.write(WORKSHEET_TAIL);
    await this.bytes.flush();
    await this.part.end();
    this.hash.update(this.unhashed);
    this.unhashed = '';
    return this.hash.digest('hex');
  }
}

/**
 * An XLSX workbook, streamed: a sheet per table with a frozen, bold header row and typed cells, then
 * the `RAIA manifest` sheet holding the signed evidence manifest (base64, in pieces). Rows go
 * through a bounded buffer into the deflater, so memory stays flat whatever the table's size.
 */
export const xlsxRenderer: ExportRenderer = {
  format: 'xlsx',
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  extension: 'xlsx',

  async render(document, manifestFor, out) {
    // Parts one after another through RAIA's ZIP writer: deflate in the threadpool, zlib's native
    // CRC-32 (yazl's JavaScript CRC took 8 % of an export's main thread).
    const zip = new ZipWriter(out, COMPRESSION_LEVEL);
    const tables = [...documentTables(document)];
    const name = sheetNames();
    const names = [...tables.map((t) => name(t.name)), XLSX_MANIFEST_SHEET];
    const fixed: Array<[string, string]> = [
      ['[Content_Types].xml', contentTypesXml(names.length)],
      ['_rels/.rels', packageRelsXml()],
      ['docProps/core.xml', corePropsXml('RAIA', new Date(0))],
      ['docProps/app.xml', appPropsXml()],
      ['xl/workbook.xml', workbookXml(names)],
      ['xl/_rels/workbook.xml.rels', workbookRelsXml(names.length)],
      ['xl/styles.xml', stylesXml()],
    ];
    for (const [path, xml] of fixed) await zip.add(path, Buffer.from(xml, 'utf8'));
    const sheet = async (n: number, columns: ReadonlyArray<{ width: number; style: CellStyle }>, frozenHeader: boolean) => {
      const part = await zip.entry(sheetPartName(n));
      await part.write(Buffer.from(worksheetHead(columns, frozenHeader), 'utf8'));
      return part;
    };

    const contents: ContentDigest[] = [];
    for (const [i, table] of tables.entries()) {
      const widths = table.columns.map((c) => ({ width: Math.min(60, Math.max(10, c.label.length + 2)), style: COLUMN_STYLE[c.type ?? 'text'] }));
      const writer = new SheetWriter(await sheet(i + 1, widths, true), table.columns);
      await writer.row(table.columns.map((c) => c.label), CELL_STYLE.header);
      const keys = table.columns.map((c) => c.key);
      for await (const page of rowPages(table.rows)) for (const row of page) await writer.row(keys.map((k) => row[k] ?? null));
      contents.push({ name: sheetContentName(names[i]!), sha256: await writer.end() });
    }
    const manifest = (await manifestFor(contents)).toString('base64');
    const writer = new SheetWriter(await sheet(names.length, [{ width: 100, style: CELL_STYLE.plain }], false), [{ type: 'text' }]);
    await writer.row(['RAIA evidence manifest (base64 of its JSON, in pieces; verify with npm run verify-export)']);
    for (let i = 0; i < manifest.length; i += MANIFEST_PIECE) await writer.row([manifest.slice(i, i + MANIFEST_PIECE)]);
    await writer.end();
    await zip.finish();
  },

  // Read whole with exceljs's workbook reader: its streaming reader loses parts of files whose workbook
  // part comes last, as the streaming writer puts it (sheet names unknown, or a crash on `model.sheets`).
  // Verifying a very large workbook therefore needs memory in proportion to it (docs/exports.md).
  async inspect(file) {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const contents: ContentDigest[] = [];
    let manifest: Buffer | null = null;
    for (const sheet of workbook.worksheets) {
      if (sheet.name === XLSX_MANIFEST_SHEET) {
        let text = '';
        sheet.eachRow((row, n) => {
          if (n > 1) text += String((row.values as unknown[])[1] ?? '');
        });
        manifest = Buffer.from(text, 'base64');
        continue;
      }
      const hash = createHash('sha256');
      let width = 0;
      sheet.eachRow((row, n) => {
        const cells = (row.values as unknown[]).slice(1);
        if (n === 1) width = cells.length;
        hash.update(canonicalRow(n, cells, width));
      });
      contents.push({ name: sheetContentName(sheet.name), sha256: hash.digest('hex') });
    }
    if (!manifest) throw new Error(`the workbook has no '${XLSX_MANIFEST_SHEET}' sheet`);
    return { manifest, contents };
  },
};
