/**
 * Ragas answer relevancy (ragas/metrics/_answer_relevance.py, ResponseRelevancePrompt): the judge
 * writes a question the answer would answer and flags the answer noncommittal (1) when it is
 * evasive or vague ("I don't know"). This is asked `strictness` times (Ragas' default 3); each
 * prompt carries its sample number so that a cache keyed on the prompt keeps the samples apart.
 * Score = mean over samples of cos(embedding(generated question), embedding(question)), times 0
 * when every sample is flagged noncommittal (np.all, as in Ragas; one committal sample keeps the
 * similarity). Samples whose question is empty are left out; none left is an abstention.
 */
import { z } from 'zod';
import { cosineSimilarity } from '../cosine-similarity.js';
import { buildJudgePrompt } from './judge-prompt.js';
import { abstain, parseVerdict, type JudgePrompt, type JudgeScore, type Verdict } from './judge-verdict.js';

export const ANSWER_RELEVANCY_PROMPT_VERSION = 'ragas-answer-relevancy/1';
export const DEFAULT_STRICTNESS = 3;

export function answerRelevancyPrompts(input: { answer: string }, strictness = DEFAULT_STRICTNESS): JudgePrompt[] {
  if (!Number.isInteger(strictness) || strictness < 1) throw new RangeError(`strictness must be a positive integer, got ${strictness}`);
  return Array.from({ length: strictness }, (_, i) =>
    buildJudgePrompt(
      'answer_relevancy',
      `question-${i + 1}`,
      ANSWER_RELEVANCY_PROMPT_VERSION,
      `Generate a question for the given answer and identify if the answer is noncommittal. Give noncommittal as 1 if the answer is noncommittal and 0 if the answer is committal. A noncommittal answer is one that is evasive, vague, or ambiguous; for example "I don't know" or "I'm not sure" are noncommittal answers. (Sample ${i + 1} of ${strictness}.)`,
      '{"question": "the generated question", "noncommittal": 0 or 1}',
      { response: input.answer },
    ),
  );
}

const sampleSchema = z.object({ question: z.string(), noncommittal: z.union([z.literal(0), z.literal(1)]) });
export type AnswerRelevancySample = z.infer<typeof sampleSchema>;

export function parseAnswerRelevancySample(text: string): Verdict<AnswerRelevancySample> {
  return parseVerdict(text, sampleSchema);
}

/** `generatedEmbeddings[i]` is the embedding of `samples[i].question`. */
export function answerRelevancyScore(samples: readonly AnswerRelevancySample[], questionEmbedding: ArrayLike<number>, generatedEmbeddings: readonly ArrayLike<number>[]): JudgeScore {
  if (samples.length !== generatedEmbeddings.length) throw new RangeError('one embedding per sample is needed');
  const kept = samples.map((s, i) => ({ ...s, embedding: generatedEmbeddings[i]! })).filter((s) => s.question.trim().length > 0);
  if (kept.length === 0) return abstain('the judge generated no question');
  let sum = 0;
  for (const s of kept) {
    const cos = cosineSimilarity(s.embedding, questionEmbedding);
    if (cos === null) return abstain('an embedding is zero or of another length than the question embedding');
    sum += cos;
  }
  const allNoncommittal = kept.every((s) => s.noncommittal === 1);
  const meanCosine = sum / kept.length;
  return { abstained: false, score: allNoncommittal ? 0 : meanCosine, details: { samples: kept.length, meanCosine, allNoncommittal } };
}
