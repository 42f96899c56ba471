import type { Knex } from '../platform/database.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';
import type { JsonObject } from '../events/envelope.js';
import type { z } from 'zod';
import type { evaluationCompleted, evaluationCreated, judgeCallSchema } from '../events/catalogue/evaluation.events.js';
import { defineProjection } from './projection.js';

/**
 * Evaluations with their status and progress, and one row per unit (item x variant x
 * configuration) with its answer, scores, abstentions and judge calls, or its failure.
 */
export const evaluations = defineProjection({
  name: 'evaluations',
  version: 1,
  handles: ['evaluation.created', 'evaluation.started', 'evaluation.stopped', 'evaluation.item-scored', 'evaluation.item-failed', 'evaluation.completed'],
  tables: {
    evaluations: (t) => {
      t.uuid('evaluation_id').primary();
      t.text('name').notNullable();
      t.text('type').notNullable();
      t.text('status').notNullable();
      t.text('created_by').notNullable().index();
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
      t.integer('units_total').notNullable();
      t.integer('units_scored').notNullable().defaultTo(0);
      t.integer('units_failed').notNullable().defaultTo(0);
      t.double('spent_usd').notNullable().defaultTo(0);
      t.text('stop_reason');
      /** The definition without its items (configurations, judge, metrics, source, seed, limits). */
      t.jsonb('definition').notNullable();
      t.jsonb('aggregates');
      t.jsonb('fairness');
      t.jsonb('receipt');
      t.uuid('model_id').index();
      t.integer('model_version');
      t.bigInteger('position').notNullable();
    },
    evaluation_results: (t) => {
      t.uuid('evaluation_id').notNullable();
      t.uuid('configuration_id').notNullable();
      t.integer('item_index').notNullable();
      /** '' for the item as given, else the counterfactual group. */
      t.text('variant').notNullable();
      t.text('status').notNullable();
      t.text('answer');
      t.jsonb('retrieved_document_ids');
      t.jsonb('scores');
      t.jsonb('abstentions');
      t.jsonb('judge_calls');
      t.integer('input_tokens');
      t.integer('output_tokens');
      t.double('cost_usd');
      t.double('latency_ms');
      t.text('failure');
      t.text('reason');
      t.bigInteger('position').notNullable();
      t.primary(['evaluation_id', 'configuration_id', 'item_index', 'variant']);
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as JsonObject & { evaluationId: string };
      const at = e.occurredAt.toISOString();
      const evaluation = () => trx(tables.evaluations).where('evaluation_id', d.evaluationId);
      switch (e.type) {
        case 'evaluation.created': {
          const { items, ...definition } = d as JsonObject & { evaluationId: string; items: unknown[]; configurations: unknown[]; counterfactual: { groups: Record<string, unknown> } | null };
          const units = items.length * definition.configurations.length * (1 + Object.keys(definition.counterfactual?.groups ?? {}).length);
          await trx(tables.evaluations)
            .insert({
              evaluation_id: d.evaluationId, name: d.name, type: d.type, status: 'created', created_by: d.createdBy, created_at: at, updated_at: at, units_total: units,
              definition: JSON.stringify({ ...definition, itemCount: items.length }), model_id: d.modelId, model_version: d.modelVersion, position: e.position,
            })
            .onConflict('evaluation_id')
            .ignore();
          break;
        }
        case 'evaluation.started':
          await evaluation().update({ status: 'running', stop_reason: null, units_failed: 0, updated_at: at, position: e.position });
          // A new run tries the failed units again: their failures no longer count.
          await trx(tables.evaluation_results).where({ evaluation_id: d.evaluationId, status: 'failed' }).delete();
          break;
        case 'evaluation.stopped':
          await evaluation().update({ status: 'stopped', stop_reason: d.reason, spent_usd: d.spentUsd, updated_at: at, position: e.position });
          break;
        case 'evaluation.item-scored':
        case 'evaluation.item-failed': {
          const r = d as unknown as { configurationId: string; itemIndex: number; variant: string | null; answer?: string; retrievedDocumentIds?: string[]; scores?: unknown; abstentions?: unknown; judgeCalls?: unknown; usage?: { inputTokens: number; outputTokens: number }; costUsd?: number | null; latencyMs?: number; failure?: string; reason?: string };
          const key = { evaluation_id: d.evaluationId, configuration_id: r.configurationId, item_index: r.itemIndex, variant: r.variant ?? '' };
          const scored = e.type === 'evaluation.item-scored';
          const existing = (await trx(tables.evaluation_results).where(key).first('status')) as { status: string } | undefined;
          if (existing?.status === 'scored') break;
          const row = scored
            ? { status: 'scored', answer: r.answer, retrieved_document_ids: JSON.stringify(r.retrievedDocumentIds), scores: JSON.stringify(r.scores), abstentions: JSON.stringify(r.abstentions), judge_calls: JSON.stringify(r.judgeCalls), input_tokens: r.usage!.inputTokens, output_tokens: r.usage!.outputTokens, cost_usd: r.costUsd, latency_ms: r.latencyMs, failure: null, reason: null }
            : { status: 'failed', failure: r.failure, reason: r.reason };
          if (existing) await trx(tables.evaluation_results).where(key).update({ ...row, position: e.position });
          else await trx(tables.evaluation_results).insert({ ...key, ...row, position: e.position });
          await evaluation().update({
            ...(scored ? { units_scored: trx.raw('units_scored + 1'), spent_usd: trx.raw('spent_usd + ?', [r.costUsd ?? 0]) } : {}),
            units_failed: trx.raw(`units_failed + ?`, [scored ? (existing ? -1 : 0) : existing ? 0 : 1]),
            updated_at: at,
            position: e.position,
          });
          break;
        }
        case 'evaluation.completed':
          await evaluation().update({ status: 'completed', spent_usd: d.spentUsd, aggregates: JSON.stringify(d.aggregates), fairness: JSON.stringify(d.fairness), receipt: JSON.stringify(d.receipt), updated_at: at, position: e.position });
          break;
      }
    }
  },
});

