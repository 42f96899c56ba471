export * from './metric-registry.js';
export type { MetricScore, OfflineItem, OfflineOptions } from './offline-item.js';
export { DEFAULT_K, scoreOfflineItem } from './offline-scoring.js';
export { answerTokens, exactMatch, normalizeAnswer, tokenF1 } from './squad-answer-match.js';
export { rouge, rougeTokens, type RougeScore, type RougeVariant } from './rouge.js';
export { corpusBleu, sentenceBleu, tokenize13a, type BleuScore } from './bleu.js';
export { corpusChrf, sentenceChrf } from './chrf.js';
export { codePoints } from './code-points.js';
export { levenshteinDistance, normalizedLevenshteinSimilarity } from './levenshtein.js';
export { cosineSimilarity } from './cosine-similarity.js';
export { hitAtK, ndcgAtK, precisionAtK, recallAtK, reciprocalRank } from './retrieval-metrics.js';
export { DEFAULT_CONTEXT_SIMILARITY_THRESHOLD, nonLlmContextPrecision, nonLlmContextRecall, ragasAveragePrecision } from './non-llm-context-metrics.js';
export { isRefusal, REFUSAL_PHRASES, refusalPhrase, refusalRate } from './refusal-detection.js';
export { checkJsonSchema, jsonSchemaError, parseJsonAnswer, type JsonCheck } from './json-validity.js';
export { callCost, summarizeUsage, type TokenPrices, type UsageSummary } from './usage-aggregation.js';
export { abstain, extractJsonObject, parseVerdict, type JudgeMessage, type JudgePrompt, type JudgeScore, type Verdict } from './judge/judge-verdict.js';
export { comparisonVerdict, verdictStatement, type ComparisonVerdict } from './comparison/comparison-verdict.js';
export { holmAdjust } from './comparison/holm-adjustment.js';
export { mcnemarFromCounts, mcnemarTest, type McNemarResult } from './comparison/mcnemar-test.js';
export { pairedBootstrapMeanDifference, DEFAULT_BOOTSTRAP_RESAMPLES, type BootstrapOptions, type MeanDifferenceInterval } from './comparison/paired-bootstrap.js';
export { signFlipPermutationTest, type PermutationResult } from './comparison/sign-flip-permutation-test.js';
export { wilcoxonSignedRank, type WilcoxonResult } from './comparison/wilcoxon-signed-rank.js';
export {
  comparePairedMetrics,
  type ContinuousTest,
  type MetricPairs,
  type PairedComparisonOptions,
  type PairedMetricComparison,
} from './comparison/paired-metric-comparison.js';
export { buildJudgePrompt, JUDGE_SYSTEM_MESSAGE } from './judge/judge-prompt.js';
export { JUDGE_PROMPT_VERSIONS } from './judge/judge-prompt-versions.js';
export {
  FAITHFULNESS_PROMPT_VERSION,
  faithfulnessScore,
  faithfulnessStatementsPrompt,
  faithfulnessVerdictsPrompt,
  parseFaithfulnessStatements,
  parseFaithfulnessVerdicts,
} from './judge/faithfulness.js';
export {
  ANSWER_RELEVANCY_PROMPT_VERSION,
  answerRelevancyPrompts,
  answerRelevancyScore,
  DEFAULT_STRICTNESS,
  parseAnswerRelevancySample,
  type AnswerRelevancySample,
} from './judge/answer-relevancy.js';
export { CONTEXT_PRECISION_PROMPT_VERSION, contextPrecisionPrompts, contextPrecisionScore, parseContextPrecisionVerdict } from './judge/context-precision.js';
export { CONTEXT_RECALL_PROMPT_VERSION, contextRecallPrompt, contextRecallScore, parseContextRecallClassifications } from './judge/context-recall.js';
export { HALLUCINATION_PROMPT_VERSION, hallucinationPrompt, hallucinationScore, parseHallucinationVerdicts } from './judge/hallucination.js';
export {
  G_EVAL_PROMPT_VERSION,
  gEvalScore,
  gEvalScorePrompt,
  gEvalStepsPrompt,
  parseGEvalScore,
  parseGEvalSteps,
  scoreRangeOf,
  type GEvalItem,
  type GEvalRubric,
} from './judge/g-eval.js';
export {
  OPINION_PROMPT_VERSIONS,
  opinionScore,
  opinionsPrompt,
  opinionVerdictsPrompt,
  parseOpinions,
  parseOpinionVerdicts,
  type OpinionMetricId,
} from './judge/opinion-metrics.js';
export {
  counterfactualDisparity,
  counterfactualVariants,
  validateSwapTable,
  type CounterfactualDisparity,
  type CounterfactualVariant,
  type GroupScore,
  type TermSwapTable,
} from './counterfactual-fairness.js';
