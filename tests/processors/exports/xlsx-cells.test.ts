import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContentDigest, ExportDocument, TableRow } from '../../../src/processors/exports/export-document.js';
import { canonicalCell, xlsxRenderer } from '../../../src/processors/exports/xlsx-renderer.js';

const dir = mkdtempSync(join(tmpdir(), 'raia-xlsx-cells-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Cell text through RAIA's own SpreadsheetML writer, read back by exceljs (an independent reader):
 * XML's special characters, quotes left as they are in element text, characters XML 1.0 cannot
 * hold dropped, line ends normalised to LF, and surrogate pairs kept whole.
 */
describe('XLSX cell text', () => {
  const cases: Array<{ written: string; read: string }> = [
    { written: 'plain', read: 'plain' },
    { written: '<b>bold</b> & "quoted" > less', read: '<b>bold</b> & "quoted" > less' },
    { written: '{"modelId": "m-1", "changes": {"tags": ["a", "b"]}}', read: '{"modelId": "m-1", "changes": {"tags": ["a", "b"]}}' },
    { written: '<script>alert(1)</script>', read: '<script>alert(1)</script>' },
    { written: 'a > b', read: 'a > b' },
    { written: '=SUM(A1:A2)', read: '=SUM(A1:A2)' },
    { written: 'bell\u0007 and form\u000c feed', read: 'bell and form feed' },
    { written: 'cr\r\nlf and lone\rcr', read: 'cr\nlf and lone\ncr' },
    { written: 'tab\tand\nlf kept', read: 'tab\tand\nlf kept' },
    { written: 'pair 😀 kept', read: 'pair 😀 kept' },
    { written: 'lone \ud800 high and \udc00 low', read: 'lone  high and  low' },
    { written: 'not a char \uffff\ufffe', read: 'not a char ' },
  ];

  it('reads back as XML can carry it, and the sheet digest is over what was read', async () => {
    const rows: TableRow[] = cases.map((c, i) => ({ n: i + 1, text: c.written }));
    const document: ExportDocument = {
      kind: 'audit-log',
      title: 'cells',
      cover: [],
      sections: [{ heading: 'Cells', blocks: [{ kind: 'table', name: 'Cells', columns: [{ key: 'n', label: 'n', type: 'integer' }, { key: 'text', label: 'text' }], rows }] }],
      evidence: [],
      subjects: [],
    };
    const file = join(dir, 'cells.xlsx');
    const out = createWriteStream(file);
    let written: ContentDigest[] = [];
    await xlsxRenderer.render(document, async (contents) => ((written = contents), Buffer.from('{}')), out);
    await finished(out);

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.getWorksheet('Cells')!;
    const read = cases.map((_, i) => canonicalCell(sheet.getRow(i + 2).getCell(2).value));
    expect(read).toEqual(cases.map((c) => c.read));
    expect(sheet.getRow(3).getCell(1).value).toBe(2);

    const inspected = await xlsxRenderer.inspect(file);
    expect(inspected.contents).toEqual(written);
  });
});
