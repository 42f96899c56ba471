import type {} from 'pdfkit'; // the PDFKit namespace's types

/** A4 portrait in points, with room at the bottom for the footer. */
export const PAGE = { size: 'A4' as const, width: 595.28, height: 841.89, margin: { top: 56, bottom: 64, left: 56, right: 56 } };
export const CONTENT_WIDTH = PAGE.width - PAGE.margin.left - PAGE.margin.right;
export const CONTENT_BOTTOM = PAGE.height - PAGE.margin.bottom;
/** The height one page offers to content. */
export const CONTENT_HEIGHT = CONTENT_BOTTOM - PAGE.margin.top;

/** Where the next block goes; blocks that do not fit start a new page. */
export class PageFrame {
  y = PAGE.margin.top;
  constructor(readonly doc: PDFKit.PDFDocument) {}

  /** The page being written, counted from 0 (pages are buffered, so pdfkit counts them all). */
  get pageIndex(): number {
    const { start, count } = this.doc.bufferedPageRange();
    return start + count - 1;
  }

  get left(): number {
    return PAGE.margin.left;
  }

  remaining(): number {
    return CONTENT_BOTTOM - this.y;
  }

  newPage(): void {
    this.doc.addPage();
    this.y = PAGE.margin.top;
  }

  /** Starts a new page unless `height` fits below (a page holds at most its content height). */
  ensure(height: number): void {
    if (height > this.remaining() && this.y > PAGE.margin.top) this.newPage();
  }
}
