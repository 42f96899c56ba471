import type {} from 'pdfkit'; // the PDFKit namespace's types
import { bodyAscent, textRuns, type PdfFontName } from './pdf-fonts.js';

export type TextStyle = { font: Extract<PdfFontName, 'Body' | 'Body-Bold'>; size: number; color?: string };
type Options = PDFKit.Mixins.TextOptions;

/** Tabs and other control characters (but newlines) as spaces: fonts draw them as empty boxes. */
// eslint-disable-next-line no-control-regex -- control characters are what it replaces
const printable = (text: string): string => text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ');

/** Tokens longer than this are broken by us: pdfkit breaks a word wider than a line in time quadratic in its length. */
const LONG_WORD = 80;

/**
 * Breaks words longer than LONG_WORD characters into line-sized pieces (at the average character
 * width, with a margin), so a hash, a URL or a base64 blob wraps in linear time. Shorter words are
 * left to pdfkit, which breaks them exactly.
 */
export function breakLongWords(doc: PDFKit.PDFDocument, text: string, width: number | undefined, style: TextStyle): string {
  if (width === undefined || text.length <= LONG_WORD) return text;
  return text.replace(new RegExp(`\\S{${LONG_WORD + 1},}`, 'gu'), (word) => {
    const characters = Array.from(word);
    doc.fontSize(style.size).font(style.font);
    const perCharacter = doc.widthOfString(word) / characters.length;
    const perLine = Math.max(1, Math.floor(width / (perCharacter * 1.25)));
    const lines: string[] = [];
    for (let i = 0; i < characters.length; i += perLine) lines.push(characters.slice(i, i + perLine).join(''));
    return lines.join('\n');
  });
}

/**
 * Draws text at (x, y) within `width`, switching to the fallback font for the characters the body
 * font lacks (pdfkit draws one font per call; `continued` keeps the runs on one wrapped paragraph).
 */
export function drawText(doc: PDFKit.PDFDocument, text: string, x: number, y: number, style: TextStyle, options: Options = {}): void {
  const runs = textRuns(printable(breakLongWords(doc, text, options.width, style)));
  doc.fillColor(style.color ?? '#111111').fontSize(style.size);
  runs.forEach((run, i) => {
    doc.font(run.fallback ? 'Fallback' : style.font);
    const continued = i < runs.length - 1;
    if (i === 0) doc.text(run.text, x, y, { lineGap: 1, ...options, continued, ...(runs.length > 1 ? { baseline: -bodyAscent() * style.size } : {}) });
    else doc.text(run.text, { continued });
  });
}

/**
 * The height `drawText` will take. Mixed-font text is measured in each font and the larger height
 * kept: a slight overestimate (a little white space) is safe, an underestimate would overprint.
 */
export function textHeight(doc: PDFKit.PDFDocument, original: string, width: number, style: TextStyle, options: Options = {}): number {
  const text = printable(breakLongWords(doc, original, width, style));
  const runs = textRuns(text);
  doc.fontSize(style.size);
  doc.font(style.font);
  let height = doc.heightOfString(text, { lineGap: 1, ...options, width });
  if (runs.some((r) => r.fallback)) {
    doc.font('Fallback');
    height = Math.max(height, doc.heightOfString(text, { lineGap: 1, ...options, width }));
  }
  return height;
}

/** The width of one line of text in the style (for column sizing). */
export function textWidth(doc: PDFKit.PDFDocument, text: string, style: TextStyle): number {
  doc.fontSize(style.size).font(style.font);
  return doc.widthOfString(text);
}

/** Appended where a value is cut on the page; the embedded document.json keeps it whole. */
export const TRUNCATED = ' … [truncated: the full value is in the embedded document.json]';

/**
 * The text cut to fit `maxHeight` when drawn `width` wide, marked as cut; unchanged when it fits.
 * For a table cell or a fact longer than a page, which has nowhere else to go.
 */
export function fitText(doc: PDFKit.PDFDocument, text: string, width: number, style: TextStyle, maxHeight: number): string {
  // Even one character a line, this many lines fit: no need to measure (most cells and facts).
  if (text.length <= Math.floor(maxHeight / (style.size * 1.6 + 1)) || textHeight(doc, text, width, style) <= maxHeight) return text;
  let keep = text.length;
  let shown: string;
  do {
    keep = Math.floor(keep / 2);
    shown = text.slice(0, keep) + TRUNCATED;
  } while (keep > 0 && textHeight(doc, shown, width, style) > maxHeight);
  return shown;
}

/**
 * Splits text at a word boundary into the longest head that fits `maxHeight` and the rest, so a
 * paragraph longer than the space left flows onto the next page. The head is empty when not even
 * one word fits.
 */
export function splitToFit(doc: PDFKit.PDFDocument, text: string, width: number, style: TextStyle, maxHeight: number): [string, string] {
  const words = text.split(/(?<=\s)/); // each word keeps its trailing space
  let [low, high] = [0, words.length]; // the longest fitting prefix has `low` words
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (textHeight(doc, words.slice(0, mid).join('').trimEnd(), width, style) <= maxHeight) low = mid;
    else high = mid - 1;
  }
  return [words.slice(0, low).join('').trimEnd(), words.slice(low).join('')];
}
