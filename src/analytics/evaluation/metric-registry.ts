/**
 * Every metric an evaluation may request, with the version recorded in each receipt. A metric's
 * version changes whenever its formula, tokeniser, default parameters or (for judge metrics) its
 * prompt changes, so a recorded score can always be recomputed with the same definition.
 * Formulas and sources: docs/evaluations-metrics.md.
 */
export type MetricKind = 'offline' | 'judge';
export type MetricDirection = 'higher-is-better' | 'lower-is-better';
/** 'pass-fail' metrics take the values 0 and 1 per item (compared with McNemar); 'continuous' ones any value in their range. */
export type MetricScale = 'pass-fail' | 'continuous';

/** What an item must carry for the metric to apply. */
export type MetricInput =
  | 'prediction'
  | 'references'
  | 'retrievedIds'
  | 'relevantIds'
  | 'retrievedContexts'
  | 'referenceContexts'
  | 'embeddings'
  | 'jsonSchema'
  | 'latency'
  | 'tokens'
  | 'prices'
  | 'question';

export const OFFLINE_METRIC_IDS = [
  'exact_match',
  'token_f1',
  'rouge1',
  'rouge2',
  'rougeL',
  'bleu',
  'chrf',
  'levenshtein_similarity',
  'embedding_cosine',
  'hit_at_k',
  'precision_at_k',
  'recall_at_k',
  'mrr',
  'ndcg_at_k',
  'non_llm_context_precision',
  'non_llm_context_recall',
  'refusal',
  'json_valid',
  'json_schema_valid',
  'latency_ms',
  'total_tokens',
  'cost_usd',
] as const;
export type OfflineMetricId = (typeof OFFLINE_METRIC_IDS)[number];

export const JUDGE_METRIC_IDS = ['faithfulness', 'answer_relevancy', 'context_precision', 'context_recall', 'hallucination', 'g_eval', 'toxicity', 'bias'] as const;
export type JudgeMetricId = (typeof JUDGE_METRIC_IDS)[number];

export type MetricId = OfflineMetricId | JudgeMetricId;

export type MetricDefinition = {
  id: MetricId;
  version: string;
  kind: MetricKind;
  direction: MetricDirection;
  scale: MetricScale;
  /** Closed range of a per-item value; null upper bound for unbounded quantities (latency, tokens, cost). */
  range: readonly [number, number | null];
  needs: readonly MetricInput[];
  description: string;
};

const offline = (
  id: OfflineMetricId,
  version: string,
  direction: MetricDirection,
  scale: MetricScale,
  needs: readonly MetricInput[],
  description: string,
  range: readonly [number, number | null] = [0, 1],
): MetricDefinition => ({ id, version, kind: 'offline', direction, scale, range, needs, description });

const judge = (id: JudgeMetricId, version: string, direction: MetricDirection, needs: readonly MetricInput[], description: string): MetricDefinition => ({
  id,
  version,
  kind: 'judge',
  direction,
  scale: 'continuous',
  range: [0, 1],
  needs,
  description,
});

const HIGHER = 'higher-is-better';
const LOWER = 'lower-is-better';

