import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { openTabularReader, type TabularReadOptions } from '../src/platform/tabular/tabular-reader.js';

/**
 * Streaming tabular readers on one synthetic dataset of 1,000,000 rows x 10 columns (4 integers,
 * 3 decimals, 2 strings, 1 boolean), stored as CSV and as Parquet (hyparquet-writer, snappy,
 * row groups of 100,000). Files are generated before the clock starts. Each format is read twice:
 * once timed (rows/s, MB/s of file), once with live memory sampled after a forced GC every ~100 ms
 * (peak growth over the baseline before opening, heapUsed + arrayBuffers).
 */
const ROWS = 1_000_000;
const BLOCK = 100_000;
const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveMemory = () => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

const CITIES = ['Lisboa', 'Zürich', 'Paris', 'New York', 'São Paulo', 'Osaka'];

function block(start: number, rows: number): ColumnSource[] {
  const hashes = Array.from({ length: rows }, (_, i) => ((start + i) * 2654435761) >>> 0);
  return [
    { name: 'id', data: hashes.map((_, i) => start + i), type: 'INT32' },
    { name: 'age', data: hashes.map((h) => 18 + (h % 60)), type: 'INT32' },
    { name: 'income', data: hashes.map((h) => (h % 250_000) / 4), type: 'DOUBLE' },
    { name: 'score', data: hashes.map((h) => (h % 1000) / 1000), type: 'DOUBLE' },
    { name: 'city', data: hashes.map((h) => CITIES[h % 6]!), type: 'STRING' },
    { name: 'segment', data: hashes.map((h) => `seg-${h % 17}`), type: 'STRING' },
    { name: 'visits', data: hashes.map((h) => h % 400), type: 'INT32' },
    { name: 'ratio', data: hashes.map((h) => (h % 7919) / 7919), type: 'DOUBLE' },
    { name: 'code', data: hashes.map((h) => h % 100_003), type: 'INT32' },
    { name: 'flag', data: hashes.map((h) => h % 2 === 0), type: 'BOOLEAN' },
  ];
}

async function writeFiles(dir: string): Promise<{ csv: string; parquet: string }> {
  const csv = join(dir, 'data.csv');
  const parquet = join(dir, 'data.parquet');
  const csvOut = createWriteStream(csv);
  let parquetOut: ParquetWriter | undefined;
  for (let start = 0; start < ROWS; start += BLOCK) {
    const columns = block(start, BLOCK);
    if (start === 0) csvOut.write(`${columns.map((c) => c.name).join(',')}\n`);
    let text = '';
    for (let r = 0; r < BLOCK; r++) text += `${columns.map((c) => String(c.data[r])).join(',')}\n`;
    if (!csvOut.write(text)) await once(csvOut, 'drain');
    parquetOut ??= new ParquetWriter({ writer: fileWriter(parquet), schema: schemaFromColumnData({ columnData: columns }) });
    await parquetOut.write({ columnData: columns, rowGroupSize: BLOCK });
  }
  csvOut.end();
  await once(csvOut, 'finish');
  await parquetOut!.finish();
  return { csv, parquet };
}

async function measure(path: string, options: TabularReadOptions) {
  const bytes = statSync(path).size;
  let started = performance.now();
  let rows = 0;
  for await (const batch of (await openTabularReader(path, options)).batches()) rows += batch.rows.length;
  const seconds = (performance.now() - started) / 1000;
  if (rows !== ROWS) throw new Error(`read ${rows} rows, expected ${ROWS}`);

  const baseline = liveMemory();
  let peak = 0;
  started = performance.now();
  for await (const _batch of (await openTabularReader(path, options)).batches()) {
    if (performance.now() - started >= 100) {
      peak = Math.max(peak, liveMemory() - baseline);
      started = performance.now();
    }
  }
  return {
    fileMB: Math.round((bytes / MiB) * 10) / 10,
    seconds: Math.round(seconds * 100) / 100,
    rowsPerSecond: Math.round(rows / seconds),
    mbPerSecond: Math.round((bytes / MiB / seconds) * 10) / 10,
    peakLiveMB: Math.round((peak / MiB) * 10) / 10,
  };
}

export const primaryColumn = 'csv';

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'raia-tabular-bench-'));
  try {
    const files = await writeFiles(dir);
    // Warm-up so the JIT has compiled the parsers before timing.
    for await (const _batch of (await openTabularReader(files.csv, { format: 'csv' })).batches()) break;
    const csv = await measure(files.csv, { format: 'csv' });
    const parquet = await measure(files.parquet, { format: 'parquet' });
    return { rows: ROWS, columns: 10, ...csv, parquet };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
