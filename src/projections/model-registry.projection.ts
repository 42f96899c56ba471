import type { Knex } from '../platform/database.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';
import { defineRowProjection, type Row, type RowChange } from './row-projection.js';

/** The registry as the API lists it: one row per model, one per version with its lifecycle status. */
export const modelRegistry = defineRowProjection({
  name: 'model_registry',
  version: 1,
  handles: ['model.registered', 'model.updated', 'model.deleted', 'model.version-added', 'model.version-validated', 'model.version-approved', 'model.version-deployed', 'model.version-retired'],
  tables: {
    models: (t) => {
      t.uuid('model_id').primary();
      t.text('name').notNullable();
      t.text('type').notNullable();
      t.text('owner_id').notNullable().index();
      t.text('description').notNullable();
      t.jsonb('tags').notNullable();
      t.text('risk_tier').notNullable();
      t.text('intended_use').notNullable();
      t.integer('latest_version');
      t.integer('deployed_version');
      t.boolean('deleted').notNullable().defaultTo(false);
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
      t.bigInteger('last_position').notNullable();
    },
    model_versions: (t) => {
      t.uuid('model_id').notNullable();
      t.integer('version').notNullable();
      t.text('status').notNullable();
      t.text('author_id').notNullable();
      t.text('task').notNullable();
      t.jsonb('classes');
      t.text('artifact_sha256');
      t.bigInteger('artifact_size');
      t.text('artifact_format');
      t.text('artifact_filename');
      t.text('endpoint_url');
      t.jsonb('input_schema').notNullable();
      t.jsonb('training_data');
      t.jsonb('metrics').notNullable();
      t.text('notes').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('status_changed_at', { useTz: true }).notNullable();
      t.primary(['model_id', 'version']);
      t.index(['artifact_sha256']);
    },
  },
  changes(e) {
    const d = e.data as Record<string, unknown>;
    const at = e.occurredAt.toISOString();
    const model = { model_id: d.modelId };
    const modelChanged = (set: Row): RowChange<'models'> => ({ table: 'models', where: model, set: { ...set, updated_at: at, last_position: e.position } });
    switch (e.type) {
      case 'model.registered':
        return [{
          table: 'models',
          insert: {
            model_id: d.modelId,
            name: d.name,
            type: d.type,
            owner_id: d.ownerId,
            description: d.description,
            tags: JSON.stringify(d.tags),
            risk_tier: d.riskTier,
            intended_use: d.intendedUse,
            created_at: at,
            updated_at: at,
            last_position: e.position,
          },
        }];
      case 'model.updated': {
        const c = d.changes as Record<string, unknown>;
        return [modelChanged({
          ...(c.name !== undefined ? { name: c.name } : {}),
          ...(c.description !== undefined ? { description: c.description } : {}),
          ...(c.tags !== undefined ? { tags: JSON.stringify(c.tags) } : {}),
          ...(c.riskTier !== undefined ? { risk_tier: c.riskTier } : {}),
          ...(c.intendedUse !== undefined ? { intended_use: c.intendedUse } : {}),
        })];
      }
      case 'model.deleted':
        return [modelChanged({ deleted: true })];
      case 'model.version-added': {
        const artifact = d.artifact as { sha256: string; size: number; format: string; filename: string | null } | null;
        return [
          {
            table: 'model_versions',
            insert: {
              model_id: d.modelId,
              version: d.version,
              status: 'draft',
              author_id: d.authorId,
              task: d.task,
              classes: d.classes === null ? null : JSON.stringify(d.classes),
              artifact_sha256: artifact?.sha256 ?? null,
              artifact_size: artifact?.size ?? null,
              artifact_format: artifact?.format ?? 'remote',
              artifact_filename: artifact?.filename ?? null,
              endpoint_url: (d.endpoint as { url: string } | null)?.url ?? null,
              input_schema: JSON.stringify(d.inputSchema),
              training_data: d.trainingData === null ? null : JSON.stringify(d.trainingData),
              metrics: JSON.stringify(d.metrics),
              notes: d.notes,
              created_at: at,
              status_changed_at: at,
            },
          },
          modelChanged({ latest_version: d.version }),
        ];
      }
      case 'model.version-validated':
      case 'model.version-approved':
      case 'model.version-deployed':
      case 'model.version-retired': {
        const status = { 'model.version-validated': 'validated', 'model.version-approved': 'approved', 'model.version-deployed': 'deployed', 'model.version-retired': 'retired' }[e.type];
        const version: RowChange<'model_versions'> = { table: 'model_versions', where: { model_id: d.modelId, version: d.version }, set: { status, status_changed_at: at } };
        if (e.type === 'model.version-deployed') return [version, modelChanged({ deployed_version: d.version })];
        // Retiring a version that is not the one deployed leaves the model row as it is.
        if (e.type === 'model.version-retired') return [version, { table: 'models', where: { ...model, deployed_version: d.version }, set: { deployed_version: null, updated_at: at, last_position: e.position } }];
        return [version, modelChanged({})];
      }
      default:
        return [];
    }
  },
});

export type ModelSummary = {
  modelId: string;
  name: string;
  type: string;
  ownerId: string;
  description: string;
  tags: string[];
  riskTier: string;
  intendedUse: string;
  latestVersion: number | null;
  deployedVersion: number | null;
  createdAt: string;
  updatedAt: string;
};

export type ModelVersionRecord = {
  modelId: string;
  version: number;
  status: string;
  authorId: string;
  task: 'regression' | 'binary' | 'multiclass';
  classes: string[] | null;
  artifact: { sha256: string; size: number; format: string; filename: string | null } | null;
  endpoint: { url: string } | null;
  inputSchema: { name: string; type: string }[];
  trainingData: { datasetId: string; contentHash: string } | null;
  metrics: Record<string, number>;
  notes: string;
  createdAt: string;
  statusChangedAt: string;
};

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (v: unknown) => new Date(v as string).toISOString();

