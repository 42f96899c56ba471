import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import canonicalize from 'canonicalize';
import type { PDFRawStream, PDFRef } from 'pdf-lib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFString, decodePDFRawStream } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentDigest, ExportDocument, TableRow } from '../../../../src/processors/exports/export-document.js';
import { MAX_PDF_TABLE_ROWS, PdfTableTooLarge } from '../../../../src/processors/exports/pdf/pdf-document-content.js';
import { PdfExportUnreadable } from '../../../../src/processors/exports/pdf/pdf-embedded-files.js';
import { pdfExportRenderer } from '../../../../src/processors/exports/pdf/pdf-export-renderer.js';
import { PdfChartFailed } from '../../../../src/processors/exports/pdf/vega-lite-svg.js';
import { ASSESSMENT_ROWS, COVER_FACTS, longReportDocument, reportDocument } from './report-document.js';

/**
 * The PDF renderer, checked with tools that are not ours: poppler (pdfinfo, pdftoppm, pdftotext,
 * pdffonts, pdfdetach, pdfimages) and qpdf read what it wrote, node:crypto and the `canonicalize` package
 * recompute the content part's digest and canonical form. The manifest is a test input: fixed bytes
 * from a fake `manifestFor` that records the digests it was asked to sign.
 */
const FAKE_MANIFEST = Buffer.from('{"manifest":"fixed test bytes","seal":"ed25519:…"}\n', 'utf8');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const tool = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

let dir: string;

async function render(document: ExportDocument, file: string): Promise<ContentDigest[]> {
  const asked: ContentDigest[] = [];
  await pdfExportRenderer.render(
    document,
    async (contents) => {
      asked.push(...contents);
      return FAKE_MANIFEST;
    },
    createWriteStream(file),
  );
  return asked;
}

/** Renders into memory, counting the bytes that reached the output. */
async function renderToCounter(document: ExportDocument): Promise<{ error: unknown; bytes: number }> {
  let bytes = 0;
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  try {
    await pdfExportRenderer.render(document, async () => FAKE_MANIFEST, out);
    return { error: undefined, bytes };
  } catch (error) {
    return { error, bytes };
  }
}

/** pdfdetach's copy of an embedded file (poppler, not our reader). */
function detach(file: string, name: string): Buffer {
  const list = tool('pdfdetach', '-list', file);
  const line = list.split('\n').find((l) => l.trim().endsWith(`: ${name}`));
  if (!line) throw new Error(`${name} not embedded: ${list}`);
  const out = join(dir, `detached-${name}-${Math.random()}`);
  tool('pdfdetach', '-save', line.trim().split(':')[0]!, '-o', out, file);
  return readFileSync(out);
}

