import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../events/canonical-json.js';
import { rowPages } from '../document-tables.js';
import type { CellValue, ExportBlock, ExportDocument, TableColumn, TableRow, TableRows } from '../export-document.js';

/**
 * A PDF table is a report, read by a person: past this many rows it is a data dump, which CSV and
 * XLSX stream without limit. 5,000 rows is ~130 pages of a 4-column table.
 */
export const MAX_PDF_TABLE_ROWS = 5000;

export class PdfTableTooLarge extends Error {
  readonly code = 'PDF_TABLE_TOO_LARGE';
  constructor(
    readonly table: string,
    readonly limit: number,
  ) {
    super(`table "${table}" has more than ${limit} rows, too many for a PDF report: export it as CSV or XLSX`);
    this.name = 'PdfTableTooLarge';
  }
}

/** A block as the PDF draws it: table rows in memory. */
export type MaterialisedBlock =
  | Exclude<ExportBlock, { kind: 'table' }>
  | { kind: 'table'; name: string; columns: TableColumn[]; rows: TableRow[] };

/** What a PDF shows, and what its embedded `document.json` holds. */
export type PdfContent = {
  kind: ExportDocument['kind'];
  title: string;
  cover: Array<{ label: string; value: CellValue }>;
  sections: Array<{ heading: string; blocks: MaterialisedBlock[] }>;
};

async function materialiseRows(name: string, rows: TableRows): Promise<TableRow[]> {
  if (Array.isArray(rows)) {
    if (rows.length > MAX_PDF_TABLE_ROWS) throw new PdfTableTooLarge(name, MAX_PDF_TABLE_ROWS);
    return rows;
  }
  const out: TableRow[] = [];
  for await (const page of rowPages(rows)) {
    // Stop reading at the first page past the limit: the source may be a million-event cursor.
    if (out.length + page.length > MAX_PDF_TABLE_ROWS) throw new PdfTableTooLarge(name, MAX_PDF_TABLE_ROWS);
    out.push(...page);
  }
  return out;
}

/** Reads every streamed table into memory, refusing one over MAX_PDF_TABLE_ROWS. Evidence is not read: the manifest's builder owns it. */
export async function materialise(document: ExportDocument): Promise<PdfContent> {
  const sections: PdfContent['sections'] = [];
  for (const section of document.sections) {
    const blocks: MaterialisedBlock[] = [];
    for (const block of section.blocks) {
      blocks.push(block.kind === 'table' ? { ...block, rows: await materialiseRows(block.name, block.rows) } : block);
    }
    sections.push({ heading: section.heading, blocks });
  }
  return { kind: document.kind, title: document.title, cover: document.cover, sections };
}

/** The embedded content part: RFC 8785 canonical JSON (dates as ISO 8601 strings) and its SHA-256. */
export function contentPart(content: PdfContent): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(canonicalJson(content)!, 'utf8');
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