const toModel = (r: Record<string, unknown>): ModelSummary => ({
  modelId: r.model_id as string,
  name: r.name as string,
  type: r.type as string,
  ownerId: r.owner_id as string,
  description: r.description as string,
  tags: json<string[]>(r.tags),
  riskTier: r.risk_tier as string,
  intendedUse: r.intended_use as string,
  latestVersion: (r.latest_version as number | null) ?? null,
  deployedVersion: (r.deployed_version as number | null) ?? null,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const toVersion = (r: Record<string, unknown>): ModelVersionRecord => ({
  modelId: r.model_id as string,
  version: r.version as number,
  status: r.status as string,
  authorId: r.author_id as string,
  task: r.task as ModelVersionRecord['task'],
  classes: r.classes === null ? null : json<string[]>(r.classes),
  artifact: r.artifact_sha256 ? { sha256: r.artifact_sha256 as string, size: Number(r.artifact_size), format: r.artifact_format as string, filename: (r.artifact_filename as string | null) ?? null } : null,
  endpoint: r.endpoint_url ? { url: r.endpoint_url as string } : null,
  inputSchema: json(r.input_schema),
  trainingData: r.training_data === null ? null : json(r.training_data),
  metrics: json(r.metrics),
  notes: r.notes as string,
  createdAt: iso(r.created_at),
  statusChangedAt: iso(r.status_changed_at),
});

/** The model list's sort fields; newest first unless asked otherwise. */
export const modelListOrder = listOrder({ columns: { createdAt: 'created_at', updatedAt: 'updated_at', name: 'name' }, unique: 'model_id', defaultSort: 'createdAt', defaultOrder: 'desc' });

export type ModelFilter = { type?: string; riskTier?: string; ownerId?: string; tag?: string; search?: string; status?: string } & PageRequest<keyof typeof modelListOrder.columns>;

/** Models not deleted, filtered, one page in the asked order; `total` counts all matches. */
export async function listModels(knex: Knex, filter: ModelFilter): Promise<{ models: ModelSummary[]; total: number }> {
  const q = knex('models').where('deleted', false);
  if (filter.type) q.where('type', filter.type);
  if (filter.riskTier) q.where('risk_tier', filter.riskTier);
  if (filter.ownerId) q.where('owner_id', filter.ownerId);
  if (filter.tag) q.whereRaw('tags @> ?::jsonb', [JSON.stringify([filter.tag])]);
  if (filter.search) q.whereRaw("position(lower(?) in lower(name || ' ' || description)) > 0", [filter.search]);
  if (filter.status === 'deployed') q.whereNotNull('deployed_version');
  const [{ count }] = (await q.clone().count({ count: '*' })) as [{ count: string | number }];
  const rows = await sortedPage(q, filter, modelListOrder);
  return { models: rows.map(toModel), total: Number(count) };
}

/**
 * A model (null when missing or deleted, as findModel) and its versions oldest first (as
 * listModelVersions) from the registry's rows in memory: those foldRows leaves for its stream.
 */
export function modelInRows(rows: Record<'models' | 'model_versions', Row[]>, modelId: string): { model: ModelSummary | null; versions: ModelVersionRecord[] } {
  const model = rows.models.find((r) => r.model_id === modelId && r.deleted !== true);
  const versions = rows.model_versions.filter((r) => r.model_id === modelId).sort((a, b) => (a.version as number) - (b.version as number));
  return { model: model ? toModel(model) : null, versions: versions.map(toVersion) };
}

export async function findModel(knex: Knex, modelId: string): Promise<ModelSummary | null> {
  const row = (await knex('models').where({ model_id: modelId, deleted: false }).first()) as Record<string, unknown> | undefined;
  return row ? toModel(row) : null;
}

export async function listModelVersions(knex: Knex, modelId: string): Promise<ModelVersionRecord[]> {
  return (await knex('model_versions').where('model_id', modelId).orderBy('version')).map(toVersion);
}

/** A model's version list's sort fields; oldest (version 1) first unless asked otherwise. Versions are unique within their model. */
export const modelVersionListOrder = listOrder({ columns: { version: 'version', createdAt: 'created_at', statusChangedAt: 'status_changed_at', status: 'status' }, unique: 'version', defaultSort: 'version', defaultOrder: 'asc' });

/** One page of a model's versions in the asked order, and how many there are. */
export async function pageOfModelVersions(knex: Knex, modelId: string, page: PageRequest<keyof typeof modelVersionListOrder.columns>): Promise<{ versions: ModelVersionRecord[]; total: number }> {
  const versions = knex('model_versions').where('model_id', modelId);
  const [rows, counted] = (await Promise.all([sortedPage(versions.clone().select('*'), page, modelVersionListOrder), versions.clone().count({ count: '*' })])) as [Row[], [{ count: string | number }]];
  return { versions: rows.map(toVersion), total: Number(counted[0].count) };
}

export async function findModelVersion(knex: Knex, modelId: string, version: number): Promise<ModelVersionRecord | null> {
  const row = (await knex('model_versions').where({ model_id: modelId, version }).first()) as Record<string, unknown> | undefined;
  return row ? toVersion(row) : null;
}

/** Whether any version of any model uses this artifact (an unreferenced upload may be deleted). */
export async function artifactInUse(knex: Knex, sha256: string): Promise<boolean> {
  return (await knex('model_versions').where('artifact_sha256', sha256).first('model_id')) !== undefined;
}