const compact = (s: string) => s.replace(/\s+/g, '');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raia-pdf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the PDF export renderer', () => {
  let file: string;
  let asked: ContentDigest[];
  let pages: number;
  let text: string;

  beforeAll(async () => {
    file = join(dir, 'report.pdf');
    asked = await render(reportDocument(), file);
    pages = Number(/^Pages:\s+(\d+)$/m.exec(tool('pdfinfo', file))![1]);
    text = tool('pdftotext', '-layout', file, '-');
  }, 120_000);

  it('renders every page to PNG with pdftoppm, as many as pdfinfo counts', () => {
    // Cover, contents, then at least the 200-row table's ~35 rows a page: more than 8 pages.
    expect(pages).toBeGreaterThan(8);
    const out = join(dir, 'png');
    const run = spawnSync('pdftoppm', ['-png', '-r', '50', file, out], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(''); // poppler reports syntax errors and missing fonts on stderr
    const images = readdirSync(dir).filter((f) => f.startsWith('png') && f.endsWith('.png'));
    expect(images).toHaveLength(pages);
  });

  it('passes qpdf\'s structural check (cross-reference table, objects, streams)', () => {
    const run = spawnSync('qpdf', ['--check', file], { encoding: 'utf8' });
    expect(run.stdout).toContain('No syntax or stream encoding errors found');
    expect(run.status).toBe(0);
  });

  it('numbers every page "page X of Y" in the footer', () => {
    const perPage = text.split('\f').filter((p) => p.trim() !== '');
    expect(perPage).toHaveLength(pages);
    perPage.forEach((p, i) => expect(p).toContain(`page ${i + 1} of ${pages}`));
  });

  it('names the cover facts on page 1, with names outside Latin-1 intact', () => {
    const cover = compact(tool('pdftotext', '-f', '1', '-l', '1', file, '-'));
    expect(cover).toContain(compact('Annex IV technical documentation: credit-default-scorer v7'));
    for (const fact of [COVER_FACTS.model, COVER_FACTS.version, COVER_FACTS.pack, COVER_FACTS.head, COVER_FACTS.owner]) expect(cover).toContain(compact(fact));
    expect(cover).toContain(compact('2026-12-01 09:30:00Z')); // the seal's Date, in UTC
  });

  it('lists the sections with their pages on the contents page, and heads each section', () => {
    const contents = tool('pdftotext', '-layout', '-f', '2', '-l', '2', file, '-');
    const headings = reportDocument().sections.map((s) => s.heading);
    headings.forEach((heading, i) => {
      const entry = new RegExp(`^\\s*${i + 1}\\s+${heading}\\s+(\\d+)\\s*$`, 'm').exec(contents);
      expect(entry, heading).not.toBeNull();
      const page = tool('pdftotext', '-layout', '-f', entry![1]!, '-l', entry![1]!, file, '-');
      expect(page).toMatch(new RegExp(`^\\s*${i + 1}\\s+${heading}\\s*$`, 'm'));
    });
  });

  it('spreads the 200-row table over pages, repeating its header row on each, every row once', () => {
    const perPage = text.split('\f');
    const tablePages = perPage.filter((p) => /assessment-\d{3}/.test(p));
    expect(tablePages.length).toBeGreaterThan(3);
    tablePages.forEach((p, i) => {
      expect(p).toMatch(/Assessment\s+Metric\s+Group\s+Value\s+Passed\s+Assessed at/);
      if (i > 0) expect(p).toContain('Fairness assessments (continued)');
    });
    expect(perPage.find((p) => p.includes('Fairness assessments (200 rows)'))).toBeDefined();
    const ids = [...text.matchAll(/assessment-(\d{3})/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: ASSESSMENT_ROWS }, (_, i) => i + 1));
    // Formatted cells: grouped integers, UTC dates, yes/no, an empty table said so.
    expect(text).toContain('1,284,733');
    expect(text).toMatch(/assessment-002\s+equalized odds difference\s+age 25-60\s+0\.37\s+yes\s+2026-11-02 12:00:00Z/);
    expect(text).toContain('No rows.');
  });

  it('wraps long cells instead of cutting them', () => {
    // In drawing order (-raw) a wrapped cell's lines follow each other; in layout order they interleave with the next column.
    const raw = tool('pdftotext', '-raw', file, '-');
    const cell = 'Zoë Ødegård 名前 — an exceedingly long dataset description that has to wrap over several lines in its cell';
    expect(compact(raw).includes(compact(cell))).toBe(true);
    expect(text.includes(cell)).toBe(false); // so it did wrap
  });

  it('embeds every font it uses, none of the 14 standard ones', () => {
    const rows = tool('pdffonts', file).trim().split('\n').slice(2);
    expect(rows.length).toBeGreaterThanOrEqual(3); // body, bold, and the CJK fallback used for 名前
    for (const row of rows) {
      const [name, , , , emb] = row.split(/\s{2,}|\s(?=yes|no)/).filter(Boolean);
      expect(row, name).toMatch(/\syes\s+yes\s+yes\s/); // emb, sub, uni
      expect(name).not.toMatch(/Helvetica|Times|Courier/);
      expect(emb).toBeDefined();
    }
    expect(tool('pdffonts', file)).toContain('NotoSansJP');
  });

  it('draws charts as vectors, not images', () => {
    const images = tool('pdfimages', '-list', file).trim().split('\n').slice(2);
    expect(images).toEqual([]);
    expect(text).toContain('Selection rate by group');
    expect(text).toContain('Population stability index'); // an axis title, drawn by the chart itself
  });

  it('declares PDF/A-3b in its XMP metadata, with the document title, on PDF 1.7', () => {
    const info = tool('pdfinfo', file);
    expect(info).toMatch(/^PDF version:\s+1\.7$/m);
    expect(info).toMatch(/^CreationDate:\s+Tue Dec\s+1 09:30:00 2026 UTC$/m); // the latest cover time, not the clock
    const xmp = tool('pdfinfo', '-meta', file);
    expect(xmp).toMatch(/<pdfaid:part>3<\/pdfaid:part>/);
    expect(xmp).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
    expect(xmp).toContain('<xmp:CreateDate>2026-12-01T09:30:00Z</xmp:CreateDate>');
    expect(xmp).toContain('Annex IV technical documentation: credit-default-scorer v7');
  });

  it('embeds document.json, whose SHA-256 it asked the manifest for, and the manifest bytes unchanged', () => {
    const documentJson = detach(file, 'document.json');
    expect(asked).toEqual([{ name: 'document.json', sha256: sha256(documentJson) }]);
    expect(detach(file, 'manifest.json').equals(FAKE_MANIFEST)).toBe(true);
  });

  it('makes document.json the canonical JSON of the cover and sections with every row', () => {
    const documentJson = detach(file, 'document.json').toString('utf8');
    const parsed = JSON.parse(documentJson) as { title: string; cover: unknown[]; sections: Array<{ heading: string; blocks: Array<{ rows?: unknown[] }> }> };
    expect(canonicalize(parsed)).toBe(documentJson); // RFC 8785, by an implementation that is not ours
    expect(parsed.cover).toContainEqual({ label: 'Latest seal', value: COVER_FACTS.seal });
    const table = parsed.sections[2]!.blocks[0]!.rows!;
    expect(table).toHaveLength(ASSESSMENT_ROWS);
    expect(table[1]).toEqual({ id: 'assessment-002', metric: 'equalized odds difference', group: 'age 25-60', value: 0.37, passed: true, at: '2026-11-02T12:00:00.000Z' });
  });

  it('reads back the manifest and the digest recomputed from the embedded document.json', async () => {
    const inspected = await pdfExportRenderer.inspect(file);
    expect(inspected.manifest.equals(FAKE_MANIFEST)).toBe(true);
    expect(inspected.contents).toEqual([{ name: 'document.json', sha256: sha256(detach(file, 'document.json')) }]);
  });

  it('recomputes a different digest when one byte of the embedded document.json is changed', async () => {
    const pdf = await PDFDocument.load(readFileSync(file));
    const tree = pdf.catalog.lookup(PDFName.of('Names'), PDFDict).lookup(PDFName.of('EmbeddedFiles'), PDFDict).lookup(PDFName.of('Names'), PDFArray);
    const at = tree.asArray().findIndex((o) => o instanceof PDFString && o.decodeText() === 'document.json');
    const ref = tree.lookup(at + 1, PDFDict).lookup(PDFName.of('EF'), PDFDict).get(PDFName.of('F')) as PDFRef;
    const stream = pdf.context.lookup(ref) as PDFRawStream;
    const bytes = Buffer.from(decodePDFRawStream(stream).decode());
    const i = bytes.indexOf('0.37'); // assessment-002's value becomes 0.38
    bytes[i + 3] = '8'.charCodeAt(0);
    pdf.context.assign(ref, pdf.context.flateStream(bytes, { Type: 'EmbeddedFile', Subtype: 'application/json' }));
    const tampered = join(dir, 'tampered.pdf');
    writeFileSync(tampered, await pdf.save());

    expect(detach(tampered, 'document.json').equals(bytes)).toBe(true); // poppler sees the edit
    const original = await pdfExportRenderer.inspect(file);
    const inspected = await pdfExportRenderer.inspect(tampered);
    expect(inspected.manifest.equals(FAKE_MANIFEST)).toBe(true);
    expect(inspected.contents).toEqual([{ name: 'document.json', sha256: sha256(bytes) }]);
    expect(inspected.contents[0]!.sha256).not.toBe(original.contents[0]!.sha256);
  });

  it('renders the same document to the same bytes, streamed rows or not', async () => {
    const again = join(dir, 'again.pdf');
    await render(reportDocument({ streamedRows: true }), again);
    expect(sha256(readFileSync(again))).toBe(sha256(readFileSync(file)));
  }, 60_000);
});

