import { randomInt, randomUUID } from 'node:crypto';
import { handleCommand } from '../../commands/command-handler.js';
import { evaluationDecider, evaluationStreamId, unitKey, workUnits, type EvaluationDefinition, type EvaluationState } from '../../commands/evaluation/evaluation.decider.js';
import type { Actor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { BlobStorage } from '../../platform/blob-storage.js';
import type { Knex } from '../../platform/database.js';
import { findModel, findModelVersion } from '../../projections/model-registry.projection.js';
import { InvalidLlmInput } from '../llm/llm-errors.js';
import { priceOf } from '../llm/llm-pricing.js';
import { estimateUnits, type CallEstimate } from './cost-estimate.js';
import { datasetItems, inlineItems, itemsSha256, type ColumnMapping, type InlineItem } from './evaluation-items.js';
import { EvaluationStream } from './evaluation-stream.js';
import { isJudgeMetric, metricRequirements, selectMetricDefinitions } from './metric-suite.js';
import { configurationAt, pinConfiguration, type EvaluatedConfiguration, type LiveConfiguration } from './pinned-configuration.js';

export type EvaluationDependencies = { store: EventStore; catalogue: EventCatalogue; knex: Knex; blobs: BlobStorage };

export type EvaluationInput = {
  name: string;
  type: 'llm' | 'rag' | 'comparison';
  configurationIds: string[];
  judgeConfigurationId?: string | null;
  metrics: string[];
  rubric?: string | null;
  items?: InlineItem[];
  dataset?: { datasetId: string; version?: number; mapping: ColumnMapping };
  retrieval?: { k: number } | null;
  counterfactual?: { groups: Record<string, string[]> } | null;
  seed?: number;
  budgetUsd?: number | null;
  concurrency?: number;
  requestsPerMinute?: number | null;
  model?: { modelId: string; version: number } | null;
};

type Meta = { actor: Actor; userId: string; correlationId?: string };
type Problem = { field: string; message: string };

/**
 * Defines an evaluation: every reason the input cannot run is a 400 naming its field, before
 * anything is recorded; the configurations are pinned at their current versions, the items read
 * (and hashed), and the whole recorded as evaluation.created.
 */
export async function createEvaluation(deps: EvaluationDependencies, input: EvaluationInput, meta: Meta): Promise<{ evaluationId: string; position: number; units: number }> {
  const problems: Problem[] = [];
  const selected = selectMetricDefinitions(input.metrics);
  if (!selected.ok) problems.push(...selected.problems.map((message) => ({ field: 'body.metrics', message })));
  const wantsJudge = selected.ok && selected.metrics.some((m) => isJudgeMetric(m.id));
  if (input.type === 'comparison' && input.configurationIds.length < 2) problems.push({ field: 'body.configurationIds', message: 'a comparison needs at least two configurations' });
  if (input.type !== 'comparison' && input.configurationIds.length !== 1) problems.push({ field: 'body.configurationIds', message: `an ${input.type} evaluation takes exactly one configuration (use type comparison for several)` });
  if (new Set(input.configurationIds).size !== input.configurationIds.length) problems.push({ field: 'body.configurationIds', message: 'a configuration is named twice' });
  if (wantsJudge && !input.judgeConfigurationId) problems.push({ field: 'body.judgeConfigurationId', message: 'judge metrics need a judge configuration' });
  if (selected.ok && selected.metrics.some((m) => m.id === 'g_eval') && !input.rubric) problems.push({ field: 'body.rubric', message: 'g_eval needs a rubric' });
  if (input.type === 'rag' && !input.retrieval) problems.push({ field: 'body.retrieval', message: 'a rag evaluation needs retrieval ({ k })' });
  if ((input.items ? 1 : 0) + (input.dataset ? 1 : 0) !== 1) problems.push({ field: 'body.items', message: 'give the items inline (items) or from a registered dataset (dataset), one of the two' });
  if (input.counterfactual && Object.keys(input.counterfactual.groups).length < 2) problems.push({ field: 'body.counterfactual.groups', message: 'counterfactual fairness needs at least two groups' });
  if (input.counterfactual) {
    const sizes = new Set(Object.values(input.counterfactual.groups).map((terms) => terms.length));
    if (sizes.size > 1) problems.push({ field: 'body.counterfactual.groups', message: 'every group lists the same number of terms (the i-th terms of the groups are swapped for one another)' });
  }
  if (input.model) {
    const model = await findModel(deps.knex, input.model.modelId);
    if (!model) problems.push({ field: 'body.model.modelId', message: `model ${input.model.modelId} does not exist` });
    else if (!(await findModelVersion(deps.knex, input.model.modelId, input.model.version))) problems.push({ field: 'body.model.version', message: `model ${input.model.modelId} has no version ${input.model.version}` });
  }

  const pinned: { pinned: EvaluatedConfiguration; configuration: LiveConfiguration }[] = [];
  for (const [i, id] of input.configurationIds.entries()) {
    try {
      pinned.push(await pinConfiguration(deps, id, `body.configurationIds.${i}`));
    } catch (error) {
      if (error instanceof InvalidLlmInput) problems.push(...error.errors);
      else throw error;
    }
  }
  let judge: { pinned: EvaluatedConfiguration; configuration: LiveConfiguration } | null = null;
  if (input.judgeConfigurationId && wantsJudge) {
    try {
      judge = await pinConfiguration(deps, input.judgeConfigurationId, 'body.judgeConfigurationId');
    } catch (error) {
      if (error instanceof InvalidLlmInput) problems.push(...error.errors);
      else throw error;
    }
  }
  if (input.budgetUsd !== undefined && input.budgetUsd !== null) {
    for (const [i, p] of pinned.entries()) if (!priceOf(p.configuration.model, p.configuration.pricing)) problems.push({ field: `body.configurationIds.${i}`, message: `the price of ${p.configuration.model} is unknown, so a budget cannot be kept: give the configuration a pricing` });
    if (judge && !priceOf(judge.configuration.model, judge.configuration.pricing)) problems.push({ field: 'body.judgeConfigurationId', message: `the price of ${judge.configuration.model} is unknown, so a budget cannot be kept: give the configuration a pricing` });
  }
  if (problems.length > 0) throw new InvalidLlmInput(problems);

  const loaded = input.dataset
    ? await datasetItems(deps, input.dataset).then((d) => ({ items: d.items, source: { kind: 'dataset' as const, datasetId: input.dataset!.datasetId, datasetVersion: d.datasetVersion, contentHash: d.contentHash, mapping: { ...input.dataset!.mapping } as Record<string, string | string[]> } }))
    : (() => {
        const items = inlineItems(input.items!);
        return { items, source: { kind: 'inline' as const, contentHash: itemsSha256(items) } };
      })();
  const missing = metricRequirements(selected.ok ? selected.metrics.map((m) => m.id) : [], loaded.items, { retrieval: Boolean(input.retrieval) });
  if (missing.length > 0) throw new InvalidLlmInput(missing.map((message) => ({ field: 'body.metrics', message })));

  const evaluationId = randomUUID();
  const definition: EvaluationDefinition = {
    evaluationId,
    name: input.name.trim(),
    type: input.type,
    createdBy: meta.userId,
    configurations: pinned.map((p) => p.pinned),
    judge: judge?.pinned ?? null,
    metrics: selected.ok ? selected.metrics.map(({ id, version }) => ({ id, version })) : [],
    rubric: input.rubric ?? null,
    source: loaded.source,
    items: loaded.items,
    itemsSha256: itemsSha256(loaded.items),
    retrieval: input.retrieval ?? null,
    counterfactual: input.counterfactual ?? null,
    seed: input.seed ?? randomInt(0, 2 ** 31 - 1),
    budgetUsd: input.budgetUsd ?? null,
    concurrency: input.concurrency ?? 4,
    requestsPerMinute: input.requestsPerMinute ?? null,
    modelId: input.model?.modelId ?? null,
    modelVersion: input.model?.version ?? null,
  };
  const result = await handleCommand(deps, evaluationDecider, evaluationStreamId(evaluationId), { type: 'CreateEvaluation', definition }, meta);
  return { evaluationId, position: result.position, units: workUnits(definition).length };
}

/** The evaluation as its stream says; null when it does not exist. */
export async function evaluationState(deps: Pick<EvaluationDependencies, 'store' | 'catalogue'>, evaluationId: string): Promise<Exclude<EvaluationState, { status: 'none' }> | null> {
  const stream = await new EvaluationStream(deps, evaluationId).load();
  return stream.state.status === 'none' ? null : stream.state;
}

export type DryRun = CallEstimate & { units: number; unitsOpen: number; budgetUsd: number | null; withinBudget: boolean | null };

/** What running (the rest of) an evaluation will cost at most, spending nothing: no provider is called. */
export async function estimateEvaluation(deps: Pick<EvaluationDependencies, 'store' | 'catalogue'>, state: Exclude<EvaluationState, { status: 'none' }>): Promise<DryRun> {
  const definition = state.definition;
  const configurations = new Map<string, LiveConfiguration>();
  for (const pinned of definition.configurations) {
    const c = await configurationAt(deps, pinned);
    if (c) configurations.set(pinned.configurationId, c);
  }
  const judge = definition.judge ? await configurationAt(deps, definition.judge) : null;
  const all = workUnits(definition);
  const open = all.filter((u) => configurations.has(u.configurationId) && !state.scored.has(unitKey(u)));
  const estimate = estimateUnits(definition, (id) => ({ answerer: configurations.get(id)!, judge }), open);
  const remaining = definition.budgetUsd === null ? null : definition.budgetUsd - state.spentUsd;
  return { ...estimate, units: all.length, unitsOpen: open.length, budgetUsd: definition.budgetUsd, withinBudget: remaining === null || estimate.costUsd === null ? null : estimate.costUsd <= remaining };
}

/** Records evaluation.started with the estimate; the runner (following the ledger) takes it from there. */
export async function startEvaluation(deps: EvaluationDependencies, evaluationId: string, meta: Meta): Promise<{ position: number; estimate: DryRun } | null> {
  const state = await evaluationState(deps, evaluationId);
  if (!state) return null;
  const estimate = await estimateEvaluation(deps, state);
  const result = await handleCommand(deps, evaluationDecider, evaluationStreamId(evaluationId), { type: 'StartEvaluation', startedBy: meta.userId, estimate: { calls: estimate.calls, inputTokens: estimate.inputTokens, outputTokens: estimate.outputTokens, costUsd: estimate.costUsd } }, meta);
  return { position: result.position, estimate };
}

/** Records evaluation.stopped on request; the runner halts at once (results in flight are dropped). */
export async function stopEvaluation(deps: EvaluationDependencies, evaluationId: string, meta: Meta): Promise<{ position: number } | null> {
  const state = await evaluationState(deps, evaluationId);
  if (!state) return null;
  const result = await handleCommand(deps, evaluationDecider, evaluationStreamId(evaluationId), { type: 'StopEvaluation', reason: 'requested', stoppedBy: meta.userId, detail: 'stopped on request' }, meta);
  return { position: result.position };
}
