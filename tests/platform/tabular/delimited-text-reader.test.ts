import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openTabularReader, TabularFormatError, type TabularReadOptions } from '../../../src/platform/tabular/tabular-reader.js';
import { readAllRows, temporaryDirectory } from './tabular-test-files.js';

const files = temporaryDirectory('csv');
afterAll(() => files.remove());

async function read(content: string | Buffer, options: Partial<TabularReadOptions> = {}, name = 'data.csv') {
  const reader = await openTabularReader(files.write(name, content), { format: 'csv', ...options });
  return { columns: reader.columns, rows: await readAllRows(reader) };
}

async function formatError(promise: Promise<unknown>): Promise<TabularFormatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TabularFormatError);
  return error as TabularFormatError;
}

const readFails = (content: string | Buffer, options: Partial<TabularReadOptions> = {}) => formatError(read(content, options));

describe('CSV and TSV reader', () => {
  it('reads a header and rows as strings, empty fields as null', async () => {
    expect(await read('id,name,score\n1,ann,3.5\n2,,7\n')).toEqual({
      columns: ['id', 'name', 'score'],
      rows: [
        ['1', 'ann', '3.5'],
        ['2', null, '7'],
      ],
    });
  });

  it('keeps delimiters, doubled quotes and newlines inside quoted fields', async () => {
    const { rows } = await read('a,b\r\n"x, y","say ""hi"""\r\n"line1\nline2",z\r\n');
    expect(rows).toEqual([
      ['x, y', 'say "hi"'],
      ['line1\nline2', 'z'],
    ]);
  });

  it('reads TSV with tabs as delimiter and commas as plain text', async () => {
    const reader = await openTabularReader(files.write('data.tsv', 'a\tb\n1,5\t"q"\nx"y\t\n'), { format: 'tsv' });
    expect(reader.columns).toEqual(['a', 'b']);
    expect(await readAllRows(reader)).toEqual([
      ['1,5', 'q'],
      ['x"y', null],
    ]);
  });

  it('honours a custom delimiter', async () => {
    expect((await read('a;b\n1;2\n', { delimiter: ';' })).rows).toEqual([['1', '2']]);
  });

  it('names columns column_1.. when there is no header', async () => {
    expect(await read('1,2\n3,4\n', { hasHeader: false })).toEqual({
      columns: ['column_1', 'column_2'],
      rows: [
        ['1', '2'],
        ['3', '4'],
      ],
    });
  });

  it('gives a header-only file its columns and no rows', async () => {
    expect(await read('a,b,c\n')).toEqual({ columns: ['a', 'b', 'c'], rows: [] });
  });

  it('refuses an empty file as EMPTY', async () => {
    expect((await readFails('')).code).toBe('EMPTY');
    expect((await readFails('\ufeff')).code).toBe('EMPTY');
  });

  it('refuses duplicate header names as DUPLICATE_COLUMN', async () => {
    const error = await readFails('id,x,id\n1,2,3\n');
    expect(error.code).toBe('DUPLICATE_COLUMN');
    expect(error.message).toContain('"id"');
  });

  it('strips a UTF-8 byte-order mark and skips blank lines', async () => {
    expect(await read('\ufeffa,b\n1,2\n\n3,4\n\n')).toEqual({
      columns: ['a', 'b'],
      rows: [
        ['1', '2'],
        ['3', '4'],
      ],
    });
  });

  it('reports a ragged row with its 1-based data row number', async () => {
    const error = await readFails('a,b\n1,2\n3,4\n5\n');
    expect(error.code).toBe('RAGGED_ROW');
    expect(error.row).toBe(3);
    expect((await readFails('a,b\n1,2,3\n')).row).toBe(1);
  });

  it('pads short rows with nulls when asked, but still refuses extra fields', async () => {
    expect((await read('a,b,c\n1\n2,3,4\n', { ragged: 'pad' })).rows).toEqual([
      ['1', null, null],
      ['2', '3', '4'],
    ]);
    expect((await readFails('a,b\n1,2,3\n', { ragged: 'pad' })).code).toBe('RAGGED_ROW');
  });

  it('reports invalid UTF-8 with the offset of the bad byte', async () => {
    const content = Buffer.concat([Buffer.from('a,b\nok,caf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    const error = await readFails(content);
    expect(error.code).toBe('BAD_ENCODING');
    expect(error.byteOffset).toBe(10);
  });

  it('reads the same bytes as latin1 when told so', async () => {
    const content = Buffer.concat([Buffer.from('name\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect((await read(content, { encoding: 'latin1' })).rows).toEqual([['café']]);
  });

  it('refuses a quote left open at the end as MALFORMED_CSV with its line', async () => {
    const error = await readFails('a,b\n1,"open\n2,3\n');
    expect(error.code).toBe('MALFORMED_CSV');
    expect(error.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses a 10 MB line when maxLineBytes is 1 MiB, and reads it with the 16 MiB default', async () => {
    const content = `a,b\n${'x'.repeat(10 * 1024 * 1024)},y\n`;
    const error = await readFails(content, { maxLineBytes: 1024 * 1024 });
    expect(error.code).toBe('LINE_TOO_LONG');
    expect(error.line).toBe(2);
    const { rows } = await read(content);
    expect(rows).toHaveLength(1);
    expect((rows[0]![0] as string).length).toBe(10 * 1024 * 1024);
  });

  it('reads from a Readable whose chunks split multi-byte characters', async () => {
    const bytes = Buffer.from('word,n\nnaïve,1\n日本語,2\n');
    const chunks = [...bytes].map((b) => Buffer.from([b])); // one byte per chunk
    const reader = await openTabularReader(Readable.from(chunks), { format: 'csv' });
    expect(await readAllRows(reader)).toEqual([
      ['naïve', '1'],
      ['日本語', '2'],
    ]);
  });

  it('yields batches of batchRows rows with running offsets', async () => {
    const content = `n\n${Array.from({ length: 25 }, (_, i) => i).join('\n')}\n`;
    const reader = await openTabularReader(files.write('batches.csv', content), { format: 'csv', batchRows: 10 });
    const batches = [];
    for await (const batch of reader.batches()) batches.push({ rowOffset: batch.rowOffset, size: batch.rows.length, first: batch.rows[0]![0] });
    expect(batches).toEqual([
      { rowOffset: 0, size: 10, first: '0' },
      { rowOffset: 10, size: 10, first: '10' },
      { rowOffset: 20, size: 5, first: '20' },
    ]);
  });
});

/** Linux: how many of this process's file descriptors point at `path` (0 where /proc is absent). */
function openDescriptorsOf(path: string): number {
  if (!existsSync('/proc/self/fd')) return 0;
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

describe('stopping early', () => {
  it('releases the file when the consumer breaks out after the first batch, and after close()', async () => {
    const path = files.write('early.csv', `n\n${Array.from({ length: 50_000 }, (_, i) => i).join('\n')}\n`);
    const reader = await openTabularReader(path, { format: 'csv', batchRows: 100 });
    for await (const batch of reader.batches()) {
      expect(batch.rows[0]).toEqual(['0']);
      break;
    }
    const unused = await openTabularReader(path, { format: 'csv' });
    expect(unused.columns).toEqual(['n']);
    await unused.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openDescriptorsOf(path)).toBe(0);
  });
});