describe('a long PDF report', () => {
  let file: string;
  let perPage: string[];

  beforeAll(async () => {
    file = join(dir, 'long.pdf');
    await render(longReportDocument(80, 2), file); // 81 sections: contents over two pages
    perPage = tool('pdftotext', '-layout', file, '-').split('\f').filter((p) => p.trim() !== '');
  }, 180_000);

  it('lists every section on the contents pages with the page its heading is on', () => {
    const headings = longReportDocument(80, 2).sections.map((s) => s.heading);
    const contents = perPage[1]! + perPage[2]!;
    expect(perPage[2]).not.toMatch(/^\s*1\s+A paragraph/m);
    headings.forEach((heading, i) => {
      const entry = new RegExp(`^\\s*${i + 1}\\s+${heading}\\s+(\\d+)\\s*$`, 'm').exec(contents);
      expect(entry, heading).not.toBeNull();
      expect(compact(perPage[Number(entry![1]) - 1]!)).toContain(compact(`${i + 1} ${heading}`)); // headings may wrap
    });
  });

  it('flows a paragraph longer than a page onto the next pages, every word once, above the footer', () => {
    const words = perPage.join(' ').match(/\bword\d+\b/g)!;
    expect(words).toEqual(Array.from({ length: 600 }, (_, i) => `word${i + 1}`));
    const pages = perPage.filter((p) => /\bword\d+\b/.test(p)).length;
    expect(pages).toBeGreaterThan(1);
    perPage.forEach((p, i) => {
      // The footer is the last line of every page: nothing was drawn over or below it.
      const lines = p.trimEnd().split('\n');
      expect(lines[lines.length - 1]).toMatch(new RegExp(`page ${i + 1} of ${perPage.length}$`));
    });
  });
});

