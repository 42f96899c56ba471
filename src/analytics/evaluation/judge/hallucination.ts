/**
 * DeepEval HallucinationMetric (deepeval/metrics/hallucination): for each context the judge says
 * whether the actual output agrees with it ("yes") or contradicts it ("no"); the contexts are taken
 * as ground truth and missing detail is not a contradiction. Score = contexts with verdict "no" /
 * contexts (lower is better; DeepEval passes when score <= threshold). The judge must return one
 * verdict per context, else it abstains.
 */
import { z } from 'zod';
import { buildJudgePrompt } from './judge-prompt.js';
import { abstain, parseVerdict, type JudgePrompt, type JudgeScore, type Verdict } from './judge-verdict.js';

export const HALLUCINATION_PROMPT_VERSION = 'deepeval-hallucination/1';

export function hallucinationPrompt(input: { output: string; contexts: readonly string[] }): JudgePrompt {
  return buildJudgePrompt(
    'hallucination',
    'verdicts',
    HALLUCINATION_PROMPT_VERSION,
    "For each context in contexts, which is a list of strings, generate a verdict indicating whether the given actual output agrees with that context. The verdict must be strictly 'yes' or 'no': 'yes' if the actual output agrees with the context, 'no' if it contradicts it. Take each context as the ground truth. Do not treat a lack of detail as a contradiction; only contradictions count. Give a reason for every verdict, and exactly one verdict per context, in order.",
    '{"verdicts": [{"verdict": "yes" or "no", "reason": "why"}]}',
    { actual_output: input.output, contexts: input.contexts },
  );
}

const schema = z.object({ verdicts: z.array(z.object({ verdict: z.string(), reason: z.string().optional() })) });

export function parseHallucinationVerdicts(text: string, contextCount: number): Verdict<('yes' | 'no')[]> {
  const parsed = parseVerdict(text, schema);
  if (parsed.abstained) return parsed;
  const verdicts = parsed.value.verdicts.map((v) => v.verdict.trim().toLowerCase());
  const bad = verdicts.findIndex((v) => v !== 'yes' && v !== 'no');
  if (bad >= 0) return abstain(`verdict ${bad} is neither 'yes' nor 'no'`);
  if (verdicts.length !== contextCount) return abstain(`judge gave ${verdicts.length} verdicts for ${contextCount} contexts`);
  return { abstained: false, value: verdicts as ('yes' | 'no')[] };
}

export function hallucinationScore(verdicts: readonly ('yes' | 'no')[]): JudgeScore {
  if (verdicts.length === 0) return abstain('no contexts to check the output against');
  const contradicted = verdicts.filter((v) => v === 'no').length;
  return { abstained: false, score: contradicted / verdicts.length, details: { contexts: verdicts.length, contradicted } };
}
