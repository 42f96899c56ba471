/**
 * Ragas LLM context precision with a reference (ragas/metrics/_context_precision.py,
 * LLMContextPrecisionWithReference, prompt "context_precision"): for each retrieved context, in
 * rank order, the judge says whether it was useful in arriving at the reference answer (verdict
 * 1) or not (0). Score = Ragas' average precision
 * Σ_i (useful among the first i / i)·v_i / (Σ v_i + 1e-10), so 0 when no context was useful.
 */
import { z } from 'zod';
import { ragasAveragePrecision } from '../non-llm-context-metrics.js';
import { buildJudgePrompt } from './judge-prompt.js';
import { abstain, parseVerdict, type JudgePrompt, type JudgeScore, type Verdict } from './judge-verdict.js';

export const CONTEXT_PRECISION_PROMPT_VERSION = 'ragas-context-precision/1';

export function contextPrecisionPrompts(input: { question: string; contexts: readonly string[]; reference: string }): JudgePrompt[] {
  return input.contexts.map((context, i) =>
    buildJudgePrompt(
      'context_precision',
      `context-${i + 1}`,
      CONTEXT_PRECISION_PROMPT_VERSION,
      'Given a question, an answer and a context, verify whether the context was useful in arriving at the given answer. Give verdict 1 if it was useful and 0 if not, with a brief reason.',
      '{"reason": "why", "verdict": 0 or 1}',
      { question: input.question, context, answer: input.reference },
    ),
  );
}

const schema = z.object({ reason: z.string(), verdict: z.union([z.literal(0), z.literal(1)]) });

export function parseContextPrecisionVerdict(text: string): Verdict<0 | 1> {
  const parsed = parseVerdict(text, schema);
  return parsed.abstained ? parsed : { abstained: false, value: parsed.value.verdict };
}

export function contextPrecisionScore(verdicts: readonly (0 | 1)[]): JudgeScore {
  if (verdicts.length === 0) return abstain('no retrieved contexts');
  return { abstained: false, score: ragasAveragePrecision(verdicts), details: { contexts: verdicts.length, useful: verdicts.reduce<number>((s, v) => s + v, 0) } };
}