describe('unusual documents', () => {
  it('renders a cover without sections, a table without columns, one of 30 columns and an empty heading', async () => {
    const wide = Array.from({ length: 30 }, (_, i) => ({ key: `c${i}`, label: `column ${i}`, type: (i % 2 === 0 ? 'number' : 'text') as 'number' | 'text' }));
    const manyFacts = Array.from({ length: 60 }, (_, i) => ({ label: `Fact ${i + 1}`, value: `value ${i + 1}` }));
    const documents: ExportDocument[] = [
      { ...reportDocument(), cover: [], sections: [] },
      {
        ...reportDocument(),
        sections: [
          { heading: '', blocks: [{ kind: 'table', name: 'No columns', columns: [], rows: [{}, {}] }] },
          { heading: 'Wide', blocks: [{ kind: 'table', name: 'Thirty columns', columns: wide, rows: [Object.fromEntries(wide.map((c, i) => [c.key, c.type === 'number' ? i * 1000.5 : `text ${i} that wraps`]))] }] },
          { heading: 'Nothing', blocks: [] },
        ],
      },
    ];
    documents.push({ ...reportDocument(), cover: manyFacts, sections: [] });
    const odd = ['nul \u0000 here', 'lone \ud800 surrogate', 'emoji 🙂', 'مرحبا بالعالم', '', 'tab\tand\nnewline', 'x'.repeat(20_000)];
    documents.push({
      ...reportDocument(),
      sections: [
        { heading: 'Odd text', blocks: odd.map((text) => ({ kind: 'paragraph' as const, text })) },
        { heading: 'Odd cells', blocks: [{ kind: 'table', name: 'Odd', columns: [{ key: 'v', label: 'Value' }], rows: odd.map((v) => ({ v })) }] },
      ],
    });
    for (const [i, document] of documents.entries()) {
      const out = join(dir, `unusual-${i}.pdf`);
      await render(document, out);
      const pages = Number(/^Pages:\s+(\d+)$/m.exec(tool('pdfinfo', out))![1]);
      if (i < 3) expect(pages).toBe([2, 3, 3][i]); // cover and contents, then the sections on one page; a cover of 60 facts takes two
      const run = spawnSync('pdftoppm', ['-png', '-r', '30', out, join(dir, `unusual-${i}`)], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stderr).toBe('');
    }
    const text = tool('pdftotext', join(dir, 'unusual-1.pdf'), '-');
    expect(text).toContain('No columns: a table without columns (2 rows)');
    // Thirty columns on a portrait page wrap their labels; in drawing order the last one is whole.
    expect(compact(tool('pdftotext', '-raw', join(dir, 'unusual-1.pdf'), '-'))).toContain('column29');
    const longCover = tool('pdftotext', '-layout', join(dir, 'unusual-2.pdf'), '-').split('\f');
    expect(longCover[0]).toMatch(/^\s*Fact 1\s+value 1\s*$/m);
    expect(longCover[1]).toMatch(/^\s*Fact 60\s+value 60\s*$/m);
    expect(longCover[1]).toContain('Verify it offline');
    expect(longCover[2]).toContain('Contents');
    // A 20,000-character word flows whole over pages as a paragraph, and is cut in a table cell.
    const oddText = compact(tool('pdftotext', join(dir, 'unusual-3.pdf'), '-'));
    expect(oddText.match(/\[truncated:thefullvalueisintheembeddeddocument\.json\]/g)).toHaveLength(1);
    expect(oddText.match(/x/g)!.length).toBeGreaterThanOrEqual(20_000 + 1200);
  }, 60_000);
});

