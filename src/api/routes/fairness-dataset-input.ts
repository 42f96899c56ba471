import type { Runtime } from '../../runtime.js';
import { HttpProblem } from '../problem-details.js';

/** A registered dataset's rows as the fairness routes read them, and what pins their content. */
export type FairnessDatasetRows = { rows: Record<string, string | number | boolean | null>[]; contentHash: string };

/**
 * The seam for dataset input (`datasetId` in fairness requests). The fairness routes turn the
 * rows into the same inputs as inline rows: `labelColumn` gives labels (or yTrue), and
 * `predictionColumn` / `scoreColumn` the logged decisions and scores of a prediction log, and
 * `protectedAttributes` names protected columns. To fill in when datasets exist: load the
 * dataset's rows (at most `maxRows`) and its content hash; throw 404 for an unknown id.
 */
export async function loadFairnessDataset(_runtime: Runtime, datasetId: string, _maxRows: number): Promise<FairnessDatasetRows> {
  throw new HttpProblem(422, 'datasets-unavailable', 'Datasets are not available yet', `dataset ${datasetId} cannot be read: datasets are not available yet; send the rows inline`, {
    code: 'DATASETS_UNAVAILABLE',
    errors: [{ field: 'body.datasetId', message: 'datasets are not available yet; send the rows inline' }],
  });
}
