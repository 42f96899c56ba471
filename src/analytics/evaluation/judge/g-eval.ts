/**
 * DeepEval GEval (Liu et al. 2023, "G-Eval"): a user rubric (criteria, optional evaluation steps,
 * integer score range, default 0..10 as DeepEval). When no steps are given, the judge first writes
 * 3-4 evaluation steps from the criteria (step 'steps'); then it scores the item against the steps
 * with an integer in the range (step 'score'). This is the variant without log-probabilities:
 * DeepEval weights each possible score by its token probability when the model returns logprobs;
 * we take the single integer the judge writes. Normalised score = (s - min) / (max - min).
 * A score outside the range or not an integer is an abstention.
 */
import { z } from 'zod';
import { buildJudgePrompt } from './judge-prompt.js';
import { abstain, parseVerdict, type JudgePrompt, type JudgeScore, type Verdict } from './judge-verdict.js';

export const G_EVAL_PROMPT_VERSION = 'deepeval-g-eval/1';

export type GEvalRubric = {
  name: string;
  criteria: string;
  evaluationSteps?: readonly string[];
  /** Inclusive integer range; default [0, 10]. */
  scoreRange?: readonly [number, number];
};

export type GEvalItem = { input: string; actualOutput: string; expectedOutput?: string; context?: readonly string[] };

export function scoreRangeOf(rubric: GEvalRubric): readonly [number, number] {
  const range = rubric.scoreRange ?? [0, 10];
  if (!Number.isInteger(range[0]) || !Number.isInteger(range[1]) || range[0] >= range[1]) throw new RangeError('scoreRange must be two increasing integers');
  return range;
}

export function gEvalStepsPrompt(rubric: GEvalRubric): JudgePrompt {
  return buildJudgePrompt(
    'g_eval',
    'steps',
    G_EVAL_PROMPT_VERSION,
    'Given an evaluation criteria which outlines how you should judge a response, generate 3-4 concise evaluation steps based on the criteria.',
    '{"steps": ["step 1", "step 2", "step 3"]}',
    { name: rubric.name, criteria: rubric.criteria },
  );
}

const stepsSchema = z.object({ steps: z.array(z.string().min(1)).min(1) });

export function parseGEvalSteps(text: string): Verdict<string[]> {
  const parsed = parseVerdict(text, stepsSchema);
  return parsed.abstained ? parsed : { abstained: false, value: parsed.value.steps };
}

export function gEvalScorePrompt(rubric: GEvalRubric, steps: readonly string[], item: GEvalItem): JudgePrompt {
  const [min, max] = scoreRangeOf(rubric);
  const input: Record<string, unknown> = { criteria: rubric.criteria, evaluation_steps: steps, input: item.input, actual_output: item.actualOutput };
  if (item.expectedOutput !== undefined) input.expected_output = item.expectedOutput;
  if (item.context !== undefined) input.context = item.context;
  return buildJudgePrompt(
    'g_eval',
    'score',
    G_EVAL_PROMPT_VERSION,
    `You are given evaluation steps for "${rubric.name}". Evaluate the test case strictly by following the evaluation steps. Give an integer score from ${min} (the test case does not satisfy the criteria at all) to ${max} (it satisfies them fully), and a reason that cites the steps and the test case.`,
    `{"score": integer from ${min} to ${max}, "reason": "why"}`,
    input,
  );
}

const scoreSchema = z.object({ score: z.number(), reason: z.string() });

export function parseGEvalScore(text: string, rubric: GEvalRubric): Verdict<number> {
  const [min, max] = scoreRangeOf(rubric);
  const parsed = parseVerdict(text, scoreSchema);
  if (parsed.abstained) return parsed;
  const { score } = parsed.value;
  if (!Number.isInteger(score) || score < min || score > max) return abstain(`score ${score} is not an integer from ${min} to ${max}`);
  return { abstained: false, value: score };
}

export function gEvalScore(rawScore: number, rubric: GEvalRubric): JudgeScore {
  const [min, max] = scoreRangeOf(rubric);
  return { abstained: false, score: (rawScore - min) / (max - min), details: { rawScore, min, max } };
}
