import { readDatasetRecords } from '../../processors/dataset-files.js';
import type { Runtime } from '../../runtime.js';
import { datasetVersion } from './dataset-commands.js';
import { invalidFields } from '../problem-details.js';

/** A registered dataset's rows as the fairness routes read them, and what pins their content. */
export type FairnessDatasetRows = { rows: Record<string, string | number | boolean | null>[]; contentHash: string };

/**
 * Dataset input of the fairness routes (`datasetId`, latest version): its rows typed by the
 * inferred schema, at most `maxRows` (a larger dataset is refused rather than silently cut), and
 * its content hash. `labelColumn`, `predictionColumn`, `scoreColumn` and the protected columns
 * are then read from the rows like inline ones.
 */
export async function loadFairnessDataset(runtime: Runtime, datasetId: string, maxRows: number): Promise<FairnessDatasetRows> {
  const version = await datasetVersion(runtime, datasetId, undefined);
  if (version.rowCount > maxRows) throw invalidFields([{ field: 'body.datasetId', message: `the dataset has ${version.rowCount} rows; at most ${maxRows} can be assessed in one request` }]);
  const rows = await readDatasetRecords(runtime.blobs, version.sha256, version.format, version.columns, maxRows, runtime.vault);
  return { rows, contentHash: version.sha256 };
}
