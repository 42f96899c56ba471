import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import type { CellValue, ExportKind } from '../export-document.js';
import { cellText } from './pdf-cell-text.js';
import type { MaterialisedBlock, PdfContent } from './pdf-document-content.js';
import { needsFallback, pdfFontBytes } from './pdf-fonts.js';
import { CONTENT_BOTTOM, CONTENT_HEIGHT, CONTENT_WIDTH, PAGE, PageFrame } from './pdf-page-frame.js';
import { drawTable } from './pdf-table.js';
import { breakLongWords, drawText, fitText, splitToFit, textHeight, type TextStyle } from './pdf-text.js';
import { vegaLiteToSvg } from './vega-lite-svg.js';

const KIND_LABELS: Record<ExportKind, string> = {
  'compliance-report': 'Compliance report (EU AI Act Annex IV technical documentation)',
  'audit-log': 'Audit log',
  'model-card': 'Model card',
  'fairness-report': 'Fairness report',
  'drift-report': 'Drift report',
  'explanation-report': 'Explanation report',
  'dataset-profile': 'Dataset profile',
  timeline: 'Timeline',
};

const TITLE: TextStyle = { font: 'Body-Bold', size: 20, color: '#1f3a5f' };
const HEADING: TextStyle = { font: 'Body-Bold', size: 14, color: '#1f3a5f' };
const BODY: TextStyle = { font: 'Body', size: 9.5 };
const LABEL: TextStyle = { font: 'Body-Bold', size: 9.5, color: '#333333' };
const SMALL: TextStyle = { font: 'Body', size: 8, color: '#555555' };
const TOC_LINE = 16;

/** The embedded files, as the renderer hands them to the writer. */
export type Attachments = { documentJson: Buffer; manifestJson: Buffer };

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * The PDF's creation date comes from the document, so the same document renders the same bytes:
 * the latest timestamp on its cover (the builders put the ledger head's and the seal's times there).
 * A cover without one gets the Unix epoch rather than the clock.
 */
export function creationDateOf(cover: Array<{ value: CellValue }>): Date {
  const times = cover
    .map(({ value }) => (value instanceof Date ? value : typeof value === 'string' && ISO_TIMESTAMP.test(value) ? new Date(value) : undefined))
    .filter((d): d is Date => d !== undefined && !Number.isNaN(d.getTime()))
    .map((d) => d.getTime());
  return new Date(times.length > 0 ? Math.max(...times) : 0);
}

const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * pdfkit writes the Info strings into the XMP packet without escaping them, so a title with `&` or
 * `<` would make the metadata malformed XML (and the file not PDF/A). The Info dictionary keeps the
 * raw text; only the XMP copy is escaped. `_addInfo` is pdfkit's own step (0.20), covered by a test.
 */
function escapeXmpInfo(doc: PDFKit.PDFDocument): void {
  const internal = doc as unknown as { _addInfo: () => void; info: Record<string, unknown> };
  const addInfo = internal._addInfo;
  internal._addInfo = function (this: typeof internal) {
    const raw = this.info;
    this.info = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? xmlEscape(v) : v]));
    try {
      addInfo.call(this);
    } finally {
      this.info = raw;
    }
  };
}

function facts(frame: PageFrame, rows: Array<{ label: string; value: CellValue }>, labelWidth: number): void {
  const valueWidth = CONTENT_WIDTH - labelWidth - 8;
  for (const { label, value } of rows) {
    const text = fitText(frame.doc, cellText(value), valueWidth, BODY, CONTENT_HEIGHT - 10);
    const height = Math.max(textHeight(frame.doc, label, labelWidth, LABEL), textHeight(frame.doc, text, valueWidth, BODY)) + 5;
    frame.ensure(height);
    drawText(frame.doc, label, frame.left, frame.y, LABEL, { width: labelWidth });
    drawText(frame.doc, text, frame.left + labelWidth + 8, frame.y, BODY, { width: valueWidth });
    frame.y += height;
  }
  frame.y += 6;
}

/** Paragraph by paragraph, each flowing onto the next page where it does not fit, never past the footer. */
function paragraph(frame: PageFrame, text: string): void {
  for (const part of text.split(/\n{2,}/)) {
    let rest = breakLongWords(frame.doc, part, CONTENT_WIDTH, BODY); // so a long token flows over pages too
    for (;;) {
      const height = textHeight(frame.doc, rest, CONTENT_WIDTH, BODY);
      if (height <= frame.remaining()) {
        drawText(frame.doc, rest, frame.left, frame.y, BODY, { width: CONTENT_WIDTH });
        frame.y += height + 6;
        break;
      }
      const [head, tail] = splitToFit(frame.doc, rest, CONTENT_WIDTH, BODY, frame.remaining());
      if (head === '' && frame.y === PAGE.margin.top) {
        // One word wider than a page's lines can hold: cut it rather than loop.
        const cut = fitText(frame.doc, rest, CONTENT_WIDTH, BODY, frame.remaining());
        drawText(frame.doc, cut, frame.left, frame.y, BODY, { width: CONTENT_WIDTH });
        frame.y += textHeight(frame.doc, cut, CONTENT_WIDTH, BODY) + 6;
        break;
      }
      if (head !== '') drawText(frame.doc, head, frame.left, frame.y, BODY, { width: CONTENT_WIDTH });
      frame.newPage();
      rest = tail;
    }
  }
}

