import { parentPort, workerData } from 'node:worker_threads';
import type { BlobStorage } from '../platform/blob-storage.js';
import { readColumnsForDrift, type DatasetFormat } from './dataset-files.js';

/** Reads one dataset file's drift columns off the main thread; numeric samples come back as transferred Float64Arrays. */
export type DriftColumnsTask = { path: string; format: DatasetFormat; wanted: { name: string; kind: 'numeric' | 'categorical' }[] };

const task = (workerData as { task: DriftColumnsTask }).task;
// The file is already local (the caller resolved its path): the reader only asks for that path.
const localFile = { localPath: () => Promise.resolve(task.path) } as unknown as BlobStorage;
const samples = await readColumnsForDrift(localFile, '', task.format, task.wanted);
const transfer: ArrayBuffer[] = [];
const out = new Map<string, { kind: 'numeric'; values: Float64Array } | { kind: 'categorical'; counts: Map<string, number> }>();
for (const [name, sample] of samples) {
  if (sample.kind === 'numeric') {
    const values = Float64Array.from(sample.values);
    transfer.push(values.buffer);
    out.set(name, { kind: 'numeric', values });
  } else out.set(name, sample);
}
parentPort!.postMessage(out, transfer);
