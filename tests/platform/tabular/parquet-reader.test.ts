import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileWriter, parquetWriteFile, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { openTabularReader, TabularFormatError } from '../../../src/platform/tabular/tabular-reader.js';
import { liveMemory, temporaryDirectory } from './tabular-test-files.js';

const files = temporaryDirectory('parquet');
afterAll(() => files.remove());

async function openFails(path: string): Promise<TabularFormatError> {
  const error = await openTabularReader(path, { format: 'parquet' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TabularFormatError);
  return error as TabularFormatError;
}

const ROWS = 2_500;
const ids = Array.from({ length: ROWS }, (_, i) => i);
const sampleColumns: ColumnSource[] = [
  { name: 'id', data: ids, type: 'INT32' },
  { name: 'big', data: ids.map((i) => (i === 7 ? 2n ** 60n : BigInt(i) * 1000n)), type: 'INT64' },
  { name: 'score', data: ids.map((i) => i / 4), type: 'DOUBLE' },
  { name: 'label', data: ids.map((i) => (i % 5 === 0 ? null : `row ${i}`)), type: 'STRING' },
  { name: 'flag', data: ids.map((i) => i % 2 === 0), type: 'BOOLEAN' },
  { name: 'at', data: ids.map((i) => new Date(Date.UTC(2024, 0, 1) + i * 60_000)), type: 'TIMESTAMP' },
];

function sampleFile(): string {
  const path = files.path('sample.parquet');
  parquetWriteFile({ filename: path, columnData: sampleColumns, rowGroupSize: 1_000 });
  return path;
}

describe('Parquet reader', () => {
  it('reads every row group back exactly, converting types to table values', async () => {
    const reader = await openTabularReader(sampleFile(), { format: 'parquet', batchRows: 400 });
    expect(reader.columns).toEqual(['id', 'big', 'score', 'label', 'flag', 'at']);
    const offsets: number[] = [];
    const rows = [];
    for await (const batch of reader.batches()) {
      offsets.push(batch.rowOffset);
      rows.push(...batch.rows);
    }
    // row groups of 1000, 1000, 500 split into batches of at most 400
    expect(offsets).toEqual([0, 400, 800, 1000, 1400, 1800, 2000, 2400]);
    expect(rows).toHaveLength(ROWS);
    const expected = ids.map((i) => [
      i,
      i === 7 ? '1152921504606846976' : i * 1000,
      i / 4,
      i % 5 === 0 ? null : `row ${i}`,
      i % 2 === 0,
      new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    ]);
    expect(rows).toEqual(expected);
  });

  it('refuses a file cut in half as TRUNCATED_PARQUET', async () => {
    const whole = readFileSync(sampleFile());
    const cut = files.write('cut.parquet', whole.subarray(0, Math.floor(whole.length / 2)));
    expect((await openFails(cut)).code).toBe('TRUNCATED_PARQUET');
  });

  it('refuses a text file named .parquet as NOT_PARQUET and an empty one as EMPTY', async () => {
    expect((await openFails(files.write('text.parquet', 'a,b\n1,2\n'))).code).toBe('NOT_PARQUET');
    expect((await openFails(files.write('empty.parquet', ''))).code).toBe('EMPTY');
  });

  it('refuses a Parquet footer that is garbage as INVALID_PARQUET', async () => {
    const garbage = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from([20, 0, 0, 0]), Buffer.from('PAR1')]);
    expect((await openFails(files.write('garbage.parquet', garbage))).code).toBe('INVALID_PARQUET');
  });

  it('refuses a Readable source, which cannot be read by byte range', async () => {
    await expect(openTabularReader(Readable.from([Buffer.from('PAR1')]), { format: 'parquet' })).rejects.toMatchObject({ code: 'UNSUPPORTED_SOURCE' });
  });

  it('keeps live memory near one row group while reading a file many times larger', async () => {
    const path = files.path('large.parquet');
    const groupRows = 20_000;
    const groups = 40;
    const chunk = (g: number): ColumnSource[] => {
      const base = g * groupRows;
      const n = Array.from({ length: groupRows }, (_, i) => base + i);
      return [
        { name: 'id', data: n, type: 'INT32' },
        { name: 'x', data: n.map((i) => Math.sin(i)), type: 'DOUBLE' },
        { name: 'text', data: n.map((i) => `item-${i}-${(i * 2654435761) % 1000003}`), type: 'STRING' },
      ];
    };
    const writer = new ParquetWriter({ writer: fileWriter(path), schema: schemaFromColumnData({ columnData: chunk(0) }) });
    for (let g = 0; g < groups; g++) await writer.write({ columnData: chunk(g), rowGroupSize: groupRows });
    await writer.finish();
    const fileBytes = statSync(path).size;

    const baseline = liveMemory();
    let peak = 0;
    let count = 0;
    const reader = await openTabularReader(path, { format: 'parquet' });
    for await (const batch of reader.batches()) {
      count += batch.rows.length;
      if (batch.rowOffset % groupRows === 0) peak = Math.max(peak, liveMemory() - baseline);
    }
    expect(count).toBe(groupRows * groups);
    // 40 row groups of ~0.45 MB compressed: buffering the file (or its decoded rows) would exceed half its size.
    expect(fileBytes).toBeGreaterThan(15 * 1024 * 1024);
    expect(peak).toBeLessThan(fileBytes / 2);
  });
});
