import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { FileBlobStorage } from '../../src/platform/blob-storage.js';
import { profileDatasetFile } from '../../src/processors/dataset-files.js';

/**
 * Profiling a ~300 MB CSV keeps live memory flat: the stored file is read in batches and the
 * profiler keeps sketches, not rows. Live memory is heapUsed + arrayBuffers after a forced GC,
 * sampled every ~500 ms during the pass.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveMemory = () => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

const MiB = 1024 * 1024;
const ROWS = 4_000_000; // a multiple of 100, so `bucket` (i % 100) has mean 49.5 exactly
const BLOCK = 20_000;
const PADDING = 'x'.repeat(52);

/** id, bucket = i % 100, value = (i % 1000) / 8 (exact in binary), label = one of 13 long strings. */
async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,bucket,value,label\n');
  for (let start = 0; start < ROWS; start += BLOCK) {
    let text = '';
    for (let i = start; i < start + BLOCK; i++) text += `${i},${i % 100},${(i % 1000) / 8},label-${i % 13}-${PADDING}\n`;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

describe('profiling a large stored dataset file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raia-profile-memory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps live memory flat over a ~300 MB CSV and gets the statistics right', { timeout: 240_000 }, async () => {
    const csv = join(dir, 'large.csv');
    await writeCsv(csv);
    const bytes = statSync(csv).size;
    expect(bytes).toBeGreaterThan(300_000_000);
    const blobs = new FileBlobStorage(join(dir, 'blobs'));
    const { sha256, size } = await blobs.put(createReadStream(csv), { maxBytes: 1024 * MiB });
    expect(size).toBe(bytes);
    rmSync(csv);

    const baseline = liveMemory();
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(liveMemory() - baseline), 500);
    let result: Awaited<ReturnType<typeof profileDatasetFile>>;
    try {
      result = await profileDatasetFile(blobs, sha256, 'csv');
    } finally {
      clearInterval(sampler);
    }

    expect(samples.length).toBeGreaterThanOrEqual(4);
    const half = Math.floor(samples.length / 2);
    const firstPeak = Math.max(...samples.slice(0, half));
    const secondPeak = Math.max(...samples.slice(half));
    const peak = Math.max(firstPeak, secondPeak);
    expect(peak, `peak live-memory growth ${(peak / MiB).toFixed(1)} MiB`).toBeLessThan(96 * MiB);
    expect(secondPeak, `second-half peak ${(secondPeak / MiB).toFixed(1)} MiB vs first-half ${(firstPeak / MiB).toFixed(1)} MiB`).toBeLessThanOrEqual(firstPeak + 16 * MiB);

    expect(result.rowCount).toBe(ROWS);
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'bucket', 'value', 'label']);
    const bucket = result.profile.columns[1]!;
    expect(bucket.missing).toBe(0);
    expect(bucket.numeric).toBeDefined();
    expect(bucket.numeric!.count).toBe(ROWS);
    expect(bucket.numeric!.min).toBe(0);
    expect(bucket.numeric!.max).toBe(99);
    expect(bucket.numeric!.sum).toBe(49.5 * ROWS);
    expect(bucket.numeric!.mean).toBeCloseTo(49.5, 9);
    const value = result.profile.columns[2]!.numeric!;
    expect([value.min, value.max]).toEqual([0, 999 / 8]);
  });
});