/**
 * Charts with characters the body font lacks name the fallback font, which `fontCallback` maps. A
 * text element's lines may be tspans, which inherit the element's font.
 */
const withFallbackFont = (svg: string): string =>
  svg.replace(/<text([^>]*)>([\s\S]*?)<\/text>/g, (whole, attributes: string, content: string) =>
    needsFallback(content.replace(/<[^>]*>/g, '')) ? `<text${attributes.replace(/font-family="[^"]*"/, 'font-family="Fallback"')}>${content}</text>` : whole,
  );

type ChartSvg = Awaited<ReturnType<typeof vegaLiteToSvg>>;

function chart(frame: PageFrame, title: string, { svg, width, height }: ChartSvg): void {
  const scale = Math.min(CONTENT_WIDTH / width, 340 / height);
  const [w, h] = [width * scale, height * scale];
  const titleHeight = textHeight(frame.doc, title, CONTENT_WIDTH, LABEL) + 4;
  frame.ensure(titleHeight + h + 10);
  drawText(frame.doc, title, frame.left, frame.y, LABEL, { width: CONTENT_WIDTH });
  frame.y += titleHeight;
  // Sized through the root element, so the viewBox scales the drawing as vectors.
  const sized = withFallbackFont(svg).replace(/^<svg([^>]*)\swidth="[\d.]+"([^>]*)\sheight="[\d.]+"/, `<svg$1 width="${w}"$2 height="${h}"`);
  SVGtoPDF(frame.doc, sized, frame.left, frame.y, {
    assumePt: true,
    // Every text in the PDF uses an embedded font: never a standard one (PDF/A), never a system one.
    fontCallback: (family, bold) => (family === 'Fallback' ? 'Fallback' : bold ? 'Body-Bold' : 'Body'),
    imageCallback: () => '', // images would be read from disk or the network: refused
    warningCallback: () => {},
  });
  frame.y += h + 10;
}

function block(frame: PageFrame, b: MaterialisedBlock, charts: Map<MaterialisedBlock, ChartSvg>): void {
  switch (b.kind) {
    case 'paragraph':
      return paragraph(frame, b.text);
    case 'facts':
      return facts(frame, b.facts, 170);
    case 'table':
      return drawTable(frame, b.name, b.columns, b.rows);
    case 'chart':
      return chart(frame, b.title, charts.get(b)!);
    default: {
      const never: never = b;
      throw new Error(`unknown block ${JSON.stringify(never)}`);
    }
  }
}

function cover(frame: PageFrame, content: PdfContent): void {
  drawText(frame.doc, KIND_LABELS[content.kind], frame.left, frame.y, SMALL, { width: CONTENT_WIDTH });
  frame.y += 16;
  drawText(frame.doc, content.title, frame.left, frame.y, TITLE, { width: CONTENT_WIDTH });
  frame.y += textHeight(frame.doc, content.title, CONTENT_WIDTH, TITLE) + 18;
  facts(frame, content.cover, 170);
  const note =
    'This file is PDF/A-3. It embeds document.json, the content of these pages as canonical JSON, and manifest.json, ' +
    'the signed evidence manifest naming every ledger event reported here and the SHA-256 of document.json. ' +
    'Verify it offline with `npm run verify-export -- <file>`.';
  const height = textHeight(frame.doc, note, CONTENT_WIDTH, SMALL);
  frame.ensure(height + 12); // a cover with many facts takes two pages; the note ends it
  frame.y = Math.max(frame.y + 12, CONTENT_BOTTOM - height);
  drawText(frame.doc, note, frame.left, frame.y, SMALL, { width: CONTENT_WIDTH });
}

/** The pages the contents take, one line per section: reserved before the sections are drawn, filled after. */
function tocPagesFor(headings: string[]): number {
  const first = Math.floor((CONTENT_HEIGHT - 30) / TOC_LINE); // below the "Contents" heading, as contents() draws
  const next = Math.floor(CONTENT_HEIGHT / TOC_LINE);
  return 1 + Math.max(0, Math.ceil((headings.length - first) / next));
}

function contents(doc: PDFKit.PDFDocument, firstPage: number, entries: Array<{ heading: string; page: number; destination: string }>): void {
  let page = firstPage;
  let y = PAGE.margin.top;
  doc.switchToPage(page);
  drawText(doc, 'Contents', PAGE.margin.left, y, HEADING, { width: CONTENT_WIDTH });
  y += 30;
  entries.forEach((entry, i) => {
    if (y + TOC_LINE > PAGE.height - PAGE.margin.bottom) {
      doc.switchToPage(++page);
      y = PAGE.margin.top;
    }
    const label = `${i + 1}  ${entry.heading}`;
    // One line per entry (long headings end in an ellipsis), so the page count reserved holds.
    drawText(doc, label, PAGE.margin.left, y, BODY, { width: CONTENT_WIDTH - 50, height: TOC_LINE, ellipsis: true, lineBreak: false, goTo: entry.destination });
    drawText(doc, String(entry.page), PAGE.margin.left + CONTENT_WIDTH - 40, y, BODY, { width: 40, align: 'right', lineBreak: false });
    y += TOC_LINE;
  });
}