describe('what the PDF renderer refuses', () => {
  const withTable = (rows: TableRow[] | AsyncIterable<TableRow>): ExportDocument => ({
    ...reportDocument(),
    sections: [{ heading: 'Audit log', blocks: [{ kind: 'table', name: 'Events', columns: [{ key: 'n', label: 'n', type: 'integer' }], rows }] }],
  });

  it(`refuses a table over ${MAX_PDF_TABLE_ROWS} rows before writing a byte, telling the user to use CSV or XLSX`, async () => {
    const { error, bytes } = await renderToCounter(withTable(Array.from({ length: MAX_PDF_TABLE_ROWS + 1 }, (_, n) => ({ n }))));
    expect(error).toBeInstanceOf(PdfTableTooLarge);
    expect((error as Error).message).toMatch(/"Events".*CSV or XLSX/);
    expect(bytes).toBe(0);
  });

  it('stops reading a streamed table at the first row past the limit', async () => {
    let pulled = 0;
    async function* endless(): AsyncIterable<TableRow> {
      for (;;) yield { n: pulled++ };
    }
    const { error, bytes } = await renderToCounter(withTable(endless()));
    expect(error).toBeInstanceOf(PdfTableTooLarge);
    expect(pulled).toBe(MAX_PDF_TABLE_ROWS + 1);
    expect(bytes).toBe(0);
  });

  it('renders a table of exactly the limit', async () => {
    const { error, bytes } = await renderToCounter(withTable(Array.from({ length: MAX_PDF_TABLE_ROWS }, (_, n) => ({ n }))));
    expect(error).toBeUndefined();
    expect(bytes).toBeGreaterThan(0);
  }, 120_000);

  it('fails on a chart it cannot compile, naming it, before writing a byte', async () => {
    const document: ExportDocument = { ...reportDocument(), sections: [{ heading: 'Charts', blocks: [{ kind: 'chart', title: 'Broken', spec: { mark: 'no-such-mark', data: { values: [] } } }] }] };
    const { error, bytes } = await renderToCounter(document);
    expect(error).toBeInstanceOf(PdfChartFailed);
    expect((error as Error).message).toContain('"Broken"');
    expect(bytes).toBe(0);
  });

  it('does not read files or URLs named by a chart', async () => {
    const secret = join(dir, 'secret.csv');
    writeFileSync(secret, 'label,value\nTOP-SECRET-LABEL,1\n');
    const document: ExportDocument = {
      ...reportDocument(),
      sections: [{ heading: 'Charts', blocks: [{ kind: 'chart', title: 'Outside data', spec: { data: { url: secret }, mark: 'bar', encoding: { x: { field: 'label', type: 'nominal' }, y: { field: 'value', type: 'quantitative' } } } }] }],
    };
    const { error, bytes } = await renderToCounter(document);
    expect(error).toBeInstanceOf(PdfChartFailed); // not an empty chart: vega alone only logs a failed load
    expect((error as Error).message).toContain(secret);
    expect(bytes).toBe(0);
  });

  it('keeps the XMP metadata well formed for a title with XML characters', async () => {
    const out = join(dir, 'title.pdf');
    await render(reportDocument({ title: 'R&D <draft> "fairness" report' }), out);
    expect(tool('pdfinfo', out)).toMatch(/^Title:\s+R&D <draft> "fairness" report$/m);
    const xmp = tool('pdfinfo', '-meta', out);
    expect(xmp).toContain('R&#38;D &#60;draft&#62; &#34;fairness&#34; report');
    expect(xmp).not.toContain('<draft>');
  }, 60_000);

  it('names a file that is not a PDF, or a PDF without the manifest, as unreadable', async () => {
    const notPdf = join(dir, 'not.pdf');
    writeFileSync(notPdf, 'just text, no PDF here');
    await expect(pdfExportRenderer.inspect(notPdf)).rejects.toBeInstanceOf(PdfExportUnreadable);

    const plain = await PDFDocument.create();
    plain.addPage();
    await plain.attach(Buffer.from('{}'), 'document.json', { mimeType: 'application/json' });
    const noManifest = join(dir, 'no-manifest.pdf');
    writeFileSync(noManifest, await plain.save());
    await expect(pdfExportRenderer.inspect(noManifest)).rejects.toThrow(/embeds no manifest\.json/);
  });

  it('reads the embedded files of a PDF another library wrote', async () => {
    const other = await PDFDocument.create();
    other.addPage();
    await other.attach(Buffer.from('{"a":1}'), 'document.json', { mimeType: 'application/json' });
    await other.attach(FAKE_MANIFEST, 'manifest.json', { mimeType: 'application/json' });
    const file = join(dir, 'pdf-lib.pdf');
    writeFileSync(file, await other.save()); // object streams, compressed: not how pdfkit writes
    const inspected = await pdfExportRenderer.inspect(file);
    expect(inspected.manifest.equals(FAKE_MANIFEST)).toBe(true);
    expect(inspected.contents).toEqual([{ name: 'document.json', sha256: sha256('{"a":1}') }]);
  });
});
