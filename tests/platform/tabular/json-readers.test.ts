import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openTabularReader, TabularFormatError, type TabularReadOptions } from '../../../src/platform/tabular/tabular-reader.js';
import { readAllRows, temporaryDirectory } from './tabular-test-files.js';

const files = temporaryDirectory('json');
afterAll(() => files.remove());

async function read(content: string, options: TabularReadOptions) {
  const reader = await openTabularReader(files.write(`data.${options.format}`, content), options);
  return { columns: reader.columns, rows: await readAllRows(reader) };
}

async function readFails(content: string, options: TabularReadOptions): Promise<TabularFormatError> {
  const error = await read(content, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TabularFormatError);
  return error as TabularFormatError;
}

describe('JSON array reader', () => {
  it('reads objects into rows, keeping JSON types and turning nested values into JSON text', async () => {
    const content = `[
      {"id": 1, "name": "ann", "ok": true, "tags": ["a", "b"]},
      {"id": 2, "name": "b\\"]}{", "ok": false, "meta": {"k": [1, {"z": null}]}},
      {"name": null}
    ]`;
    expect(await read(content, { format: 'json' })).toEqual({
      columns: ['id', 'name', 'ok', 'tags', 'meta'],
      rows: [
        [1, 'ann', true, '["a","b"]', null],
        [2, 'b"]}{', false, null, '{"k":[1,{"z":null}]}'],
        [null, null, null, null, null],
      ],
    });
  });

  it('reads a minified array split across one-byte chunks', async () => {
    const bytes = Buffer.from('\ufeff[{"a":"é","b":[1]},{"a":"\\\\","b":2}]');
    const reader = await openTabularReader(Readable.from([...bytes].map((b) => Buffer.from([b]))), { format: 'json' });
    expect(reader.columns).toEqual(['a', 'b']);
    expect(await readAllRows(reader)).toEqual([
      ['é', '[1]'],
      ['\\', 2],
    ]);
  });

  it('takes columns from the first 1000 objects and refuses a key first seen later, naming row and key', async () => {
    const objects = Array.from({ length: 1000 }, (_, i) => (i === 999 ? `{"a":${i},"late":1}` : `{"a":${i}}`));
    const ok = await read(`[${objects.join(',')}]`, { format: 'json' });
    expect(ok.columns).toEqual(['a', 'late']);
    expect(ok.rows[999]).toEqual([999, 1]);
    const error = await readFails(`[${[...objects, '{"a":1000,"later":true}'].join(',')}]`, { format: 'json' });
    expect(error.code).toBe('UNEXPECTED_KEY');
    expect(error.row).toBe(1001);
    expect(error.message).toContain('"later"');
  });

  it('refuses an empty file and an empty array as EMPTY', async () => {
    expect((await readFails('', { format: 'json' })).code).toBe('EMPTY');
    expect((await readFails(' [ ] ', { format: 'json' })).code).toBe('EMPTY');
  });

  it('refuses a non-object element, an unclosed array and trailing data as INVALID_JSON', async () => {
    expect((await readFails('[{"a":1}, 2]', { format: 'json' })).row).toBe(2);
    expect((await readFails('[{"a":1}, {"a":', { format: 'json' })).code).toBe('INVALID_JSON');
    expect((await readFails('[{"a":1}] x', { format: 'json' })).code).toBe('INVALID_JSON');
    expect((await readFails('{"a":1}', { format: 'json' })).code).toBe('INVALID_JSON');
    const broken = await readFails('[\n{"a":1},\n{"a":tru}\n]', { format: 'json' });
    expect([broken.code, broken.row, broken.line]).toEqual(['INVALID_JSON', 2, 3]);
  });

  it('refuses an element longer than maxLineBytes', async () => {
    const error = await readFails(`[{"a":"${'x'.repeat(2000)}"}]`, { format: 'json', maxLineBytes: 1000 });
    expect([error.code, error.row]).toEqual(['LINE_TOO_LONG', 1]);
  });
});

describe('NDJSON reader', () => {
  it('reads one object per line, skipping blank lines and accepting CRLF', async () => {
    expect(await read('{"a":1,"b":"x"}\r\n\n  \n{"b":"y","c":[1,2]}\n{"a":3}', { format: 'ndjson' })).toEqual({
      columns: ['a', 'b', 'c'],
      rows: [
        [1, 'x', null],
        [null, 'y', '[1,2]'],
        [3, null, null],
      ],
    });
  });

  it('reports invalid JSON in the middle of the file with its line number', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `{"i":${i}}`);
    lines[1499] = '{"i": 1499,';
    const error = await readFails(lines.join('\n'), { format: 'ndjson' });
    expect([error.code, error.line, error.row]).toEqual(['INVALID_JSON', 1500, 1500]);
  });

  it('refuses a line that is not an object', async () => {
    const error = await readFails('{"a":1}\n\n[1,2]\n', { format: 'ndjson' });
    expect([error.code, error.line, error.row]).toEqual(['INVALID_JSON', 3, 2]);
  });

  it('refuses a line longer than maxLineBytes with its line number', async () => {
    const error = await readFails(`{"a":1}\n{"a":"${'x'.repeat(5000)}"}\n`, { format: 'ndjson', maxLineBytes: 1024 });
    expect([error.code, error.line]).toEqual(['LINE_TOO_LONG', 2]);
  });

  it('refuses a file of blank lines as EMPTY', async () => {
    expect((await readFails('\n\n', { format: 'ndjson' })).code).toBe('EMPTY');
  });
});
