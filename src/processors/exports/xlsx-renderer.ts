import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { documentTables, uniqueNames } from './document-tables.js';
import type { CellValue, ContentDigest, ExportRenderer, TableColumn, TableRow } from './export-document.js';

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

const NUMBER_FORMATS: Partial<Record<NonNullable<TableColumn['type']>, string>> = { percent: '0.00%', integer: '0', date: 'yyyy-mm-dd hh:mm:ss.000' };

/** A value typed by its column: numbers stay numbers, dates become dates; formula-like text stays text (exceljs writes strings as strings). */
function typed(value: CellValue, type: TableColumn['type']): CellValue {
  if (value === null) return null;
  if ((type === 'number' || type === 'integer' || type === 'percent') && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (type === 'date' && typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/**
 * An XLSX workbook through exceljs's streaming WorkbookWriter (rows are committed as written, so
 * memory stays flat): a sheet per table with a frozen, bold header row and typed cells, then the
 * `RAIA manifest` sheet holding the signed evidence manifest (base64, in pieces). The digest of a
 * sheet is SHA-256 over the canonical serialisation of its cell values (canonicalRow), which a
 * reader recomputes from the file alone.
 */
export const xlsxRenderer: ExportRenderer = {
  format: 'xlsx',
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  extension: 'xlsx',

  async render(document, manifestFor, out) {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out as unknown as Writable, useStyles: true, useSharedStrings: false });
    workbook.creator = 'RAIA';
    workbook.created = new Date(0);
    const name = sheetNames();
    const contents: ContentDigest[] = [];
    for (const table of documentTables(document)) {
      const sheetName = name(table.name);
      const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
      sheet.columns = table.columns.map((c) => ({ key: c.key, width: Math.min(60, Math.max(10, c.label.length + 2)), ...(NUMBER_FORMATS[c.type ?? 'text'] ? { style: { numFmt: NUMBER_FORMATS[c.type ?? 'text']! } } : {}) }));
      const hash = createHash('sha256');
      const width = table.columns.length;
      const labels = table.columns.map((c) => c.label);
      const header = sheet.addRow(labels);
      header.font = { bold: true };
      header.commit();
      hash.update(canonicalRow(1, labels, width));
      let rowNumber = 1;
      for await (const row of table.rows as AsyncIterable<TableRow>) {
        const values = table.columns.map((c) => typed(row[c.key] ?? null, c.type));
        sheet.addRow(values).commit();
        hash.update(canonicalRow(++rowNumber, values, width));
      }
      sheet.commit();
      contents.push({ name: sheetContentName(sheetName), sha256: hash.digest('hex') });
    }
    const manifest = (await manifestFor(contents)).toString('base64');
    const sheet = workbook.addWorksheet(XLSX_MANIFEST_SHEET);
    sheet.addRow(['RAIA evidence manifest (base64 of its JSON, in pieces; verify with npm run verify-export)']).commit();
    for (let i = 0; i < manifest.length; i += MANIFEST_PIECE) sheet.addRow([manifest.slice(i, i + MANIFEST_PIECE)]).commit();
    sheet.commit();
    await workbook.commit();
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