export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
  offline('exact_match', '1', HIGHER, 'pass-fail', ['prediction', 'references'], 'SQuAD v2 exact match after normalisation, max over references'),
  offline('token_f1', '1', HIGHER, 'continuous', ['prediction', 'references'], 'SQuAD v2 token F1 after normalisation, max over references'),
  offline('rouge1', '1', HIGHER, 'continuous', ['prediction', 'references'], 'ROUGE-1 F1 (rouge-score default tokenizer, no stemming), max over references'),
  offline('rouge2', '1', HIGHER, 'continuous', ['prediction', 'references'], 'ROUGE-2 F1 (rouge-score default tokenizer, no stemming), max over references'),
  offline('rougeL', '1', HIGHER, 'continuous', ['prediction', 'references'], 'ROUGE-L (LCS) F1 (rouge-score default tokenizer), max over references'),
  offline('bleu', '1', HIGHER, 'continuous', ['prediction', 'references'], 'sacrebleu sentence BLEU (13a tokenizer, exp smoothing, effective order), divided by 100'),
  offline('chrf', '1', HIGHER, 'continuous', ['prediction', 'references'], 'sacrebleu sentence chrF (char order 6, beta 2, whitespace excluded), divided by 100'),
  offline('levenshtein_similarity', '1', HIGHER, 'continuous', ['prediction', 'references'], '1 - Levenshtein distance / max length (code points), max over references'),
  offline('embedding_cosine', '1', HIGHER, 'continuous', ['embeddings'], 'cosine similarity of the answer and reference embeddings', [-1, 1]),
  offline('hit_at_k', '1', HIGHER, 'pass-fail', ['retrievedIds', 'relevantIds'], '1 when a relevant id is among the first k retrieved'),
  offline('precision_at_k', '1', HIGHER, 'continuous', ['retrievedIds', 'relevantIds'], 'relevant ids among the first k retrieved / k'),
  offline('recall_at_k', '1', HIGHER, 'continuous', ['retrievedIds', 'relevantIds'], 'relevant ids among the first k retrieved / relevant ids'),
  offline('mrr', '1', HIGHER, 'continuous', ['retrievedIds', 'relevantIds'], 'reciprocal rank of the first relevant id (0 when none)'),
  offline('ndcg_at_k', '1', HIGHER, 'continuous', ['retrievedIds', 'relevantIds'], 'nDCG@k with log2 discount, graded gains when grades are given, else binary'),
  offline('non_llm_context_precision', '1', HIGHER, 'continuous', ['retrievedContexts', 'referenceContexts'], "Ragas NonLLMContextPrecisionWithReference (Levenshtein similarity >= 0.5, Ragas' average precision)"),
  offline('non_llm_context_recall', '1', HIGHER, 'continuous', ['retrievedContexts', 'referenceContexts'], 'Ragas NonLLMContextRecall (reference contexts matched with Levenshtein similarity > 0.5 / reference contexts)'),
  offline('refusal', '1', LOWER, 'pass-fail', ['prediction'], '1 when the answer is a refusal by the documented phrase rule; its mean is the refusal rate'),
  offline('json_valid', '1', HIGHER, 'pass-fail', ['prediction'], '1 when the answer parses as JSON (RFC 8259)'),
  offline('json_schema_valid', '1', HIGHER, 'pass-fail', ['prediction', 'jsonSchema'], '1 when the answer parses as JSON and validates against the item schema (ajv, draft 2020-12 keywords accepted by ajv)'),
  offline('latency_ms', '1', LOWER, 'continuous', ['latency'], 'answer latency in milliseconds', [0, null]),
  offline('total_tokens', '1', LOWER, 'continuous', ['tokens'], 'input plus output tokens', [0, null]),
  offline('cost_usd', '1', LOWER, 'continuous', ['tokens', 'prices'], 'input tokens × input price + output tokens × output price, prices per million tokens', [0, null]),
  judge('faithfulness', '1', HIGHER, ['question', 'prediction', 'retrievedContexts'], 'Ragas faithfulness: answer statements supported by the contexts / statements'),
  judge('answer_relevancy', '1', HIGHER, ['question', 'prediction', 'embeddings'], 'Ragas answer relevancy: mean cosine of generated questions to the question, 0 when all noncommittal'),
  judge('context_precision', '1', HIGHER, ['question', 'retrievedContexts', 'references'], 'Ragas LLMContextPrecisionWithReference: average precision of useful-context verdicts'),
  judge('context_recall', '1', HIGHER, ['question', 'retrievedContexts', 'references'], 'Ragas LLMContextRecall: reference statements attributable to the contexts / statements'),
  judge('hallucination', '1', LOWER, ['prediction', 'retrievedContexts'], 'DeepEval hallucination: contexts contradicted by the output / contexts'),
  judge('g_eval', '1', HIGHER, ['question', 'prediction'], 'DeepEval G-Eval with a user rubric, integer score normalised to 0..1 (no log-probabilities)'),
  judge('toxicity', '1', LOWER, ['prediction'], 'DeepEval toxicity: toxic opinions / opinions, 0 without opinions'),
  judge('bias', '1', LOWER, ['prediction'], 'DeepEval bias: biased opinions / opinions, 0 without opinions'),
];

const BY_ID = new Map<string, MetricDefinition>(METRIC_DEFINITIONS.map((definition) => [definition.id, definition]));

export function metricDefinition(id: string): MetricDefinition | undefined {
  return BY_ID.get(id);
}

export function isOfflineMetricId(id: string): id is OfflineMetricId {
  return BY_ID.get(id)?.kind === 'offline';
}

export function isJudgeMetricId(id: string): id is JudgeMetricId {
  return BY_ID.get(id)?.kind === 'judge';
}

export type MetricSelection = { ok: true; metrics: MetricDefinition[] } | { ok: false; unknown: string[]; duplicated: string[] };

/** Validates requested metric names: every one known, none twice. Keeps the requested order. */
export function selectMetrics(ids: readonly string[]): MetricSelection {
  const unknown = ids.filter((id) => !BY_ID.has(id));
  const seen = new Set<string>();
  const duplicated: string[] = [];
  for (const id of ids) {
    if (seen.has(id) && !duplicated.includes(id)) duplicated.push(id);
    seen.add(id);
  }
  if (unknown.length > 0 || duplicated.length > 0) return { ok: false, unknown, duplicated };
  return { ok: true, metrics: ids.map((id) => BY_ID.get(id)!) };
}

/** The `metricDefinitions` part of a receipt: id and version of each metric used, in the order given. */
export function metricReceipt(metrics: readonly MetricDefinition[]): { id: MetricId; version: string }[] {
  return metrics.map(({ id, version }) => ({ id, version }));
}
