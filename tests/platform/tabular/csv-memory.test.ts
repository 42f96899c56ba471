import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { openTabularReader } from '../../../src/platform/tabular/tabular-reader.js';
import { liveMemory, temporaryDirectory } from './tabular-test-files.js';

const files = temporaryDirectory('csv-memory');
afterAll(() => files.remove());

const MiB = 1024 * 1024;
const ROWS = 3_000_000;

/** ~100 bytes a row (~300 MB for 3M rows) of mixed integers, decimals, words and a quoted field, written with backpressure. */
async function writeLargeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,age,income,score,city,segment,visits,ratio,note,flag\n');
  const cities = ['Lisboa', 'Zürich', 'Paris', 'New York', 'São Paulo', 'Osaka'];
  for (let start = 0; start < rows; start += 20_000) {
    let block = '';
    for (let i = start; i < Math.min(rows, start + 20_000); i++) {
      const h = (i * 2654435761) >>> 0;
      block += `${i},${18 + (h % 60)},${(h % 250_000) / 3},${(h % 1000) / 1000},${cities[h % 6]},seg-${h % 17},${h % 400},${(h % 7919) / 7919},"note ${h % 97}, all is well",${h % 2 === 0}\n`;
    }
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

describe('CSV reader memory', () => {
  it('reads a ~300 MB CSV with flat live memory', { timeout: 180_000 }, async () => {
    const path = files.path('large.csv');
    await writeLargeCsv(path, ROWS);
    expect(statSync(path).size).toBeGreaterThan(250 * MiB);

    const baseline = liveMemory();
    const samples: { rows: number; growth: number }[] = [];
    let rows = 0;
    let lastSample = Date.now();
    const reader = await openTabularReader(path, { format: 'csv' });
    expect(reader.columns).toHaveLength(10);
    for await (const batch of reader.batches()) {
      rows += batch.rows.length;
      if (Date.now() - lastSample >= 100) {
        samples.push({ rows, growth: liveMemory() - baseline });
        lastSample = Date.now();
      }
    }
    expect(rows).toBe(ROWS);
    expect(samples.length).toBeGreaterThanOrEqual(4);

    const peak = Math.max(...samples.map((s) => s.growth));
    expect(peak).toBeLessThan(64 * MiB);
    const firstHalf = samples.filter((s) => s.rows <= ROWS / 2).map((s) => s.growth);
    const secondHalf = samples.filter((s) => s.rows > ROWS / 2).map((s) => s.growth);
    // Flat, not merely small: the second half may not hold more than the first plus a little noise.
    expect(Math.max(...secondHalf)).toBeLessThan(Math.max(...firstHalf) + 8 * MiB);
  });
});
