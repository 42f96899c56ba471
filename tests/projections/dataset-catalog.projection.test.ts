import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldRows } from '../../src/projections/row-projection.js';
import { datasetBlobInUse, datasetCatalog, datasetInRows, findDataset, findDatasetVersion, listDatasets, listDatasetVersions } from '../../src/projections/dataset-catalog.projection.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { project, secondIso, sequence } from './read-model-harness.js';

const D1 = '00000000-0000-4000-8000-0000000000d1';
const D2 = '00000000-0000-4000-8000-0000000000d2';
const D3 = '00000000-0000-4000-8000-0000000000d3';
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);
const columns = [{ name: 'age', type: 'integer', nullable: false, hints: [] }];

const registered = (datasetId: string, over: Record<string, unknown> = {}) => ['dataset.registered', { datasetId, name: 'loans', description: 'loan book 2025', tags: ['credit', 'eu'], ownerId: 'owner-1', ...over }] as [string, Record<string, unknown>];
const uploaded = (datasetId: string, version: number, sha256: string, over: Record<string, unknown> = {}) =>
  ['dataset.version-uploaded', { datasetId, version, blob: { sha256, size: 2048 }, format: 'csv', filename: 'loans.csv', rowCount: 120, columns, ...over }] as [string, Record<string, unknown>];

/**
 * By hand (event i at second i - 1): 1 D1 registered; 2 D1 v1 (SHA_A, csv); 3 D1 v1 profiled
 * 0.875; 4 D1 v2 (SHA_B, parquet, no file name), never profiled; 5 D2 registered (other owner,
 * tags); 6 D2 v1 (SHA_C); 7 D3 registered; 8 D3 v1 (SHA_C); 9 D3 deleted; 10 ignored.
 */
const life = () =>
  sequence([
    registered(D1),
    uploaded(D1, 1, SHA_A),
    ['dataset.profiled', { datasetId: D1, version: 1, qualityScore: 0.875 }],
    uploaded(D1, 2, SHA_B, { format: 'parquet', filename: null, rowCount: 7, blob: { sha256: SHA_B, size: 99 } }),
    registered(D2, { name: 'fraud cases', description: 'card fraud', tags: ['fraud'], ownerId: 'owner-2' }),
    uploaded(D2, 1, SHA_C),
    registered(D3, { name: 'old', description: 'to delete' }),
    uploaded(D3, 1, SHA_C),
    ['dataset.deleted', { datasetId: D3 }],
    ['dataset.something-else', { datasetId: D1 }],
  ]);

const d1 = { datasetId: D1, name: 'loans', description: 'loan book 2025', tags: ['credit', 'eu'], ownerId: 'owner-1', latestVersion: 2, createdAt: secondIso(0), updatedAt: secondIso(3) };
const d1v1 = { datasetId: D1, version: 1, sha256: SHA_A, size: 2048, format: 'csv', filename: 'loans.csv', rowCount: 120, columns, qualityScore: 0.875, createdAt: secondIso(1) };
const d1v2 = { datasetId: D1, version: 2, sha256: SHA_B, size: 99, format: 'parquet', filename: null, rowCount: 7, columns, qualityScore: null, createdAt: secondIso(3) };

describe('dataset catalogue rows folded in memory', () => {
  it('leave each dataset and version as worked out by hand', () => {
    const rows = foldRows(datasetCatalog, life());
    expect(datasetInRows(rows, D1)).toEqual({ dataset: d1, versions: [d1v1, d1v2] });
    expect(datasetInRows(rows, D3)).toEqual({ dataset: null, versions: [{ ...d1v1, datasetId: D3, sha256: SHA_C, qualityScore: null, createdAt: secondIso(7) }] });
    expect(rows.datasets.find((r) => r.dataset_id === D3)).toMatchObject({ deleted: true, updated_at: secondIso(8) });
    expect(datasetInRows(rows, D2).dataset).toMatchObject({ latestVersion: 1, updatedAt: secondIso(5), createdAt: secondIso(4) });
    expect(datasetInRows(rows, D1).dataset).not.toBeNull();
  });

  it('read versions oldest first whatever the order of the rows, a profile of 0 as 0, and a dataset only when not deleted', () => {
    const rows = foldRows(datasetCatalog, sequence([registered(D1), uploaded(D1, 1, SHA_A), uploaded(D1, 2, SHA_B), uploaded(D1, 3, SHA_C), ['dataset.profiled', { datasetId: D1, version: 3, qualityScore: 0 }], registered(D2), uploaded(D2, 1, SHA_A)]));
    const v = rows.dataset_versions;
    const shuffled = { datasets: rows.datasets, dataset_versions: [v[2]!, v[3]!, v[0]!, v[1]!] };
    expect(datasetInRows(shuffled, D1).versions.map((x) => [x.version, x.qualityScore])).toEqual([[1, null], [2, null], [3, 0]]);
    expect(datasetInRows(shuffled, D2).versions.map((x) => [x.datasetId, x.version])).toEqual([[D2, 1]]);
    expect(datasetInRows({ datasets: [{ ...rows.datasets[0]!, deleted: false }], dataset_versions: [] }, D1).dataset?.datasetId).toBe(D1);
    expect(datasetInRows({ datasets: [{ ...rows.datasets[0]!, deleted: true }], dataset_versions: [] }, D1).dataset).toBeNull();
  });
});

