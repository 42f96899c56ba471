/**
 * Ragas faithfulness (ragas/metrics/_faithfulness.py): (1) the judge breaks the answer into
 * standalone statements (StatementGeneratorPrompt); (2) for each statement it gives verdict 1 when
 * the statement can be inferred from the context, else 0 (NLIStatementPrompt, contexts joined by
 * "\n"). Score = statements with verdict 1 / statements. An answer with no statements gives no
 * score (Ragas returns NaN): an abstention, not 0.
 */
import { z } from 'zod';
import { buildJudgePrompt } from './judge-prompt.js';
import { abstain, parseVerdict, type JudgePrompt, type JudgeScore, type Verdict } from './judge-verdict.js';

export const FAITHFULNESS_PROMPT_VERSION = 'ragas-faithfulness/1';

export function faithfulnessStatementsPrompt(input: { question: string; answer: string }): JudgePrompt {
  return buildJudgePrompt(
    'faithfulness',
    'statements',
    FAITHFULNESS_PROMPT_VERSION,
    'Given a question and an answer, break the answer into one or more fully understandable statements. Each statement must stand on its own: replace pronouns by what they refer to. Do not add information that is not in the answer.',
    '{"statements": ["statement 1", "statement 2"]}',
    { question: input.question, answer: input.answer },
  );
}

const statementsSchema = z.object({ statements: z.array(z.string()) });

export function parseFaithfulnessStatements(text: string): Verdict<string[]> {
  const parsed = parseVerdict(text, statementsSchema);
  return parsed.abstained ? parsed : { abstained: false, value: parsed.value.statements };
}

export function faithfulnessVerdictsPrompt(input: { contexts: readonly string[]; statements: readonly string[] }): JudgePrompt {
  return buildJudgePrompt(
    'faithfulness',
    'verdicts',
    FAITHFULNESS_PROMPT_VERSION,
    'Judge the faithfulness of each statement to the context. For every statement, in the given order, return verdict 1 if the statement can be directly inferred from the context, or 0 if it cannot, with a brief reason.',
    '{"statements": [{"statement": "the statement, copied", "reason": "why", "verdict": 0 or 1}]} with exactly one entry per input statement, in order',
    { context: input.contexts.join('\n'), statements: input.statements },
  );
}

const binaryVerdicts = z.object({ statements: z.array(z.object({ statement: z.string(), reason: z.string(), verdict: z.union([z.literal(0), z.literal(1)]) })) });

export function parseFaithfulnessVerdicts(text: string, statements: readonly string[]): Verdict<(0 | 1)[]> {
  const parsed = parseVerdict(text, binaryVerdicts);
  if (parsed.abstained) return parsed;
  if (parsed.value.statements.length !== statements.length) return abstain(`judge gave ${parsed.value.statements.length} verdicts for ${statements.length} statements`);
  return { abstained: false, value: parsed.value.statements.map((s) => s.verdict) };
}

export function faithfulnessScore(verdicts: readonly (0 | 1)[]): JudgeScore {
  if (verdicts.length === 0) return abstain('the answer yields no statements (Ragas: NaN)');
  const supported = verdicts.reduce<number>((s, v) => s + v, 0);
  return { abstained: false, score: supported / verdicts.length, details: { statements: verdicts.length, supported } };
}