function footers(doc: PDFKit.PDFDocument, title: string): void {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    // Drawn inside the bottom margin: with the margin at 0 pdfkit does not start a new page for it.
    doc.page.margins.bottom = 0;
    const y = PAGE.height - 40;
    doc.moveTo(PAGE.margin.left, y - 6).lineTo(PAGE.width - PAGE.margin.right, y - 6).lineWidth(0.4).stroke('#c5cdd8');
    drawText(doc, title, PAGE.margin.left, y, SMALL, { width: CONTENT_WIDTH - 100, height: 10, ellipsis: true, lineBreak: false });
    drawText(doc, `page ${i + 1} of ${count}`, PAGE.width - PAGE.margin.right - 100, y, SMALL, { width: 100, align: 'right', lineBreak: false });
    doc.page.margins.bottom = PAGE.margin.bottom;
  }
}

/**
 * Lays the content out as a PDF/A-3b document: cover, contents, numbered sections (each in the
 * outline), footers with "page X of Y", the content and the manifest as associated files.
 * `onStart` receives pdfkit's readable stream before anything is drawn (the caller pipes it); the
 * document is ended when this resolves.
 */
export async function writeReport(content: PdfContent, attachments: Attachments, onStart: (doc: PDFKit.PDFDocument) => void): Promise<void> {
  // Charts first: a chart that cannot be drawn fails the render before a byte is written.
  const charts = new Map<MaterialisedBlock, ChartSvg>();
  for (const b of content.sections.flatMap((s) => s.blocks)) if (b.kind === 'chart') charts.set(b, await vegaLiteToSvg(b.title, b.spec));
  const created = creationDateOf(content.cover);
  const doc = new PDFDocument({
    size: PAGE.size,
    margins: PAGE.margin,
    pdfVersion: '1.7',
    subset: 'PDF/A-3b',
    bufferPages: true,
    displayTitle: true,
    // No default font: pdfkit's is Helvetica, which PDF/A cannot use unembedded; and a default given
    // as bytes is cached under its PostScript name only, so every later font('Body') would parse the
    // TTF again (pdfkit 0.20's cache returns before storing the registered name).
    font: null as unknown as string,
    info: { Title: content.title, Subject: KIND_LABELS[content.kind], Author: 'RAIA', Creator: 'RAIA', Producer: 'RAIA (PDFKit)', CreationDate: created },
  });
  escapeXmpInfo(doc);
  onStart(doc);
  doc.registerFont('Body', pdfFontBytes('Body'));
  doc.registerFont('Body-Bold', pdfFontBytes('Body-Bold'));
  doc.registerFont('Fallback', pdfFontBytes('Fallback'));
  doc.font('Body');

  const frame = new PageFrame(doc);
  cover(frame, content);
  frame.newPage();
  const tocPage = frame.pageIndex;
  const headings = content.sections.map((s) => s.heading);
  for (let i = 1; i < tocPagesFor(headings); i++) frame.newPage();

  const entries: Array<{ heading: string; page: number; destination: string }> = [];
  for (const [i, section] of content.sections.entries()) {
    if (i === 0) frame.newPage();
    else frame.ensure(140); // no heading alone at the foot of a page
    const destination = `section-${i + 1}`;
    doc.addNamedDestination(destination, 'XYZ', null, frame.y, null);
    doc.outline.addItem(`${i + 1} ${section.heading}`);
    entries.push({ heading: section.heading, page: frame.pageIndex + 1, destination });
    const heading = `${i + 1}  ${section.heading}`;
    drawText(doc, heading, frame.left, frame.y, HEADING, { width: CONTENT_WIDTH });
    frame.y += textHeight(doc, heading, CONTENT_WIDTH, HEADING) + 8;
    for (const b of section.blocks) block(frame, b, charts);
    frame.y += 10;
  }
  contents(doc, tocPage, entries);
  footers(doc, content.title);

  // `relationship` (AFRelationship) is pdfkit's, missing from @types/pdfkit.
  type Attachment = PDFKit.Mixins.PDFAttachmentOptions & { relationship: 'Data' | 'Supplement' };
  const embedded = { creationDate: created, modifiedDate: created, type: 'application/json' };
  // PDF/A-3 associated files: the pages are drawn from document.json ("Data"); the manifest is
  // evidence about it, not its source ("Supplement").
  const documentJson: Attachment = { ...embedded, name: 'document.json', relationship: 'Data', description: 'The content of this document as RFC 8785 canonical JSON' };
  const manifest: Attachment = { ...embedded, name: 'manifest.json', relationship: 'Supplement', description: 'The signed evidence manifest' };
  doc.file(attachments.documentJson, documentJson);
  doc.file(attachments.manifestJson, manifest);
  doc.end();
}