describe('dataset catalogue read model on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  it('leaves the same datasets and versions as the fold, and finds them', async () => {
    await project(db.knex, datasetCatalog, life());
    expect(await findDataset(db.knex, D1)).toEqual(d1);
    expect(await findDataset(db.knex, D3)).toBeNull();
    expect(await listDatasetVersions(db.knex, D1)).toEqual([d1v1, d1v2]);
    expect(await listDatasetVersions(db.knex, '00000000-0000-4000-8000-0000000000ff')).toEqual([]);
    expect(await findDatasetVersion(db.knex, D1, 1)).toEqual(d1v1);
    expect(await findDatasetVersion(db.knex, D1, 2)).toEqual(d1v2);
    expect(await findDatasetVersion(db.knex, D1, 3)).toBeNull();
    expect(await db.knex('datasets').where('dataset_id', D3).first()).toMatchObject({ deleted: true, latest_version: 1 });
  });

  it('tells whether a file is used by a dataset not deleted, other than the one named', async () => {
    await project(db.knex, datasetCatalog, life());
    expect(await datasetBlobInUse(db.knex, SHA_A)).toBe(true);
    expect(await datasetBlobInUse(db.knex, SHA_A, D1)).toBe(false);
    expect(await datasetBlobInUse(db.knex, SHA_A, D2)).toBe(true);
    // SHA_C: D2 (live) and D3 (deleted).
    expect(await datasetBlobInUse(db.knex, SHA_C)).toBe(true);
    expect(await datasetBlobInUse(db.knex, SHA_C, D2)).toBe(false);
    expect(await datasetBlobInUse(db.knex, 'f'.repeat(64))).toBe(false);
  });

  it('lists datasets not deleted, by each filter, in the asked order, with the total', async () => {
    await project(db.knex, datasetCatalog, life());
    const ids = async (filter: Parameters<typeof listDatasets>[1]) => {
      const { datasets, total } = await listDatasets(db.knex, filter);
      return { ids: datasets.map((d) => d.datasetId), total };
    };
    const page = { limit: 10, offset: 0 };
    expect(await ids(page)).toEqual({ ids: [D2, D1], total: 2 });
    expect(await ids({ ...page, sort: 'name', order: 'asc' })).toEqual({ ids: [D2, D1], total: 2 });
    expect(await ids({ ...page, sort: 'updatedAt', order: 'asc' })).toEqual({ ids: [D1, D2], total: 2 });
    expect(await ids({ ...page, limit: 1 })).toEqual({ ids: [D2], total: 2 });
    expect(await ids({ ...page, offset: 1 })).toEqual({ ids: [D1], total: 2 });
    expect(await ids({ ...page, ownerId: 'owner-2' })).toEqual({ ids: [D2], total: 1 });
    expect(await ids({ ...page, tag: 'eu' })).toEqual({ ids: [D1], total: 1 });
    expect(await ids({ ...page, search: 'CARD' })).toEqual({ ids: [D2], total: 1 });
    expect(await ids({ ...page, search: 'Loans' })).toEqual({ ids: [D1], total: 1 });
    expect(await ids({ ...page, search: 'delete' })).toEqual({ ids: [], total: 0 });
    expect((await listDatasets(db.knex, { ...page, ownerId: 'owner-2' })).datasets).toEqual([
      { datasetId: D2, name: 'fraud cases', description: 'card fraud', tags: ['fraud'], ownerId: 'owner-2', latestVersion: 1, createdAt: secondIso(4), updatedAt: secondIso(5) },
    ]);
  });

  it('keeps a dataset without versions at no latest version', async () => {
    await project(db.knex, datasetCatalog, sequence([registered(D1)]), { perEvent: true });
    expect(await findDataset(db.knex, D1)).toEqual({ ...d1, latestVersion: null, updatedAt: secondIso(0) });
  });
});
