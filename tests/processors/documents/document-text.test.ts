import { describe, expect, it } from 'vitest';
import { CorruptDocument, UnsupportedDocumentType, documentFormatOf, extractDocumentText } from '../../../src/processors/documents/document-text.js';
import { docxWithParagraphs, pdfWithText } from '../../support/document-fixtures.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('document text extraction', () => {
  it('reads the text layer of every page of a PDF', async () => {
    const pdf = await pdfWithText(['Model risk is governed by the board.', 'Second page: drift is monitored weekly.']);
    const text = await extractDocumentText(pdf, 'pdf');
    expect(text).toContain('Model risk is governed by the board.');
    expect(text).toContain('Second page: drift is monitored weekly.');
  });

  it('reads the paragraphs of a DOCX', async () => {
    const docx = await docxWithParagraphs(['Fairness policy', 'Disparate impact must stay above 0.8 & be reported.']);
    expect((await extractDocumentText(docx, 'docx')).trim().split(/\n+/)).toEqual(['Fairness policy', 'Disparate impact must stay above 0.8 & be reported.']);
  });

  it('turns HTML into its visible text, without scripts or markup', async () => {
    const html = '<html><head><title>t</title><script>var secret = 1;</script></head><body><h1>Audit</h1><p>The ledger is <b>hash-chained</b>.</p></body></html>';
    const text = await extractDocumentText(bytes(html), 'html');
    expect(text).toMatch(/AUDIT/i);
    expect(text).toContain('The ledger is hash-chained.');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('<');
  });

  it('keeps text and Markdown as written, without a byte-order mark', async () => {
    expect(await extractDocumentText(bytes('\uFEFF# Title\n\nBody é'), 'markdown')).toBe('# Title\n\nBody é');
    expect(await extractDocumentText(bytes('plain'), 'text')).toBe('plain');
  });

  it('refuses corrupt files as the format they claim', async () => {
    await expect(extractDocumentText(bytes('%PDF-1.7\nthis is not a pdf'), 'pdf')).rejects.toThrow(CorruptDocument);
    await expect(extractDocumentText(bytes('hello'), 'pdf')).rejects.toThrow(CorruptDocument);
    await expect(extractDocumentText(bytes('PK\u0003\u0004garbage'), 'docx')).rejects.toThrow(CorruptDocument);
    await expect(extractDocumentText(new Uint8Array([0xc3, 0x28]), 'text')).rejects.toThrow(/UTF-8/);
    await expect(extractDocumentText(new Uint8Array([0x41, 0x00, 0x42]), 'text')).rejects.toThrow(CorruptDocument);
  });

  it('tells the format from the extension, then the content type, else refuses', () => {
    expect(documentFormatOf('Policy.PDF', undefined)).toBe('pdf');
    expect(documentFormatOf('notes.md', 'application/octet-stream')).toBe('markdown');
    expect(documentFormatOf(null, 'text/html; charset=utf-8')).toBe('html');
    expect(() => documentFormatOf('model.exe', undefined)).toThrow(UnsupportedDocumentType);
    expect(() => documentFormatOf(null, undefined)).toThrow(UnsupportedDocumentType);
  });
});
