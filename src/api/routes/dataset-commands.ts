import type { FastifyRequest } from 'fastify';
import { handleCommand, type CommandResult } from '../../commands/command-handler.js';
import { datasetDecider, datasetStreamId, type DatasetCommand, type DatasetState } from '../../commands/dataset/dataset.decider.js';
import { findDataset, findDatasetVersion, type DatasetSummary, type DatasetVersionRecord } from '../../projections/dataset-catalog.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { notFound } from '../problem-details.js';

export const runDatasetCommand = (runtime: Runtime, request: FastifyRequest, datasetId: string, command: DatasetCommand): Promise<CommandResult<DatasetState>> =>
  handleCommand(runtime, datasetDecider, datasetStreamId(datasetId), command, { actor: actorOf(principalOf(request)), correlationId: request.id });

/** From the catalogue read model, waiting (bounded) when the ledger already has a write it lacks. */
async function fresh<T>(runtime: Runtime, datasetId: string, read: () => Promise<T | null>): Promise<T | null> {
  const found = await read();
  if (found) return found;
  const [first] = await runtime.store.readStream(datasetStreamId(datasetId), { limit: 1 });
  if (!first) return null;
  return (await runtime.projections.waitFor((await runtime.store.head()).position, runtime.config.RAIA_MIN_POSITION_WAIT_MS, ['dataset_catalog'])) ? read() : null;
}

export async function existingDataset(runtime: Runtime, datasetId: string): Promise<DatasetSummary> {
  const dataset = await fresh(runtime, datasetId, () => findDataset(runtime.db.knex, datasetId));
  if (!dataset) throw notFound(`dataset ${datasetId}`);
  return dataset;
}

/** A version of a dataset: the one named, else the latest. */
export async function datasetVersion(runtime: Runtime, datasetId: string, version: number | undefined): Promise<DatasetVersionRecord> {
  const read = async () => {
    const dataset = await findDataset(runtime.db.knex, datasetId);
    const wanted = version ?? dataset?.latestVersion ?? null;
    return dataset && wanted !== null ? findDatasetVersion(runtime.db.knex, datasetId, wanted) : null;
  };
  // A version just uploaded may not be in the read model yet: `fresh` waits for it.
  await existingDataset(runtime, datasetId);
  let record = await read();
  if (!record && (await caughtUp(runtime))) record = await read();
  if (!record) throw notFound(version === undefined ? `a version of dataset ${datasetId}` : `version ${version} of dataset ${datasetId}`);
  return record;
}

/** Waits (bounded) until the catalogue has every event the ledger holds now. */
async function caughtUp(runtime: Runtime): Promise<boolean> {
  return runtime.projections.waitFor((await runtime.store.head()).position, runtime.config.RAIA_MIN_POSITION_WAIT_MS, ['dataset_catalog']);
}
