import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { llmParametersSchema, llmPricingSchema } from './llm.events.js';

const evaluationId = z.uuid();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const usage = z.object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() });

export const EVALUATION_TYPES = ['llm', 'rag', 'comparison'] as const;

/** A configuration as it stood when the evaluation was created: its stream version pins it. */
export const evaluatedConfigurationSchema = z.object({
  configurationId: z.uuid(),
  /** Stream version of the configuration's last event when the evaluation was created. */
  version: z.number().int().nonnegative(),
  provider: z.string(),
  model: z.string(),
  baseUrl: z.string().nullable(),
  parameters: llmParametersSchema,
  pricing: llmPricingSchema.nullable(),
  promptTemplateSha256: sha256,
});

/** Where the items came from and the hash anyone can check them against. */
export const itemSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('dataset'),
    datasetId: z.uuid(),
    datasetVersion: z.number().int().positive(),
    /** SHA-256 of the dataset file, as registered. */
    contentHash: sha256,
    mapping: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  }),
  z.object({ kind: z.literal('inline'), contentHash: sha256 }),
]);

/** One item as the runner uses it (after column mapping); the items' canonical JSON hashes to `itemsSha256`. */
export const evaluationItemSchema = z.object({
  question: z.string(),
  referenceAnswer: z.string().nullable(),
  referenceContexts: z.array(z.string()),
  relevantDocumentIds: z.array(z.string()),
  group: z.record(z.string(), z.string()),
});

export const metricDefinitionSchema = z.object({ id: z.string(), version: z.string() });

export const counterfactualSchema = z.object({
  /** Group name -> the terms (words or names) standing for it; each item is asked once per group with its terms swapped in. */
  groups: z.record(z.string(), z.array(z.string().min(1)).min(1)),
});

export const evaluationCreated = defineEvent({
  type: 'evaluation.created',
  schemaVersion: 1,
  schema: z.object({
    evaluationId,
    name: z.string().min(1).max(200),
    type: z.enum(EVALUATION_TYPES),
    createdBy: z.string().min(1),
    configurations: z.array(evaluatedConfigurationSchema).min(1),
    judge: evaluatedConfigurationSchema.nullable(),
    metrics: z.array(metricDefinitionSchema).min(1),
    rubric: z.string().nullable(),
    source: itemSourceSchema,
    /** The items themselves, so the receipt is complete; dataset rows carry no personal columns (refused at creation). */
    items: z.array(evaluationItemSchema).min(1),
    itemsSha256: sha256,
    retrieval: z.object({ k: z.number().int().min(1).max(50) }).nullable(),
    counterfactual: counterfactualSchema.nullable(),
    seed: z.number().int().nonnegative(),
    budgetUsd: z.number().nonnegative().nullable(),
    concurrency: z.number().int().min(1).max(64),
    requestsPerMinute: z.number().int().min(1).nullable(),
    modelId: z.uuid().nullable(),
    modelVersion: z.number().int().positive().nullable(),
  }),
  description: 'An evaluation was defined: configurations (pinned by version), judge, metrics and their versions, items and their hash, seed, budget and limits.',
});

export const evaluationStarted = defineEvent({
  type: 'evaluation.started',
  schemaVersion: 1,
  schema: z.object({
    evaluationId,
    startedBy: z.string().min(1),
    /** The dry-run estimate of the whole run when it was started. */
    estimate: z.object({ calls: z.number().int().nonnegative(), inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative(), costUsd: z.number().nonnegative().nullable() }),
  }),
  description: 'An evaluation run was started (or started again after a stop); the runner resumes at the next unscored item.',
});

export const evaluationStopped = defineEvent({
  type: 'evaluation.stopped',
  schemaVersion: 1,
  schema: z.object({
    evaluationId,
    reason: z.enum(['requested', 'budget']),
    stoppedBy: z.string().min(1),
    detail: z.string().max(2000),
    spentUsd: z.number().nonnegative(),
  }),
  description: 'An evaluation run stopped: on request, or before the next item would have exceeded its budget.',
});

