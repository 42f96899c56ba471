import type { TableColumn, TableRow } from '../export-document.js';
import { alignOf, cellText } from './pdf-cell-text.js';
import { CONTENT_HEIGHT, CONTENT_WIDTH, type PageFrame } from './pdf-page-frame.js';
import { TRUNCATED, drawText, fitText, textHeight, textWidth, type TextStyle } from './pdf-text.js';

const PAD = 3;
/** Past this a cell is cut on the page (the full value stays in document.json): a cell is not a document. */
const MAX_CELL_CHARS = 1200;

/**
 * Column widths in proportion to what they hold (the wider of the label and the typical cell, from
 * a sample of rows), together the content width. Numbers, dates and booleans keep their widest
 * value on one line (a wrapped number misreads); text columns share what is left and wrap.
 */
function columnWidths(frame: PageFrame, columns: TableColumn[], rows: TableRow[], style: TextStyle): number[] {
  const sample = rows.slice(0, 200);
  const minimum = Math.min(40, CONTENT_WIDTH / columns.length);
  const rigid = columns.map((c) => c.type !== undefined && c.type !== 'text');
  const wanted = columns.map((c, i) => {
    const label = textWidth(frame.doc, c.label, { ...style, font: 'Body-Bold' });
    const cells = sample.map((r) => Math.min(textWidth(frame.doc, cellText(r[c.key] ?? null, c.type).slice(0, 200), style), 220)).sort((a, b) => a - b);
    const typical = cells.length === 0 ? 0 : rigid[i] ? cells[cells.length - 1]! : cells[Math.floor(cells.length * 0.9)]!;
    return Math.max(Math.min(label, rigid[i] ? 80 : 140), typical) + 2 * PAD + 1;
  });
  const total = wanted.reduce((a, b) => a + b, 0);
  if (total <= CONTENT_WIDTH) return wanted.map((w) => w + (CONTENT_WIDTH - total) / columns.length);
  const fixed = wanted.reduce((a, w, i) => a + (rigid[i] ? w : 0), 0);
  const flexibleCount = rigid.filter((r) => !r).length;
  if (flexibleCount === 0 || fixed + minimum * flexibleCount > CONTENT_WIDTH) {
    // Too many rigid columns for the page: every column shrinks in proportion.
    return wanted.map((w) => (w / total) * CONTENT_WIDTH);
  }
  const room = CONTENT_WIDTH - fixed - minimum * flexibleCount;
  const excess = wanted.reduce((a, w, i) => a + (rigid[i] ? 0 : Math.max(0, w - minimum)), 0);
  return wanted.map((w, i) => (rigid[i] ? w : minimum + (excess === 0 ? room / flexibleCount : (Math.max(0, w - minimum) / excess) * room)));
}

/** A cell's text, cut past MAX_CELL_CHARS or past what one page holds. */
function fitCell(frame: PageFrame, text: string, width: number, style: TextStyle, maxHeight: number): string {
  const capped = text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) + TRUNCATED : text;
  return fitText(frame.doc, capped, width, style, maxHeight);
}

/**
 * A table that paginates: a caption, a header row repeated on every page the table reaches, long
 * cells wrapped (and cut only past a page's worth), numbers right-aligned, alternate rows shaded.
 */
export function drawTable(frame: PageFrame, name: string, columns: TableColumn[], rows: TableRow[]): void {
  const doc = frame.doc;
  if (columns.length === 0) {
    // Nothing to lay out (and no widths to divide the page by): say so rather than draw an empty frame.
    const text = `${name}: a table without columns (${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`;
    frame.ensure(20);
    drawText(doc, text, frame.left, frame.y, { font: 'Body', size: 7.5, color: '#666666' }, { width: CONTENT_WIDTH });
    frame.y += 20;
    return;
  }
  const style: TextStyle = { font: 'Body', size: columns.length > 12 ? 5.5 : columns.length > 8 ? 6.5 : 7.5 };
  const headerStyle: TextStyle = { ...style, font: 'Body-Bold', color: '#ffffff' };
  const captionStyle: TextStyle = { font: 'Body-Bold', size: 9.5, color: '#1f3a5f' };
  const widths = columnWidths(frame, columns, rows, style);
  const xs = widths.map((_, i) => frame.left + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const headerHeight = Math.max(...columns.map((c, i) => textHeight(doc, c.label, widths[i]! - 2 * PAD, headerStyle))) + 2 * PAD;
  const pageRoom = CONTENT_HEIGHT - 20 - headerHeight;

  const caption = (continued: boolean) => {
    const text = continued ? `${name} (continued)` : `${name} (${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`;
    drawText(doc, text, frame.left, frame.y, captionStyle, { width: CONTENT_WIDTH });
    frame.y += textHeight(doc, text, CONTENT_WIDTH, captionStyle) + 3;
  };
  const header = () => {
    doc.rect(frame.left, frame.y, CONTENT_WIDTH, headerHeight).fill('#1f3a5f');
    columns.forEach((c, i) => drawText(doc, c.label, xs[i]! + PAD, frame.y + PAD, headerStyle, { width: widths[i]! - 2 * PAD, align: alignOf(c.type) }));
    frame.y += headerHeight;
  };

  const cells = (row: TableRow) => columns.map((c, i) => fitCell(frame, cellText(row[c.key] ?? null, c.type), widths[i]! - 2 * PAD, style, pageRoom - 2 * PAD));
  const heightOf = (texts: string[]) => Math.max(...texts.map((t, i) => textHeight(doc, t, widths[i]! - 2 * PAD, style))) + 2 * PAD;

  const first = rows.length > 0 ? cells(rows[0]!) : undefined;
  frame.ensure(20 + headerHeight + (first ? heightOf(first) : 16));
  caption(false);
  header();
  if (rows.length === 0) {
    drawText(doc, 'No rows.', frame.left + PAD, frame.y + PAD, { ...style, color: '#666666' }, { width: CONTENT_WIDTH });
    frame.y += 16;
    return;
  }
  rows.forEach((row, r) => {
    const texts = r === 0 ? first! : cells(row);
    const height = heightOf(texts);
    if (height > frame.remaining()) {
      frame.newPage();
      caption(true);
      header();
    }
    if (r % 2 === 1) doc.rect(frame.left, frame.y, CONTENT_WIDTH, height).fill('#eef2f7');
    texts.forEach((t, i) => drawText(doc, t, xs[i]! + PAD, frame.y + PAD, style, { width: widths[i]! - 2 * PAD, align: alignOf(columns[i]!.type) }));
    frame.y += height;
    doc.moveTo(frame.left, frame.y).lineTo(frame.left + CONTENT_WIDTH, frame.y).lineWidth(0.3).stroke('#c5cdd8');
  });
  frame.y += 8;
}