export type EvaluationSummary = {
  evaluationId: string;
  name: string;
  type: 'llm' | 'rag' | 'comparison';
  status: 'created' | 'running' | 'stopped' | 'completed';
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  progress: { total: number; scored: number; failed: number; fraction: number };
  spentUsd: number;
  stopReason: string | null;
  modelId: string | null;
  modelVersion: number | null;
  /** The evaluation.created record without its items, and how many items there were. */
  definition: Omit<z.infer<typeof evaluationCreated.schema>, 'items'> & { itemCount: number };
  aggregates: { configurationId: string; metrics: { metric: string; n: number; mean: number | null; ciLow: number | null; ciHigh: number | null; abstentions: number }[] }[] | null;
  fairness: Completed['fairness'] | null;
  receipt: Completed['receipt'] | null;
};

type Completed = z.infer<typeof evaluationCompleted.schema>;

type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (v: unknown) => new Date(v as string).toISOString();

const summaryOf = (r: Row): EvaluationSummary => {
  const total = Number(r.units_total);
  const scored = Number(r.units_scored);
  const failed = Number(r.units_failed);
  return {
    evaluationId: r.evaluation_id as string,
    name: r.name as string,
    type: r.type as EvaluationSummary['type'],
    status: r.status as EvaluationSummary['status'],
    createdBy: r.created_by as string,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    progress: { total, scored, failed, fraction: total === 0 ? 1 : (scored + failed) / total },
    spentUsd: Number(r.spent_usd),
    stopReason: (r.stop_reason as string | null) ?? null,
    modelId: (r.model_id as string | null) ?? null,
    modelVersion: r.model_version === null || r.model_version === undefined ? null : Number(r.model_version),
    definition: json<EvaluationSummary['definition']>(r.definition),
    aggregates: r.aggregates ? json<EvaluationSummary['aggregates']>(r.aggregates) : null,
    fairness: r.fairness ? json<Completed['fairness']>(r.fairness) : null,
    receipt: r.receipt ? json<Completed['receipt']>(r.receipt) : null,
  };
};

