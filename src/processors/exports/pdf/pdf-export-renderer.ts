import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { ExportRenderer } from '../export-document.js';
import { contentPart, materialise } from './pdf-document-content.js';
import { PdfExportUnreadable, readEmbeddedFiles } from './pdf-embedded-files.js';
import { writeReport } from './pdf-report-writer.js';

export const PDF_CONTENT_PART = 'document.json';
export const PDF_MANIFEST_PART = 'manifest.json';

/**
 * Regulator-grade PDF: PDF/A-3b with embedded fonts, whose content part is the embedded
 * `document.json` (canonical JSON of the document with its rows) and whose evidence is the
 * embedded `manifest.json` naming that part's SHA-256. The same document renders the same bytes.
 */
export const pdfExportRenderer: ExportRenderer = {
  format: 'pdf',
  contentType: 'application/pdf',
  extension: 'pdf',

  async render(document, manifestFor, out) {
    const content = await materialise(document);
    const part = contentPart(content);
    const manifest = await manifestFor([{ name: PDF_CONTENT_PART, sha256: part.sha256 }]);
    let doc: PDFKit.PDFDocument | undefined;
    let written: Promise<void> | undefined;
    try {
      await writeReport(content, { documentJson: part.bytes, manifestJson: manifest }, (started) => {
        doc = started;
        written = pipeline(started, out);
      });
    } catch (error) {
      doc?.destroy(error as Error);
      await written?.catch(() => {});
      throw error;
    }
    await written;
  },

  async inspect(file) {
    const files = await readEmbeddedFiles(file);
    const manifest = files.get(PDF_MANIFEST_PART);
    const content = files.get(PDF_CONTENT_PART);
    if (!manifest) throw new PdfExportUnreadable(file, `it embeds no ${PDF_MANIFEST_PART}`);
    if (!content) throw new PdfExportUnreadable(file, `it embeds no ${PDF_CONTENT_PART}`);
    return { manifest, contents: [{ name: PDF_CONTENT_PART, sha256: createHash('sha256').update(content).digest('hex') }] };
  },
};
