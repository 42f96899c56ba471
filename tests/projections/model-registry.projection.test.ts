import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldRows } from '../../src/projections/row-projection.js';
import { artifactInUse, findModel, findModelVersion, listModels, listModelVersions, modelInRows, modelRegistry, pageOfModelVersions } from '../../src/projections/model-registry.projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { project, secondIso, sequence } from './read-model-harness.js';

const M1 = '00000000-0000-4000-8000-000000000001';
const M2 = '00000000-0000-4000-8000-000000000002';
const M3 = '00000000-0000-4000-8000-000000000003';
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

const registered = (modelId: string, over: Record<string, unknown> = {}) => ['model.registered', { modelId, name: 'credit scoring', type: 'classification', ownerId: 'owner-1', description: 'loan pre-screening', tags: ['credit', 'eu'], riskTier: 'high', intendedUse: 'triage', ...over }] as [string, Record<string, unknown>];
const versionAdded = (modelId: string, version: number, over: Record<string, unknown> = {}) =>
  ['model.version-added', {
    modelId,
    version,
    authorId: 'author-1',
    task: 'binary',
    classes: ['deny', 'grant'],
    artifact: { sha256: SHA_A, size: 1234, format: 'onnx', filename: 'model.onnx' },
    endpoint: null,
    inputSchema: [{ name: 'age', type: 'number' }],
    trainingData: { datasetId: 'd-1', contentHash: 'h-1' },
    metrics: { auc: 0.81 },
    notes: 'first',
    ...over,
  }] as [string, Record<string, unknown>];

/**
 * The registry's life worked by hand (event i at second i - 1):
 * 1 M1 registered; 2 M1 v1 added (onnx artifact); 3 M1 v2 added (remote endpoint, no classes, no
 * training data); 4 M1 v1 validated; 5 v1 approved; 6 v1 deployed; 7 M1 renamed only;
 * 8 M2 registered (other owner, type, tier, tags); 9 M1 v2 retired (not the deployed one: the
 * model row stays as it is); 10 M3 registered; 11 M3 deleted; 12 an event the registry ignores.
 */
const life = () =>
  sequence([
    registered(M1),
    versionAdded(M1, 1),
    versionAdded(M1, 2, { task: 'regression', classes: null, artifact: null, endpoint: { url: 'https://models.example/v2' }, trainingData: null, metrics: { rmse: 2.5 }, notes: 'remote' }),
    ['model.version-validated', { modelId: M1, version: 1 }],
    ['model.version-approved', { modelId: M1, version: 1 }],
    ['model.version-deployed', { modelId: M1, version: 1 }],
    ['model.updated', { modelId: M1, changes: { name: 'credit scoring v2' } }],
    registered(M2, { name: 'fraud watch', type: 'regression', ownerId: 'owner-2', description: 'card fraud', tags: ['fraud'], riskTier: 'limited', intendedUse: 'alerts' }),
    ['model.version-retired', { modelId: M1, version: 2 }],
    registered(M3, { name: 'gone', description: 'deleted soon' }),
    ['model.deleted', { modelId: M3 }],
    ['model.other-thing', { modelId: M1 }],
  ]);

const m1After = {
  modelId: M1,
  name: 'credit scoring v2',
  type: 'classification',
  ownerId: 'owner-1',
  description: 'loan pre-screening',
  tags: ['credit', 'eu'],
  riskTier: 'high',
  intendedUse: 'triage',
  latestVersion: 2,
  deployedVersion: 1,
  createdAt: secondIso(0),
  updatedAt: secondIso(6),
};
const v1After = {
  modelId: M1,
  version: 1,
  status: 'deployed',
  authorId: 'author-1',
  task: 'binary',
  classes: ['deny', 'grant'],
  artifact: { sha256: SHA_A, size: 1234, format: 'onnx', filename: 'model.onnx' },
  endpoint: null,
  inputSchema: [{ name: 'age', type: 'number' }],
  trainingData: { datasetId: 'd-1', contentHash: 'h-1' },
  metrics: { auc: 0.81 },
  notes: 'first',
  createdAt: secondIso(1),
  statusChangedAt: secondIso(5),
};
const v2After = {
  modelId: M1,
  version: 2,
  status: 'retired',
  authorId: 'author-1',
  task: 'regression',
  classes: null,
  artifact: null,
  endpoint: { url: 'https://models.example/v2' },
  inputSchema: [{ name: 'age', type: 'number' }],
  trainingData: null,
  metrics: { rmse: 2.5 },
  notes: 'remote',
  createdAt: secondIso(2),
  statusChangedAt: secondIso(8),
};

