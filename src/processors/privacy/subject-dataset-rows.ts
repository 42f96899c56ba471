import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import { openTabularReader } from '../../platform/tabular/tabular-reader.js';
import type { TabularValue } from '../../platform/tabular/tabular-reader.types.js';
import { revealCells } from '../dataset-files.js';
import type { DatasetFormat } from '../dataset-files.js';

/** A stored dataset version whose personal columns are sealed per data subject. */
export type PersonalDatasetFile = { datasetId: string; version: number; sha256: string; format: DatasetFormat; subjectColumn: string; columns: string[] };

/** The rows of one dataset version that belong to a subject, personal cells opened. */
export type SubjectDatasetRows = { datasetId: string; version: number; sha256: string; columns: string[]; rows: TabularValue[][] };

/** Every dataset version recorded with personal columns whose file is still stored (a deleted dataset's files are gone). */
export async function personalDatasetFiles(store: EventStore, blobs: BlobStorage, to: number): Promise<PersonalDatasetFile[]> {
  const found: PersonalDatasetFile[] = [];
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, to, limit: 1000, filter: { types: ['dataset.version-uploaded'] } });
    if (page.length === 0) break;
    after = page[page.length - 1]!.position;
    for (const e of page) {
      const d = e.data as { datasetId: string; version: number; blob: { sha256: string }; format: DatasetFormat; columns: { name: string }[]; personal?: { subjectColumn: string } | null };
      if (!d.personal) continue;
      if (!(await blobs.exists(d.blob.sha256))) continue;
      found.push({ datasetId: d.datasetId, version: d.version, sha256: d.blob.sha256, format: d.format, subjectColumn: d.personal.subjectColumn, columns: d.columns.map((c) => c.name) });
    }
  }
  return found;
}

/** Reads one personal dataset file and keeps the rows whose subject column is `subjectId`. */
export async function subjectRowsOf(blobs: BlobStorage, file: PersonalDatasetFile, subjectId: string): Promise<TabularValue[][]> {
  const reader = await openTabularReader(await blobs.localPath(file.sha256), { format: file.format, batchRows: 1000 });
  const rows: TabularValue[][] = [];
  try {
    for await (const batch of reader.batches()) {
      const at = reader.columns.indexOf(file.subjectColumn);
      if (at < 0) break;
      for (const row of batch.rows) if (row[at] !== null && row[at] !== undefined && String(row[at]) === subjectId) rows.push(row);
    }
  } finally {
    await reader.close();
  }
  return rows;
}

/** The subject's rows in every personal dataset, opened with their key (their own data). */
export async function datasetRowsOfSubject(deps: { store: EventStore; blobs: BlobStorage; vault: PersonalDataVault }, subjectId: string, to: number): Promise<SubjectDatasetRows[]> {
  const out: SubjectDatasetRows[] = [];
  for (const file of await personalDatasetFiles(deps.store, deps.blobs, to)) {
    const rows = await subjectRowsOf(deps.blobs, file, subjectId);
    if (rows.length === 0) continue;
    out.push({ datasetId: file.datasetId, version: file.version, sha256: file.sha256, columns: file.columns, rows: await revealCells(deps.vault, rows) });
  }
  return out;
}
