import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TabularReader, TabularValue } from '../../../src/platform/tabular/tabular-reader.js';

/** A temporary directory for one test file; `remove()` in afterAll. */
export function temporaryDirectory(prefix: string): { path: (name: string) => string; write: (name: string, content: string | Buffer) => string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), `raia-${prefix}-`));
  return {
    path: (name) => join(root, name),
    write: (name, content) => {
      const file = join(root, name);
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export async function readAllRows(reader: TabularReader): Promise<TabularValue[][]> {
  const rows: TabularValue[][] = [];
  let expectedOffset = 0;
  for await (const batch of reader.batches()) {
    if (batch.rowOffset !== expectedOffset) throw new Error(`batch at ${batch.rowOffset}, expected ${expectedOffset}`);
    expectedOffset += batch.rows.length;
    rows.push(...batch.rows);
  }
  return rows;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live (post-GC) heap plus ArrayBuffer memory, in bytes. */
export function liveMemory(): number {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
