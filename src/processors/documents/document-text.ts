import { convert as htmlToText } from 'html-to-text';
import mammoth from 'mammoth';
import { extractText, getDocumentProxy } from 'unpdf';
import type { DocumentFormat } from '../../commands/document/document.decider.js';

/** The file could not be read as the format it claims (broken PDF, DOCX that is not a Word file, text that is not UTF-8). */
export class CorruptDocument extends Error {
  constructor(format: DocumentFormat, detail: string) {
    super(`the file is not a readable ${format} document: ${detail}`);
    this.name = 'CorruptDocument';
  }
}

/** The file's type is none of text, Markdown, HTML, PDF or DOCX. */
export class UnsupportedDocumentType extends Error {
  constructor(what: string) {
    super(`unsupported document type ${what}; expected text (.txt), Markdown (.md), HTML (.html), PDF (.pdf) or Word (.docx)`);
    this.name = 'UnsupportedDocumentType';
  }
}

const BY_EXTENSION: Record<string, DocumentFormat> = { txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', html: 'html', htm: 'html', pdf: 'pdf', docx: 'docx' };
const BY_CONTENT_TYPE: Record<string, DocumentFormat> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};
export const CONTENT_TYPES: Record<DocumentFormat, string> = {
  text: 'text/plain; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** The format named by the file name's extension, else by the part's content type; the bytes are checked when parsed. */
export function documentFormatOf(filename: string | null, contentType: string | undefined): DocumentFormat {
  const extension = filename?.match(/\.([A-Za-z0-9]+)$/)?.[1]?.toLowerCase();
  if (extension && BY_EXTENSION[extension]) return BY_EXTENSION[extension];
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type && BY_CONTENT_TYPE[type]) return BY_CONTENT_TYPE[type];
  throw new UnsupportedDocumentType(extension ? `.${extension}` : (type ?? 'without a name or content type'));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(bytes: Uint8Array, format: DocumentFormat): string {
  if (bytes.includes(0)) throw new CorruptDocument(format, 'it holds NUL bytes (a binary file?)');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new CorruptDocument(format, 'it is not valid UTF-8');
  }
}

/** The text of a document, by a well-kept parser per format: unpdf (pdf.js) for PDF's text layer, mammoth for DOCX, html-to-text for HTML. */
export async function extractDocumentText(bytes: Uint8Array, format: DocumentFormat): Promise<string> {
  switch (format) {
    case 'text':
    case 'markdown':
      return decodeUtf8(bytes, format).replace(/^\uFEFF/, '');
    case 'html':
      return htmlToText(decodeUtf8(bytes, format), { wordwrap: false, selectors: [{ selector: 'a', options: { ignoreHref: true } }, { selector: 'img', format: 'skip' }] });
    case 'pdf': {
      if (Buffer.from(bytes.subarray(0, 1024)).indexOf('%PDF-') < 0) throw new CorruptDocument(format, 'no %PDF- header');
      try {
        // pdf.js may detach the buffer it is given: hand it a copy.
        const pdf = await getDocumentProxy(new Uint8Array(bytes));
        try {
          const { text } = await extractText(pdf, { mergePages: false });
          return text.join('\n\n');
        } finally {
          await pdf.destroy();
        }
      } catch (error) {
        throw new CorruptDocument(format, error instanceof Error ? error.message : String(error));
      }
    }
    case 'docx': {
      if (!(bytes[0] === 0x50 && bytes[1] === 0x4b)) throw new CorruptDocument(format, 'not a ZIP container');
      try {
        return (await mammoth.extractRawText({ buffer: Buffer.from(bytes) })).value;
      } catch (error) {
        throw new CorruptDocument(format, error instanceof Error ? error.message : String(error));
      }
    }
  }
}
