import type { FastifyRequest } from 'fastify';
import { handleCommand, type CommandResult } from '../../commands/command-handler.js';
import type { StreamPrecondition } from '../../commands/stream-precondition.js';
import { datasetDecider, datasetStreamId, type DatasetCommand, type DatasetState } from '../../commands/dataset/dataset.decider.js';
import { datasetCatalog, datasetInRows, findDataset, findDatasetVersion, listDatasetVersions, type DatasetSummary, type DatasetVersionRecord } from '../../projections/dataset-catalog.projection.js';
import type { LedgerPoint } from '../../projections/as-of/ledger-point.js';
import type { Knex } from '../../platform/database.js';
import { readModelRowsAt } from '../as-of-query.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { notFound } from '../problem-details.js';
import { readFresh, readModelCaughtUp } from '../fresh-read.js';
import { readVersionedCached, type VersionedRead } from '../versioned-read.js';

/** Runs a dataset command as the caller, under an If-Match precondition when given. */
export const runDatasetCommand = (runtime: Runtime, request: FastifyRequest, datasetId: string, command: DatasetCommand, precondition?: StreamPrecondition): Promise<CommandResult<DatasetState>> =>
  handleCommand(runtime, datasetDecider, datasetStreamId(datasetId), command, { actor: actorOf(principalOf(request)), correlationId: request.id, ...(precondition ? { precondition } : {}) });

/** A dataset and its versions as one read, with the stream version they show (its ETag). */
export const versionedDataset = (runtime: Runtime, datasetId: string): Promise<VersionedRead<{ dataset: DatasetSummary; versions: DatasetVersionRecord[] }>> =>
  readVersionedCached(runtime, datasetStreamId(datasetId), 'dataset_catalog', 'datasets.get', datasetId, async () => {
    const dataset = await findDataset(runtime.db.knex, datasetId);
    return dataset && { dataset, versions: await listDatasetVersions(runtime.db.knex, datasetId) };
  });

export async function existingDataset(runtime: Runtime, datasetId: string): Promise<DatasetSummary> {
  const dataset = await readFresh(runtime, datasetStreamId(datasetId), 'dataset_catalog', () => findDataset(runtime.db.knex, datasetId));
  if (!dataset) throw notFound(`dataset ${datasetId}`);
  return dataset;
}

/** A version of a dataset: the one named, else the latest. */
export async function datasetVersion(runtime: Runtime, datasetId: string, version: number | undefined): Promise<DatasetVersionRecord> {
  const read = () => datasetVersionIn(runtime.db.knex, datasetId, version);
  // A version just uploaded may not be in the read model yet: wait for it when it is missing.
  await existingDataset(runtime, datasetId);
  let record = await read();
  if (!record && (await readModelCaughtUp(runtime, 'dataset_catalog'))) record = await read();
  if (!record) throw notFound(version === undefined ? `a version of dataset ${datasetId}` : `version ${version} of dataset ${datasetId}`);
  return record;
}

/** The version named, else the latest, as `db` holds them; null when the dataset or the version is missing. */
async function datasetVersionIn(db: Knex, datasetId: string, version: number | undefined): Promise<DatasetVersionRecord | null> {
  const dataset = await findDataset(db, datasetId);
  const wanted = version ?? dataset?.latestVersion ?? null;
  return dataset && wanted !== null ? findDatasetVersion(db, datasetId, wanted) : null;
}

/** A dataset and its versions as the catalogue stood at `point` (docs/ledger.md, "State as of any date"). */
export const datasetAt = async (runtime: Runtime, point: LedgerPoint, datasetId: string) =>
  datasetInRows(await readModelRowsAt(runtime, datasetCatalog, { streamId: datasetStreamId(datasetId) }, point), datasetId);

/** As datasetVersion, as the catalogue stood at `point`. */
export async function datasetVersionAt(runtime: Runtime, point: LedgerPoint, datasetId: string, version: number | undefined): Promise<DatasetVersionRecord> {
  const { dataset, versions } = await datasetAt(runtime, point, datasetId);
  const then = `as of position ${point.position}`;
  if (!dataset) throw notFound(`dataset ${datasetId} ${then}`);
  const wanted = version ?? dataset.latestVersion;
  const record = versions.find((v) => v.version === wanted);
  if (!record) throw notFound(`${version === undefined ? 'a version' : `version ${version}`} of dataset ${datasetId} ${then}`);
  return record;
}
