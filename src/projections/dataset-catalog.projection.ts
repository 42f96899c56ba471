import type { Knex } from '../platform/database.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';
import { defineRowProjection, type Row } from './row-projection.js';

/** Datasets and their versions as the API lists them, with each version's latest quality score. */
export const datasetCatalog = defineRowProjection({
  name: 'dataset_catalog',
  version: 1,
  handles: ['dataset.registered', 'dataset.version-uploaded', 'dataset.profiled', 'dataset.deleted'],
  tables: {
    datasets: (t) => {
      t.uuid('dataset_id').primary();
      t.text('name').notNullable();
      t.text('description').notNullable();
      t.jsonb('tags').notNullable();
      t.text('owner_id').notNullable().index();
      t.integer('latest_version');
      t.boolean('deleted').notNullable().defaultTo(false);
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
    },
    dataset_versions: (t) => {
      t.uuid('dataset_id').notNullable();
      t.integer('version').notNullable();
      t.text('sha256').notNullable().index();
      t.bigInteger('size').notNullable();
      t.text('format').notNullable();
      t.text('filename');
      t.bigInteger('row_count').notNullable();
      t.jsonb('columns').notNullable();
      t.double('quality_score');
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.primary(['dataset_id', 'version']);
    },
  },
  changes(e) {
    const d = e.data as Record<string, unknown>;
    const at = e.occurredAt.toISOString();
    const dataset = { dataset_id: d.datasetId };
    switch (e.type) {
      case 'dataset.registered':
        return [{ table: 'datasets', insert: { dataset_id: d.datasetId, name: d.name, description: d.description, tags: JSON.stringify(d.tags), owner_id: d.ownerId, created_at: at, updated_at: at } }];
      case 'dataset.version-uploaded': {
        const blob = d.blob as { sha256: string; size: number };
        return [
          { table: 'dataset_versions', insert: { dataset_id: d.datasetId, version: d.version, sha256: blob.sha256, size: blob.size, format: d.format, filename: d.filename, row_count: d.rowCount, columns: JSON.stringify(d.columns), created_at: at } },
          { table: 'datasets', where: dataset, set: { latest_version: d.version, updated_at: at } },
        ];
      }
      case 'dataset.profiled':
        return [{ table: 'dataset_versions', where: { ...dataset, version: d.version }, set: { quality_score: d.qualityScore } }];
      case 'dataset.deleted':
        return [{ table: 'datasets', where: dataset, set: { deleted: true, updated_at: at } }];
      default:
        return [];
    }
  },
});

export type DatasetSummary = { datasetId: string; name: string; description: string; tags: string[]; ownerId: string; latestVersion: number | null; createdAt: string; updatedAt: string };
export type DatasetVersionRecord = {
  datasetId: string;
  version: number;
  sha256: string;
  size: number;
  format: 'csv' | 'tsv' | 'json' | 'ndjson' | 'parquet';
  filename: string | null;
  rowCount: number;
  columns: { name: string; type: string; nullable: boolean; hints: string[] }[];
  qualityScore: number | null;
  createdAt: string;
};

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (v: unknown) => new Date(v as string).toISOString();

const toDataset = (r: Record<string, unknown>): DatasetSummary => ({
  datasetId: r.dataset_id as string,
  name: r.name as string,
  description: r.description as string,
  tags: json(r.tags),
  ownerId: r.owner_id as string,
  latestVersion: (r.latest_version as number | null) ?? null,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const toVersion = (r: Record<string, unknown>): DatasetVersionRecord => ({
  datasetId: r.dataset_id as string,
  version: r.version as number,
  sha256: r.sha256 as string,
  size: Number(r.size),
  format: r.format as DatasetVersionRecord['format'],
  filename: (r.filename as string | null) ?? null,
  rowCount: Number(r.row_count),
  columns: json(r.columns),
  // Absent (not null) in rows folded in memory before the version's profile.
  qualityScore: r.quality_score === null || r.quality_score === undefined ? null : Number(r.quality_score),
  createdAt: iso(r.created_at),
});

/** The dataset list's sort fields; newest first unless asked otherwise. */
export const datasetListOrder = listOrder({ columns: { createdAt: 'created_at', updatedAt: 'updated_at', name: 'name' }, unique: 'dataset_id', defaultSort: 'createdAt', defaultOrder: 'desc' });

export async function listDatasets(knex: Knex, filter: { ownerId?: string; tag?: string; search?: string } & PageRequest<keyof typeof datasetListOrder.columns>): Promise<{ datasets: DatasetSummary[]; total: number }> {
  const q = knex('datasets').where('deleted', false);
  if (filter.ownerId) q.where('owner_id', filter.ownerId);
  if (filter.tag) q.whereRaw('tags @> ?::jsonb', [JSON.stringify([filter.tag])]);
  if (filter.search) q.whereRaw("position(lower(?) in lower(name || ' ' || description)) > 0", [filter.search]);
  const [{ count }] = (await q.clone().count({ count: '*' })) as [{ count: string | number }];
  const rows = await sortedPage(q, filter, datasetListOrder);
  return { datasets: rows.map(toDataset), total: Number(count) };
}

/**
 * A dataset (null when missing or deleted, as findDataset) and its versions oldest first (as
 * listDatasetVersions) from the catalogue's rows in memory: those foldRows leaves for its stream.
 */
export function datasetInRows(rows: Record<'datasets' | 'dataset_versions', Row[]>, datasetId: string): { dataset: DatasetSummary | null; versions: DatasetVersionRecord[] } {
  const dataset = rows.datasets.find((r) => r.dataset_id === datasetId && r.deleted !== true);
  const versions = rows.dataset_versions.filter((r) => r.dataset_id === datasetId).sort((a, b) => (a.version as number) - (b.version as number));
  return { dataset: dataset ? toDataset(dataset) : null, versions: versions.map(toVersion) };
}

export async function findDataset(knex: Knex, datasetId: string): Promise<DatasetSummary | null> {
  const row = (await knex('datasets').where({ dataset_id: datasetId, deleted: false }).first()) as Record<string, unknown> | undefined;
  return row ? toDataset(row) : null;
}

export async function listDatasetVersions(knex: Knex, datasetId: string): Promise<DatasetVersionRecord[]> {
  return (await knex('dataset_versions').where('dataset_id', datasetId).orderBy('version')).map(toVersion);
}

export async function findDatasetVersion(knex: Knex, datasetId: string, version: number): Promise<DatasetVersionRecord | null> {
  const row = (await knex('dataset_versions').where({ dataset_id: datasetId, version }).first()) as Record<string, unknown> | undefined;
  return row ? toVersion(row) : null;
}

/** Whether a version of any dataset other than `exceptDatasetId` uses this file. */
export async function datasetBlobInUse(knex: Knex, sha256: string, exceptDatasetId?: string): Promise<boolean> {
  const q = knex('dataset_versions as v').join('datasets as d', 'd.dataset_id', 'v.dataset_id').where('v.sha256', sha256).where('d.deleted', false);
  if (exceptDatasetId) q.whereNot('v.dataset_id', exceptDatasetId);
  return (await q.first('v.dataset_id')) !== undefined;
}
