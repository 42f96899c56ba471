import type { CellValue, CsvRow, CsvRowPages, ExportDocument, RowPages, TableColumn, TableRow, TableRows } from './export-document.js';

/** A table as the tabular formats (CSV, XLSX) write it; `csvRows` as in export-document.ts. */
export type DocumentTable = { name: string; columns: TableColumn[]; rows: TableRows; csvRows?: CsvRowPages };

const isRowPages = (rows: TableRows): rows is RowPages => 'pages' in rows;

/** Any table's rows a page at a time, as renderers read them. */
export async function* rowPages(rows: TableRows): AsyncGenerator<TableRow[]> {
  if (Array.isArray(rows)) {
    if (rows.length > 0) yield rows;
  } else if (isRowPages(rows)) {
    for await (const page of rows.pages) if (page.length > 0) yield page;
  } else {
    for await (const row of rows) yield [row];
  }
}

/** Rows given a page at a time, as a table's rows. */
export const pagesOf = <R extends CsvRow = TableRow>(pages: AsyncIterable<R[]>): { readonly pages: AsyncIterable<R[]> } => ({ pages });

const facts = (name: string, items: Array<{ label: string; value: CellValue }>): DocumentTable => ({
  name,
  columns: [{ key: 'label', label: 'Field' }, { key: 'value', label: 'Value' }],
  rows: items.map((f) => ({ label: f.label, value: f.value })),
});

/**
 * A document as the tables a spreadsheet or CSV bundle holds, in document order: the cover, then
 * per section its facts, its text (one row per paragraph) and its tables. Charts are left out:
 * their data is already in the section's tables. Table rows are passed through, never gathered,
 * so a streamed table stays streamed.
 */
export function* documentTables(document: ExportDocument): Generator<DocumentTable> {
  yield facts('Cover', [{ label: 'Title', value: document.title }, ...document.cover]);
  for (const section of document.sections) {
    const paragraphs = section.blocks.flatMap((b) => (b.kind === 'paragraph' ? [{ text: b.text }] : []));
    if (paragraphs.length > 0) yield { name: `${section.heading} (text)`, columns: [{ key: 'text', label: 'Text' }], rows: paragraphs };
    for (const block of section.blocks) {
      if (block.kind === 'facts') yield facts(section.heading, block.facts);
      else if (block.kind === 'table') yield { name: block.name, columns: block.columns, rows: block.rows, ...(block.csvRows ? { csvRows: block.csvRows } : {}) };
    }
  }
}

/** Names made unique (and fitted by `fit`, given the name and its occurrence 1, 2…) in order, case-insensitively. */
export function uniqueNames(fit: (name: string, occurrence: number) => string, reserved: string[] = []): (name: string) => string {
  const taken = new Set(reserved.map((r) => r.toLowerCase()));
  return (name) => {
    for (let n = 1; ; n++) {
      const candidate = fit(name, n);
      if (!taken.has(candidate.toLowerCase())) {
        taken.add(candidate.toLowerCase());
        return candidate;
      }
    }
  };
}