/** The evaluation list's sort fields; newest first unless asked otherwise. */
export const evaluationListOrder = listOrder({ columns: { createdAt: 'created_at', updatedAt: 'updated_at', name: 'name' }, unique: 'evaluation_id', defaultSort: 'createdAt', defaultOrder: 'desc' });

/** An evaluation's results in item order (then variant and configuration) unless asked otherwise. */
export const evaluationResultOrder = listOrder({ columns: { itemIndex: 'item_index', status: 'status' }, unique: ['item_index', 'variant', 'configuration_id'], defaultSort: 'itemIndex', defaultOrder: 'asc' });

export async function listEvaluations(knex: Knex, filter: { status?: string; type?: string } & PageRequest<keyof typeof evaluationListOrder.columns>): Promise<{ evaluations: EvaluationSummary[]; total: number }> {
  const q = knex('evaluations')
    .modify((b) => (filter.status ? b.where('status', filter.status) : b))
    .modify((b) => (filter.type ? b.where('type', filter.type) : b));
  const [rows, count] = await Promise.all([sortedPage(q.clone(), filter, evaluationListOrder), q.clone().count({ n: '*' }).first()]);
  return { evaluations: (rows as Row[]).map(summaryOf), total: Number((count as { n: unknown } | undefined)?.n ?? 0) };
}

export async function findEvaluation(knex: Knex, evaluationId: string): Promise<EvaluationSummary | null> {
  const r = (await knex('evaluations').where('evaluation_id', evaluationId).first()) as Row | undefined;
  return r ? summaryOf(r) : null;
}

export type EvaluationResultRow = {
  configurationId: string;
  itemIndex: number;
  variant: string | null;
  status: 'scored' | 'failed';
  answer: string | null;
  retrievedDocumentIds: string[];
  scores: Record<string, number | null>;
  abstentions: Record<string, string>;
  judgeCalls: z.infer<typeof judgeCallSchema>[];
  usage: { inputTokens: number; outputTokens: number } | null;
  costUsd: number | null;
  latencyMs: number | null;
  failure: string | null;
  reason: string | null;
};

export async function evaluationResults(knex: Knex, evaluationId: string, page: PageRequest<keyof typeof evaluationResultOrder.columns> & { configurationId?: string }): Promise<{ results: EvaluationResultRow[]; total: number }> {
  const q = knex('evaluation_results').where('evaluation_id', evaluationId).modify((b) => (page.configurationId ? b.where('configuration_id', page.configurationId) : b));
  const [rows, count] = await Promise.all([sortedPage(q.clone(), page, evaluationResultOrder), q.clone().count({ n: '*' }).first()]);
  return {
    total: Number((count as { n: unknown } | undefined)?.n ?? 0),
    results: (rows as Row[]).map((r) => ({
      configurationId: r.configuration_id as string,
      itemIndex: Number(r.item_index),
      variant: r.variant === '' ? null : (r.variant as string),
      status: r.status as 'scored' | 'failed',
      answer: (r.answer as string | null) ?? null,
      retrievedDocumentIds: r.retrieved_document_ids ? json<string[]>(r.retrieved_document_ids) : [],
      scores: r.scores ? json<Record<string, number | null>>(r.scores) : {},
      abstentions: r.abstentions ? json<Record<string, string>>(r.abstentions) : {},
      judgeCalls: r.judge_calls ? json<EvaluationResultRow['judgeCalls']>(r.judge_calls) : [],
      usage: r.input_tokens === null || r.input_tokens === undefined ? null : { inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens) },
      costUsd: r.cost_usd === null || r.cost_usd === undefined ? null : Number(r.cost_usd),
      latencyMs: r.latency_ms === null || r.latency_ms === undefined ? null : Number(r.latency_ms),
      failure: (r.failure as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
    })),
  };
}
