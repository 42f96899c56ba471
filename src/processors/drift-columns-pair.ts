import { Worker } from 'node:worker_threads';
import type { BlobStorage } from '../platform/blob-storage.js';
import { readColumnsForDrift, type DatasetFormat } from './dataset-files.js';
import type { DriftColumnsTask } from './drift-columns-worker.js';

type Wanted = { name: string; kind: 'numeric' | 'categorical' }[];
type Samples = Map<string, { kind: 'numeric'; values: ArrayLike<number> } | { kind: 'categorical'; counts: Map<string, number> }>;

function readInWorker(task: DriftColumnsTask): Promise<Samples> {
  const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { workerData: { entry: new URL('./drift-columns-worker.js', import.meta.url).href, task } });
  return new Promise<Samples>((resolve, reject) => {
    worker.once('message', (samples: Samples) => resolve(samples));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`drift column reader exited with code ${code} before answering`)));
  }).finally(() => void worker.terminate());
}

/**
 * The drift columns of a reference and a current file, read at the same time: the reference in a
 * worker thread, the current on this thread. Reading (CSV parsing) is most of a drift check's
 * time, and the two files are independent.
 */
export async function readDriftColumnPair(
  blobs: BlobStorage,
  reference: { sha256: string; format: DatasetFormat },
  current: { sha256: string; format: DatasetFormat },
  wanted: Wanted,
): Promise<[Samples, Samples]> {
  const referencePath = await blobs.localPath(reference.sha256);
  return Promise.all([readInWorker({ path: referencePath, format: reference.format, wanted }), readColumnsForDrift(blobs, current.sha256, current.format, wanted)]);
}
