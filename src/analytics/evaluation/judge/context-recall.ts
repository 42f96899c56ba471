/**
 * Ragas LLM context recall (ragas/metrics/_context_recall.py, LLMContextRecall, prompt
 * ContextRecallClassificationPrompt): the judge splits the reference answer into sentences and
 * says for each whether it can be attributed to the retrieved context (1) or not (0); contexts
 * joined by "\n". Score = attributed / sentences. No sentences: no score (Ragas: NaN), abstention.
 */
import { z } from 'zod';
import { buildJudgePrompt } from './judge-prompt.js';
import { abstain, parseVerdict, type JudgePrompt, type JudgeScore, type Verdict } from './judge-verdict.js';

export const CONTEXT_RECALL_PROMPT_VERSION = 'ragas-context-recall/1';

export function contextRecallPrompt(input: { question: string; contexts: readonly string[]; reference: string }): JudgePrompt {
  return buildJudgePrompt(
    'context_recall',
    'classifications',
    CONTEXT_RECALL_PROMPT_VERSION,
    'Given a context and an answer, analyse each sentence of the answer and classify whether the sentence can be attributed to the given context or not. Use only 1 (yes) or 0 (no) as the attribution, with a brief reason.',
    '{"classifications": [{"statement": "sentence of the answer", "reason": "why", "attributed": 0 or 1}]}',
    { question: input.question, context: input.contexts.join('\n'), answer: input.reference },
  );
}

const schema = z.object({ classifications: z.array(z.object({ statement: z.string(), reason: z.string(), attributed: z.union([z.literal(0), z.literal(1)]) })) });

export function parseContextRecallClassifications(text: string): Verdict<(0 | 1)[]> {
  const parsed = parseVerdict(text, schema);
  return parsed.abstained ? parsed : { abstained: false, value: parsed.value.classifications.map((c) => c.attributed) };
}

export function contextRecallScore(attributions: readonly (0 | 1)[]): JudgeScore {
  if (attributions.length === 0) return abstain('the judge found no sentences in the reference (Ragas: NaN)');
  const attributed = attributions.reduce<number>((s, v) => s + v, 0);
  return { abstained: false, score: attributed / attributions.length, details: { sentences: attributions.length, attributed } };
}
