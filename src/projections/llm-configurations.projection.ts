import type { Knex } from '../platform/database.js';
import type { JsonObject } from '../events/envelope.js';
import type { ApiKeyReference, LlmParameters, LlmPricing } from '../commands/llm-configuration/llm-configuration.decider.js';
import { defineProjection } from './projection.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';

const COLUMNS: Record<string, string> = {
  name: 'name',
  provider: 'provider',
  model: 'model',
  baseUrl: 'base_url',
  parameters: 'parameters',
  promptTemplate: 'prompt_template',
  active: 'active',
  pricing: 'pricing',
  apiKey: 'api_key',
};
const JSON_FIELDS = new Set(['parameters', 'pricing', 'apiKey']);

/** LLM configurations as they stand now (deleted ones kept, marked). */
export const llmConfigurations = defineProjection({
  name: 'llm_configurations',
  version: 1,
  handles: ['llm.configuration-created', 'llm.configuration-updated', 'llm.configuration-deleted'],
  tables: {
    llm_configurations: (t) => {
      t.uuid('configuration_id').primary();
      t.text('name').notNullable();
      t.text('provider').notNullable();
      t.text('model').notNullable();
      t.text('base_url');
      t.jsonb('parameters').notNullable();
      t.text('prompt_template').notNullable();
      t.boolean('active').notNullable();
      t.jsonb('pricing');
      t.jsonb('api_key').notNullable();
      t.text('created_by').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
      t.timestamp('deleted_at', { useTz: true });
      t.bigInteger('position').notNullable();
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as JsonObject & { configurationId: string };
      const at = e.occurredAt.toISOString();
      const columns = () => {
        const out: Record<string, unknown> = {};
        for (const [field, column] of Object.entries(COLUMNS)) if (d[field] !== undefined) out[column] = JSON_FIELDS.has(field) ? JSON.stringify(d[field]) : d[field];
        return out;
      };
      const row = trx(tables.llm_configurations).where('configuration_id', d.configurationId);
      switch (e.type) {
        case 'llm.configuration-created':
          await trx(tables.llm_configurations)
            .insert({ configuration_id: d.configurationId, ...columns(), created_by: d.createdBy, created_at: at, updated_at: at, position: e.position })
            .onConflict('configuration_id')
            .ignore();
          break;
        case 'llm.configuration-updated':
          await row.update({ ...columns(), updated_at: at, position: e.position });
          break;
        case 'llm.configuration-deleted':
          await row.update({ deleted_at: at, active: false, updated_at: at, position: e.position });
          break;
      }
    }
  },
});

export type LlmConfigurationRecord = {
  configurationId: string;
  name: string;
  provider: string;
  model: string;
  baseUrl: string | null;
  parameters: LlmParameters;
  promptTemplate: string;
  active: boolean;
  pricing: LlmPricing | null;
  apiKey: ApiKeyReference;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  position: number;
};

type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

const recordOf = (r: Row): LlmConfigurationRecord => ({
  configurationId: r.configuration_id as string,
  name: r.name as string,
  provider: r.provider as string,
  model: r.model as string,
  baseUrl: (r.base_url as string | null) ?? null,
  parameters: json<LlmParameters>(r.parameters),
  promptTemplate: r.prompt_template as string,
  active: Boolean(r.active),
  pricing: r.pricing === null ? null : json<LlmPricing>(r.pricing),
  apiKey: json<ApiKeyReference>(r.api_key),
  createdBy: r.created_by as string,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
  deletedAt: iso(r.deleted_at),
  position: Number(r.position),
});

/** The configuration list's sort fields; by name unless asked otherwise. */
export const llmConfigurationListOrder = listOrder({ columns: { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at', provider: 'provider' }, unique: 'configuration_id', defaultSort: 'name', defaultOrder: 'asc' });

/** One page of the configurations not deleted, and how many there are. */
export async function listLlmConfigurations(knex: Knex, page: PageRequest<keyof typeof llmConfigurationListOrder.columns>): Promise<{ configurations: LlmConfigurationRecord[]; total: number }> {
  const live = knex('llm_configurations').whereNull('deleted_at');
  const [rows, counted] = (await Promise.all([sortedPage(live.clone().select('*'), page, llmConfigurationListOrder), live.clone().count({ count: '*' })])) as [Row[], [{ count: string | number }]];
  return { configurations: rows.map(recordOf), total: Number(counted[0].count) };
}

export async function findLlmConfiguration(knex: Knex, configurationId: string): Promise<LlmConfigurationRecord | null> {
  const r = (await knex('llm_configurations').where('configuration_id', configurationId).whereNull('deleted_at').first()) as Row | undefined;
  return r ? recordOf(r) : null;
}

export async function llmConfigurationNamed(knex: Knex, name: string): Promise<LlmConfigurationRecord | null> {
  const r = (await knex('llm_configurations').whereRaw('lower(name) = lower(?)', [name]).whereNull('deleted_at').first()) as Row | undefined;
  return r ? recordOf(r) : null;
}
