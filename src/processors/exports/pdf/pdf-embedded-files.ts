import { readFile } from 'node:fs/promises';
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFStream, PDFString, decodePDFRawStream } from 'pdf-lib';

export class PdfExportUnreadable extends Error {
  readonly code = 'PDF_EXPORT_UNREADABLE';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file} is not a readable RAIA PDF export: ${reason}`);
    this.name = 'PdfExportUnreadable';
  }
}

/**
 * Walks the catalog's EmbeddedFiles name tree (ISO 32000 7.9.6: leaves hold `Names` pairs,
 * intermediate nodes `Kids`) and returns each embedded file's decoded bytes by name. pdf-lib parses
 * the file (cross-reference tables or streams, object streams, filters); the tree walk is ours
 * because pdf-lib only writes attachments.
 */
function embeddedFiles(pdf: PDFDocument): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const names = pdf.catalog.lookupMaybe(PDFName.of('Names'), PDFDict);
  const root = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
  const seen = new Set<PDFDict>();
  const visit = (node: PDFDict) => {
    if (seen.has(node)) return; // a malicious tree may loop
    seen.add(node);
    const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
    for (let i = 0; kids && i < kids.size(); i++) visit(kids.lookup(i, PDFDict));
    const pairs = node.lookupMaybe(PDFName.of('Names'), PDFArray);
    for (let i = 0; pairs && i + 1 < pairs.size(); i += 2) {
      const name = pairs.lookup(i, PDFString, PDFHexString).decodeText();
      const spec = pairs.lookup(i + 1, PDFDict);
      const stream = spec.lookupMaybe(PDFName.of('EF'), PDFDict)?.lookupMaybe(PDFName.of('F'), PDFStream);
      if (stream instanceof PDFRawStream) files.set(name, Buffer.from(decodePDFRawStream(stream).decode()));
      else if (stream) files.set(name, Buffer.from(stream.getContents()));
    }
  };
  if (root) visit(root);
  return files;
}

/** The embedded files of a PDF on disk, by name. */
export async function readEmbeddedFiles(file: string): Promise<Map<string, Buffer>> {
  try {
    const pdf = await PDFDocument.load(await readFile(file), { updateMetadata: false, throwOnInvalidObject: true });
    return embeddedFiles(pdf);
  } catch (error) {
    throw new PdfExportUnreadable(file, error instanceof Error ? error.message : String(error));
  }
}