describe('model registry rows folded in memory', () => {
  it('leave each model and version as worked out by hand', () => {
    const rows = foldRows(modelRegistry, life());
    expect(modelInRows(rows, M1)).toEqual({ model: m1After, versions: [v1After, v2After] });
    expect(modelInRows(rows, M3)).toEqual({ model: null, versions: [] });
    expect(modelInRows(rows, M2).model).toMatchObject({ name: 'fraud watch', latestVersion: null, deployedVersion: null, updatedAt: secondIso(7) });
    // Raw rows: the retirement of a version not deployed leaves the model row (position 9 not recorded).
    expect(rows.models.find((r) => r.model_id === M1)).toMatchObject({ last_position: 7, deployed_version: 1 });
    expect(rows.models.find((r) => r.model_id === M3)).toMatchObject({ deleted: true, last_position: 11, updated_at: secondIso(10) });
    // SQL NULLs, not JSON nulls, where the event has none.
    expect(rows.model_versions.find((r) => r.version === 2)).toMatchObject({ artifact_format: 'remote', artifact_sha256: null, artifact_size: null, artifact_filename: null, classes: null, training_data: null, endpoint_url: 'https://models.example/v2' });
    expect(rows.model_versions.find((r) => r.version === 1)).toMatchObject({ classes: '["deny","grant"]', training_data: '{"datasetId":"d-1","contentHash":"h-1"}', endpoint_url: null });
  });

  it('record each status change on the model row, and free the deployed version when it is retired', () => {
    const steps = sequence([registered(M1), versionAdded(M1, 1), ['model.version-validated', { modelId: M1, version: 1 }]]);
    expect(foldRows(modelRegistry, steps.slice(0, 2)).model_versions[0]).toMatchObject({ status: 'draft', status_changed_at: secondIso(1) });
    const validated = foldRows(modelRegistry, steps);
    expect(validated.models[0]).toMatchObject({ updated_at: secondIso(2), last_position: 3, latest_version: 1 });
    expect(validated.model_versions[0]).toMatchObject({ status: 'validated', status_changed_at: secondIso(2), created_at: secondIso(1) });
    const approved = foldRows(modelRegistry, sequence([registered(M1), versionAdded(M1, 1), ['model.version-validated', { modelId: M1, version: 1 }], ['model.version-approved', { modelId: M1, version: 1 }]]));
    expect(approved.models[0]).toMatchObject({ updated_at: secondIso(3), last_position: 4 });
    expect(approved.model_versions[0]!.status).toBe('approved');

    const deployedThenRetired = sequence([registered(M1), versionAdded(M1, 1), ['model.version-deployed', { modelId: M1, version: 1 }], ['model.version-retired', { modelId: M1, version: 1 }]]);
    const deployed = foldRows(modelRegistry, deployedThenRetired.slice(0, 3));
    expect(deployed.models[0]).toMatchObject({ deployed_version: 1, updated_at: secondIso(2), last_position: 3 });
    expect(deployed.model_versions[0]).toMatchObject({ status: 'deployed', status_changed_at: secondIso(2) });
    const retired = foldRows(modelRegistry, deployedThenRetired);
    expect(retired.models[0]).toMatchObject({ deployed_version: null, updated_at: secondIso(3), last_position: 4 });
    expect(retired.model_versions[0]).toMatchObject({ status: 'retired', status_changed_at: secondIso(3) });
  });

  it('change only the fields an update names', () => {
    const base = [registered(M1)];
    const after = (changes: Record<string, unknown>) => modelInRows(foldRows(modelRegistry, sequence([...base, ['model.updated', { modelId: M1, changes }]])), M1).model!;
    const original = { name: 'credit scoring', description: 'loan pre-screening', tags: ['credit', 'eu'], riskTier: 'high', intendedUse: 'triage' };
    expect(after({})).toMatchObject({ ...original, updatedAt: secondIso(1) });
    expect(after({ description: 'new text' })).toMatchObject({ ...original, description: 'new text' });
    expect(after({ tags: ['x'] })).toMatchObject({ ...original, tags: ['x'] });
    expect(after({ riskTier: 'minimal' })).toMatchObject({ ...original, riskTier: 'minimal' });
    expect(after({ intendedUse: 'research' })).toMatchObject({ ...original, intendedUse: 'research' });
    expect(after({ name: 'n', description: 'd', tags: [], riskTier: 'r', intendedUse: 'i' })).toMatchObject({ name: 'n', description: 'd', tags: [], riskTier: 'r', intendedUse: 'i' });
    const raw = foldRows(modelRegistry, sequence([...base, ['model.updated', { modelId: M1, changes: { name: 'n' } }]])).models[0]!;
    expect(Object.keys(raw).sort()).toEqual(['created_at', 'description', 'intended_use', 'last_position', 'model_id', 'name', 'owner_id', 'risk_tier', 'tags', 'type', 'updated_at']);
  });

  it('read versions oldest first whatever order the rows are in, and a model only when not deleted', () => {
    const rows = foldRows(modelRegistry, sequence([registered(M1), versionAdded(M1, 1), versionAdded(M1, 2), versionAdded(M1, 3), registered(M2), versionAdded(M2, 1)]));
    const shuffled = { models: rows.models, model_versions: [rows.model_versions[2]!, rows.model_versions[3]!, rows.model_versions[0]!, rows.model_versions[1]!] };
    expect(modelInRows(shuffled, M1).versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(modelInRows(shuffled, M2).versions.map((v) => [v.modelId, v.version])).toEqual([[M2, 1]]);
    expect(modelInRows({ models: [{ ...rows.models[0]!, deleted: false }], model_versions: [] }, M1).model?.modelId).toBe(M1);
    expect(modelInRows({ models: [{ ...rows.models[0]!, deleted: true }], model_versions: [] }, M1).model).toBeNull();
  });
});

describe('model registry read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  it('leaves the same models and versions as the fold, and finds them', async () => {
    await project(db.knex, modelRegistry, life());
    expect(await findModel(db.knex, M1)).toEqual(m1After);
    expect(await findModel(db.knex, M3)).toBeNull();
    expect(await findModel(db.knex, '00000000-0000-4000-8000-0000000000ff')).toBeNull();
    expect(await listModelVersions(db.knex, M1)).toEqual([v1After, v2After]);
    expect(await listModelVersions(db.knex, M2)).toEqual([]);
    expect(await findModelVersion(db.knex, M1, 2)).toEqual(v2After);
    expect(await findModelVersion(db.knex, M1, 3)).toBeNull();
    expect(await artifactInUse(db.knex, SHA_A)).toBe(true);
    expect(await artifactInUse(db.knex, SHA_B)).toBe(false);
    const m3 = await db.knex('models').where('model_id', M3).first();
    expect(m3).toMatchObject({ deleted: true, latest_version: null, deployed_version: null });
    expect(Number(m3.last_position)).toBe(11);
  });

  it('applied one event per transaction, updates each field it is told to', async () => {
    await project(db.knex, modelRegistry, sequence([registered(M1), ['model.updated', { modelId: M1, changes: { description: 'd2', tags: ['t2'], riskTier: 'minimal', intendedUse: 'i2' } }]]), { perEvent: true });
    expect(await findModel(db.knex, M1)).toMatchObject({ name: 'credit scoring', description: 'd2', tags: ['t2'], riskTier: 'minimal', intendedUse: 'i2', updatedAt: secondIso(1) });
  });

  it('lists models not deleted, by each filter, in the asked order, with the total', async () => {
    await project(db.knex, modelRegistry, life());
    const ids = async (filter: Parameters<typeof listModels>[1]) => {
      const { models, total } = await listModels(db.knex, filter);
      return { ids: models.map((m) => m.modelId), total };
    };
    const page = { limit: 10, offset: 0 };
    expect(await ids(page)).toEqual({ ids: [M2, M1], total: 2 });
    expect(await ids({ ...page, sort: 'name', order: 'asc' })).toEqual({ ids: [M1, M2], total: 2 });
    expect(await ids({ ...page, limit: 1 })).toEqual({ ids: [M2], total: 2 });
    expect(await ids({ ...page, offset: 1 })).toEqual({ ids: [M1], total: 2 });
    expect(await ids({ ...page, type: 'regression' })).toEqual({ ids: [M2], total: 1 });
    expect(await ids({ ...page, riskTier: 'high' })).toEqual({ ids: [M1], total: 1 });
    expect(await ids({ ...page, ownerId: 'owner-2' })).toEqual({ ids: [M2], total: 1 });
    expect(await ids({ ...page, tag: 'eu' })).toEqual({ ids: [M1], total: 1 });
    expect(await ids({ ...page, tag: 'e' })).toEqual({ ids: [], total: 0 });
    expect(await ids({ ...page, search: 'FRAUD' })).toEqual({ ids: [M2], total: 1 });
    expect(await ids({ ...page, search: 'LOAN' })).toEqual({ ids: [M1], total: 1 });
    expect(await ids({ ...page, search: 'gone' })).toEqual({ ids: [], total: 0 });
    expect(await ids({ ...page, status: 'deployed' })).toEqual({ ids: [M1], total: 1 });
    expect(await ids({ ...page, status: 'draft' })).toEqual({ ids: [M2, M1], total: 2 });
    expect((await listModels(db.knex, { ...page, type: 'regression' })).models).toEqual([
      { modelId: M2, name: 'fraud watch', type: 'regression', ownerId: 'owner-2', description: 'card fraud', tags: ['fraud'], riskTier: 'limited', intendedUse: 'alerts', latestVersion: null, deployedVersion: null, createdAt: secondIso(7), updatedAt: secondIso(7) },
    ]);
  });

  it('orders rows that tie on the sort field by their id, in the same direction', async () => {
    // M2 is written first: without the id as second key the rows would come back as stored.
    await project(db.knex, modelRegistry, sequence([registered(M2), registered(M3), registered(M1)]));
    const ids = async (order: 'asc' | 'desc') => (await listModels(db.knex, { limit: 10, offset: 0, sort: 'name', order })).models.map((m) => m.modelId);
    expect(await ids('asc')).toEqual([M1, M2, M3]);
    expect(await ids('desc')).toEqual([M3, M2, M1]);
  });

  it('pages a model’s versions in the asked order with their count', async () => {
    await project(db.knex, modelRegistry, life());
    const page = await pageOfModelVersions(db.knex, M1, { limit: 1, offset: 0 });
    expect(page).toEqual({ versions: [v1After], total: 2 });
    expect(await pageOfModelVersions(db.knex, M1, { limit: 5, offset: 0, sort: 'version', order: 'desc' })).toEqual({ versions: [v2After, v1After], total: 2 });
    expect(await pageOfModelVersions(db.knex, M2, { limit: 5, offset: 0 })).toEqual({ versions: [], total: 0 });
  });
});
