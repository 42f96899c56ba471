import type { EvaluationDefinition, WorkUnit } from '../../commands/evaluation/evaluation.decider.js';
import { costOf, priceOf } from '../llm/llm-pricing.js';
import type { ChatMessage, Passage } from '../llm/llm-provider.js';
import { isJudgeMetric, judgeCallPlan } from './metric-suite.js';
import type { LiveConfiguration } from './pinned-configuration.js';
import { answerMessages, unitQuestion } from './unit-scoring.js';

/** Tokens of text as estimated before a call: one per four characters (OpenAI's rule of thumb for English), rounded up. */
export const estimatedTokens = (text: string) => Math.ceil(text.length / 4);
const messageTokens = (messages: readonly ChatMessage[]) => messages.reduce((n, m) => n + estimatedTokens(m.content) + 4, 0);

/** Output tokens assumed for a call whose configuration sets no `maxTokens`. */
export const DEFAULT_OUTPUT_TOKENS = 256;
/** A retrieved passage's length assumed before retrieval (the document library's chunks are at most this long). */
export const PASSAGE_TOKENS = 512;

export type CallEstimate = { calls: number; inputTokens: number; outputTokens: number; costUsd: number | null };

const zero = (): CallEstimate => ({ calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
const add = (a: CallEstimate, b: CallEstimate): CallEstimate => ({
  calls: a.calls + b.calls,
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  costUsd: a.costUsd === null || b.costUsd === null ? null : Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9,
});

function callsOf(configuration: LiveConfiguration, calls: number, inputTokens: number): CallEstimate {
  const outputTokens = calls * (configuration.parameters.maxTokens ?? DEFAULT_OUTPUT_TOKENS);
  return { calls, inputTokens, outputTokens, costUsd: costOf({ inputTokens, outputTokens }, priceOf(configuration.model, configuration.pricing)) };
}

/**
 * What one unit will cost at most, before anything is spent: the answer's prompt as it will be sent
 * (passages counted at PASSAGE_TOKENS each), the configured maximum output, and for each judge
 * metric its calls with their first prompt built from the reference answer standing in for the
 * answer not yet given. Judge calls the cache will answer are counted too: an upper bound.
 */
export function estimateUnit(definition: EvaluationDefinition, configurations: { answerer: LiveConfiguration; judge: LiveConfiguration | null }, unit: WorkUnit): CallEstimate {
  const item = definition.items[unit.itemIndex]!;
  const question = unitQuestion(definition, unit);
  const k = definition.retrieval?.k ?? 0;
  const placeholders: Passage[] = Array.from({ length: k }, (_, i) => ({ documentId: `passage-${i}`, chunkId: '', score: 0, text: 'x'.repeat(PASSAGE_TOKENS * 4) }));
  let estimate = callsOf(configurations.answerer, 1, messageTokens(answerMessages(definition, configurations.answerer, question, placeholders)));
  const judge = configurations.judge;
  if (judge) {
    const standIn = item.referenceAnswer ?? 'x'.repeat((configurations.answerer.parameters.maxTokens ?? DEFAULT_OUTPUT_TOKENS) * 4);
    const contexts = k > 0 ? placeholders.map((p) => p.text) : item.referenceContexts;
    for (const metric of definition.metrics.filter((m) => isJudgeMetric(m.id))) {
      const plan = judgeCallPlan(metric.id, { question, answer: standIn, contexts, reference: item.referenceAnswer, rubric: definition.rubric });
      estimate = add(estimate, callsOf(judge, plan.calls, plan.calls * messageTokens(plan.firstPrompt)));
    }
  }
  return estimate;
}

/** The whole run's estimate over `units`. */
export function estimateUnits(definition: EvaluationDefinition, configurations: (configurationId: string) => { answerer: LiveConfiguration; judge: LiveConfiguration | null }, units: readonly WorkUnit[]): CallEstimate {
  return units.reduce((sum, unit) => add(sum, estimateUnit(definition, configurations(unit.configurationId), unit)), zero());
}
