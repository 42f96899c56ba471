import { describe, expect, it } from 'vitest';
import { CsvCopyPageReader, type CsvCopyPage } from '../../src/events/postgres/ledger-csv-copy-pages.js';
import { mulberry32 } from '../../src/analytics/seeded-random.js';

/** Seeded, so a failure can be replayed. */
const random = mulberry32;

/** What makes CSV hard, short of LF (no field of the COPY holds one): quotes, commas, CR, formula starts, tabs, apostrophes, multi-byte text. */
const PIECES = ['"', '""', ',', '\r', '=', '+', '-', '@', '\t', "'", 'a', 'Z', '0', '9', ' ', '{"k": "v"}', 'ü', '漢', '🎉', '\u2028', '*'];

/** A field as PostgreSQL's COPY CSV writer writes it (CopyAttributeOutCSV): NULL empty, quoted when it holds `"`, `,`, CR or LF, quotes doubled. */
function copyField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180 parsed the slow way, one character at a time: records end at an LF outside quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n') {
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
    } else field += c;
  }
  expect(field).toBe('');
  expect(fields).toEqual([]);
  return records;
}

const hex = (next: () => number) => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join('');

/** A COPY stream of `n` records from `next`: 16 fields, position first and hash last, one in five a marker record; and each record's text. */
function copyStream(next: () => number, n: number): { stream: Buffer; lines: string[] } {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const position = 1 + Math.floor(next() * 1e12);
    const marker = next() < 0.2;
    const middle = Array.from({ length: 14 }, (_, k) => {
      if (marker) return k === 0 ? '*' : '';
      const roll = next();
      if (roll < 0.15) return copyField(null);
      // The time field never starts with `*` in a record (it is a time); here it starts with a digit.
      const text = (k === 0 ? '2' : '') + Array.from({ length: Math.floor(next() * 12) + 1 }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
      return copyField(text);
    });
    lines.push([String(position), ...middle, hex(next)].join(','));
  }
  return { stream: Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'), lines };
}

/** The stream read by `CsvCopyPageReader` in chunks cut at random places (some a byte long). */
function readInChunks(stream: Buffer, next: () => number): CsvCopyPage[] {
  const reader = new CsvCopyPageReader();
  const pages: CsvCopyPage[] = [];
  for (let at = 0; at < stream.length; ) {
    const size = next() < 0.2 ? 1 : 1 + Math.floor(next() * 2000);
    const page = reader.read(stream.subarray(at, at + size));
    if (page) pages.push(page);
    at += size;
  }
  reader.end();
  return pages;
}

describe('reading the CSV records of a COPY stream', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('finds every record, position and hash a brute-force CSV parser finds (seed %i)', (seed) => {
    const next = random(seed);
    const { stream, lines } = copyStream(next, 300);
    const parsed = parseCsv(stream.toString('utf8'));
    expect(parsed.length).toBe(lines.length);
    const pages = readInChunks(stream, next);

    const positions = pages.flatMap((p) => [...p.positions]);
    const hashes = pages.map((p) => p.hashes.toString('hex')).join('');
    expect(positions).toEqual(parsed.map((f) => Number(f[0])));
    expect(hashes).toBe(parsed.map((f) => f[15]).join(''));
    expect(parsed.every((f) => f.length === 16)).toBe(true);

    // Records: every one but the markers, as written, with CRLF; markers noted where they belong.
    const expected = parsed.map((f, i) => (f[1] === '*' ? null : `${lines[i]}\r\n`));
    const got: (string | null)[] = [];
    for (const page of pages) {
      let from = 0;
      for (const d of page.disclosed) {
        got.push(...splitRecords(page.records.subarray(from, d.at)), null);
        from = d.at;
      }
      got.push(...splitRecords(page.records.subarray(from)));
    }
    expect(got).toEqual(expected);
    expect(pages.flatMap((p) => p.disclosed.map((d) => d.position))).toEqual(parsed.filter((f) => f[1] === '*').map((f) => Number(f[0])));
    // Each record's fields survive: parsed again from the CRLF records, they are the stream's.
    const kept = parseCsv(got.filter((r) => r !== null).join('').replace(/\r\n/g, '\n'));
    expect(kept).toEqual(parsed.filter((f) => f[1] !== '*'));
  });

  it('refuses a record that does not start with a position or end with a hash', () => {
    const h = 'a'.repeat(64);
    expect(() => new CsvCopyPageReader().read(Buffer.from(`x1,2,${h}\n`))).toThrow(/position/);
    expect(() => new CsvCopyPageReader().read(Buffer.from(`1,2,${h.slice(1)}\n`))).toThrow(/hash/);
    expect(() => new CsvCopyPageReader().read(Buffer.from(`1,2,${'g'.repeat(64)}\n`))).toThrow(/hash/);
    // An LF inside a quoted field (which the COPY never writes) cuts a record short: refused, not passed on.
    expect(() => new CsvCopyPageReader().read(Buffer.from(`1,"a\nb",${h}\n`))).toThrow(/hash/);
  });

  it('refuses a stream that ends inside a record', () => {
    const reader = new CsvCopyPageReader();
    expect(reader.read(Buffer.from(`1,2,${'a'.repeat(64)}\n2,3`))?.count).toBe(1);
    expect(() => reader.end()).toThrow(/ended inside a record/);
  });
});

/** CRLF-terminated records of a run of bytes. */
function splitRecords(bytes: Buffer): string[] {
  const text = bytes.toString('utf8');
  return text === '' ? [] : text.split(/(?<=\r\n)/);
}
