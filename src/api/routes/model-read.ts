import { findModel, findModelVersion, listModelVersions, type ModelSummary, type ModelVersionRecord } from '../../projections/model-registry.projection.js';
import { currentStreamState } from '../../commands/current-stream-state.js';
import { modelDecider, modelStreamId, type ModelState } from '../../commands/model/model.decider.js';
import type { Runtime } from '../../runtime.js';
import { HttpProblem, notFound } from '../problem-details.js';
import { readFresh } from '../fresh-read.js';
import { readVersionedCached, type VersionedRead } from '../versioned-read.js';

const fresh = <T>(runtime: Runtime, modelId: string, read: () => Promise<T | null>) => readFresh(runtime, modelStreamId(modelId), 'model_registry', read);

export const freshModel = (runtime: Runtime, modelId: string): Promise<ModelSummary | null> => fresh(runtime, modelId, () => findModel(runtime.db.knex, modelId));

export const freshModelVersion = (runtime: Runtime, modelId: string, version: number): Promise<ModelVersionRecord | null> =>
  fresh(runtime, modelId, () => findModelVersion(runtime.db.knex, modelId, version));

/** A model and its versions as one read, with the stream version they show (its ETag). */
export const versionedModel = (runtime: Runtime, modelId: string): Promise<VersionedRead<{ model: ModelSummary; versions: ModelVersionRecord[] }>> =>
  readVersionedCached(runtime, modelStreamId(modelId), 'model_registry', 'models.get', modelId, async () => {
    const model = await findModel(runtime.db.knex, modelId);
    return model && { model, versions: await listModelVersions(runtime.db.knex, modelId) };
  });

/**
 * A model's lifecycle state from its stream as it is now: what may score must follow deployments
 * and retirements at once, not when the read model catches up.
 */
export async function modelStateFromLedger(runtime: Runtime, modelId: string): Promise<ModelState> {
  return (await currentStreamState(runtime, modelDecider, modelStreamId(modelId))).state;
}

/**
 * The version to score or explain with: the one named (unless retired), else the one deployed,
 * else the only version when the model has exactly one. Otherwise a 409 that lists the versions
 * and says how to name one.
 */
export async function resolveScoringVersion(runtime: Runtime, modelId: string, requested: number | undefined): Promise<ModelVersionRecord> {
  const state = await modelStateFromLedger(runtime, modelId);
  if (state.status !== 'active') throw notFound(`model ${modelId}`);
  const only = state.versions.length === 1 && state.versions[0]!.status !== 'retired' ? state.versions[0]!.version : undefined;
  const version = requested ?? state.versions.find((v) => v.status === 'deployed')?.version ?? only;
  if (version === undefined) {
    const versions = state.versions.map((v) => ({ version: v.version, status: v.status }));
    const detail =
      versions.length === 0
        ? `model ${modelId} has no versions yet: add one with POST /api/v1/models/${modelId}/versions`
        : `model ${modelId} has no deployed version; name one with \`version\` (in the body, or ?version= on a GET). Its versions: ${versions.map((v) => `${v.version} (${v.status})`).join(', ')}`;
    throw new HttpProblem(409, 'nothing-deployed', 'No deployed version', detail, { code: 'VERSION_REQUIRED', versions });
  }
  const status = state.versions.find((v) => v.version === version)?.status;
  if (!status) throw notFound(`version ${version} of model ${modelId}`);
  if (status === 'retired') throw new HttpProblem(409, 'version-retired', 'Version retired', `version ${version} is retired`);
  // The version's content is immutable, so the read model's copy is as good as the ledger's.
  const record = await freshModelVersion(runtime, modelId, version);
  if (!record) throw notFound(`version ${version} of model ${modelId}`);
  return record;
}
