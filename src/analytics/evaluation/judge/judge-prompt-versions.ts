import type { JudgeMetricId } from '../metric-registry.js';
import { ANSWER_RELEVANCY_PROMPT_VERSION } from './answer-relevancy.js';
import { CONTEXT_PRECISION_PROMPT_VERSION } from './context-precision.js';
import { CONTEXT_RECALL_PROMPT_VERSION } from './context-recall.js';
import { FAITHFULNESS_PROMPT_VERSION } from './faithfulness.js';
import { G_EVAL_PROMPT_VERSION } from './g-eval.js';
import { HALLUCINATION_PROMPT_VERSION } from './hallucination.js';
import { OPINION_PROMPT_VERSIONS } from './opinion-metrics.js';

/** The prompt version of each judge metric, for receipts; it changes whenever a prompt's wording or layout changes. */
export const JUDGE_PROMPT_VERSIONS: Record<JudgeMetricId, string> = {
  faithfulness: FAITHFULNESS_PROMPT_VERSION,
  answer_relevancy: ANSWER_RELEVANCY_PROMPT_VERSION,
  context_precision: CONTEXT_PRECISION_PROMPT_VERSION,
  context_recall: CONTEXT_RECALL_PROMPT_VERSION,
  hallucination: HALLUCINATION_PROMPT_VERSION,
  g_eval: G_EVAL_PROMPT_VERSION,
  toxicity: OPINION_PROMPT_VERSIONS.toxicity,
  bias: OPINION_PROMPT_VERSIONS.bias,
};