/** One judge call behind a score: the cache key names (provider, model, parameters, prompt). */
export const judgeCallSchema = z.object({
  metric: z.string(),
  cacheKey: sha256,
  promptSha256: sha256,
  promptVersion: z.string(),
  cached: z.boolean(),
  usage,
  costUsd: z.number().nonnegative().nullable(),
});

export const evaluationItemScored = defineEvent({
  type: 'evaluation.item-scored',
  schemaVersion: 1,
  schema: z.object({
    evaluationId,
    itemIndex: z.number().int().nonnegative(),
    /** null for the base question, else the counterfactual group whose terms were swapped in. */
    variant: z.string().nullable(),
    configurationId: z.uuid(),
    configurationVersion: z.number().int().nonnegative(),
    answer: z.string(),
    retrievedDocumentIds: z.array(z.string()),
    /** metric id -> score; null when the metric does not apply or the judge abstained (see `abstentions`). */
    scores: z.record(z.string(), z.number().nullable()),
    abstentions: z.record(z.string(), z.string()),
    judgeCalls: z.array(judgeCallSchema),
    /** Tokens and USD spent on this unit: the answer plus the judge calls not answered from the cache. */
    usage,
    costUsd: z.number().nonnegative().nullable(),
    latencyMs: z.number().nonnegative(),
  }),
  description: 'One item answered by one configuration and scored: answer, metric scores, abstentions, judge calls (cache key, prompt hash), usage and cost.',
});

export const evaluationItemFailed = defineEvent({
  type: 'evaluation.item-failed',
  schemaVersion: 1,
  schema: z.object({
    evaluationId,
    itemIndex: z.number().int().nonnegative(),
    variant: z.string().nullable(),
    configurationId: z.uuid(),
    failure: z.string(),
    reason: z.string().max(2000),
  }),
  description: 'One item could not be answered or judged (provider failure); the run went on.',
});

export const metricAggregateSchema = z.object({
  metric: z.string(),
  n: z.number().int().nonnegative(),
  mean: z.number().nullable(),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  abstentions: z.number().int().nonnegative(),
});

export const evaluationCompleted = defineEvent({
  type: 'evaluation.completed',
  schemaVersion: 1,
  schema: z.object({
    evaluationId,
    itemsScored: z.number().int().nonnegative(),
    itemsFailed: z.number().int().nonnegative(),
    spentUsd: z.number().nonnegative(),
    /** Per configuration, per metric: mean with a seeded percentile bootstrap 95% interval. */
    aggregates: z.array(z.object({ configurationId: z.uuid(), metrics: z.array(metricAggregateSchema) })),
    /**
     * Counterfactual fairness: per configuration and metric, the mean per group over the items'
     * variants, each group against the reference (the best) group, the largest difference and
     * smallest ratio between groups, and the mean per-item gap (Garg et al. 2019).
     */
    fairness: z.array(
      z.object({
        configurationId: z.uuid(),
        metric: z.string(),
        referenceGroup: z.string().nullable(),
        groups: z.array(z.object({ group: z.string(), n: z.number().int().nonnegative(), mean: z.number().nullable(), differenceToReference: z.number().nullable(), ratioToReference: z.number().nullable() })),
        difference: z.number().nullable(),
        ratio: z.number().nullable(),
        counterfactualGap: z.number().nullable(),
      }),
    ),
    receipt: z.object({
      configurations: z.array(z.object({ configurationId: z.uuid(), version: z.number().int().nonnegative() })),
      source: itemSourceSchema,
      itemsSha256: sha256,
      metrics: z.array(metricDefinitionSchema),
      judge: z.object({ provider: z.string(), model: z.string(), parameters: llmParametersSchema, promptVersions: z.record(z.string(), z.string()) }).nullable(),
      seed: z.number().int().nonnegative(),
      codeVersion: z.string(),
    }),
    modelId: z.uuid().nullable(),
    modelVersion: z.number().int().positive().nullable(),
  }),
  description: 'An evaluation finished every item: aggregates with confidence intervals, counterfactual fairness, and the receipt to recompute them.',
});

export const evaluationEvents = [evaluationCreated, evaluationStarted, evaluationStopped, evaluationItemScored, evaluationItemFailed, evaluationCompleted];
