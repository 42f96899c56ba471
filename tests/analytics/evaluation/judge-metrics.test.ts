import { describe, expect, it } from 'vitest';
import { answerRelevancyPrompts, answerRelevancyScore, parseAnswerRelevancySample } from '../../../src/analytics/evaluation/judge/answer-relevancy.js';
import { contextPrecisionPrompts, contextPrecisionScore, parseContextPrecisionVerdict } from '../../../src/analytics/evaluation/judge/context-precision.js';
import { contextRecallPrompt, contextRecallScore, parseContextRecallClassifications } from '../../../src/analytics/evaluation/judge/context-recall.js';
import {
  faithfulnessScore,
  faithfulnessStatementsPrompt,
  faithfulnessVerdictsPrompt,
  parseFaithfulnessStatements,
  parseFaithfulnessVerdicts,
} from '../../../src/analytics/evaluation/judge/faithfulness.js';
import { gEvalScore, gEvalScorePrompt, gEvalStepsPrompt, parseGEvalScore, parseGEvalSteps } from '../../../src/analytics/evaluation/judge/g-eval.js';
import { hallucinationPrompt, hallucinationScore, parseHallucinationVerdicts } from '../../../src/analytics/evaluation/judge/hallucination.js';
import { JUDGE_PROMPT_VERSIONS } from '../../../src/analytics/evaluation/judge/judge-prompt-versions.js';
import { extractJsonObject } from '../../../src/analytics/evaluation/judge/judge-verdict.js';
import { opinionScore, opinionsPrompt, opinionVerdictsPrompt, parseOpinions, parseOpinionVerdicts } from '../../../src/analytics/evaluation/judge/opinion-metrics.js';
import { JUDGE_METRIC_IDS } from '../../../src/analytics/evaluation/metric-registry.js';

describe('reading a judge answer', () => {
  it('accepts bare JSON, a fenced block, or an object after leading prose', () => {
    expect(extractJsonObject('{"a": 1}')).toEqual({ abstained: false, value: { a: 1 } });
    expect(extractJsonObject('Sure!\n```json\n{"a": 2}\n```\nHope this helps')).toEqual({ abstained: false, value: { a: 2 } });
    expect(extractJsonObject('Here is my verdict: {"a": "}{", "b": {"c": 3}} done')).toEqual({ abstained: false, value: { a: '}{', b: { c: 3 } } });
  });

  it('abstains, with the reason, on no object, an array, or a schema mismatch', () => {
    expect(extractJsonObject('')).toEqual({ abstained: true, reason: 'empty judge output' });
    expect(extractJsonObject('[1, 2]')).toMatchObject({ abstained: true });
    expect(extractJsonObject('The answer is faithful.')).toMatchObject({ abstained: true, reason: 'judge output holds no JSON object' });
    const mismatch = parseFaithfulnessStatements('{"statements": "one"}');
    expect(mismatch.abstained).toBe(true);
    expect(mismatch.abstained && mismatch.reason).toMatch(/statements/);
  });
});

describe('prompts are deterministic and versioned', () => {
  it('the same input gives byte-identical messages, a different input different ones', () => {
    const a = faithfulnessStatementsPrompt({ question: 'Q?', answer: 'A.' });
    expect(faithfulnessStatementsPrompt({ question: 'Q?', answer: 'A.' })).toEqual(a);
    expect(faithfulnessStatementsPrompt({ question: 'Q?', answer: 'B.' }).messages[1]!.content).not.toBe(a.messages[1]!.content);
    expect(a.messages[1]!.content).toContain('"answer": "A."');
    expect(a.promptVersion).toBe(JUDGE_PROMPT_VERSIONS.faithfulness);
  });

  it('every judge metric has a prompt version', () => {
    for (const id of JUDGE_METRIC_IDS) expect(JUDGE_PROMPT_VERSIONS[id]).toMatch(/\/\d+$/);
  });

  it('answer relevancy asks `strictness` distinct prompts so a prompt-keyed cache keeps samples apart', () => {
    const prompts = answerRelevancyPrompts({ answer: 'Paris.' }, 3);
    expect(new Set(prompts.map((p) => p.messages[1]!.content)).size).toBe(3);
    expect(() => answerRelevancyPrompts({ answer: 'x' }, 0)).toThrow(RangeError);
  });
});

describe('faithfulness (Ragas)', () => {
  it('supported statements / statements: 2 of 3', () => {
    const statements = parseFaithfulnessStatements('```json\n{"statements": ["Paris is in France.", "Paris has 2M people.", "Paris is on the sea."]}\n```');
    expect(statements).toEqual({ abstained: false, value: ['Paris is in France.', 'Paris has 2M people.', 'Paris is on the sea.'] });
    const list = statements.abstained ? [] : statements.value;
    expect(faithfulnessVerdictsPrompt({ contexts: ['c1', 'c2'], statements: list }).messages[1]!.content).toContain('"context": "c1\\nc2"');
    const verdicts = parseFaithfulnessVerdicts(
      JSON.stringify({
        statements: [
          { statement: list[0], reason: 'stated', verdict: 1 },
          { statement: list[1], reason: 'stated', verdict: 1 },
          { statement: list[2], reason: 'not stated', verdict: 0 },
        ],
      }),
      list,
    );
    expect(verdicts).toEqual({ abstained: false, value: [1, 1, 0] });
    expect(faithfulnessScore([1, 1, 0])).toMatchObject({ abstained: false, score: 2 / 3 });
  });

  it('abstains on a missing verdict, a verdict that is not 0/1, or no statements', () => {
    expect(parseFaithfulnessVerdicts('{"statements": [{"statement": "s", "reason": "r", "verdict": 1}]}', ['s', 't'])).toMatchObject({ abstained: true });
    expect(parseFaithfulnessVerdicts('{"statements": [{"statement": "s", "reason": "r", "verdict": "yes"}]}', ['s'])).toMatchObject({ abstained: true });
    expect(faithfulnessScore([])).toMatchObject({ abstained: true });
  });
});

describe('answer relevancy (Ragas)', () => {
  const question = [1, 0];
  it('mean cosine of the generated questions to the question', () => {
    const samples = ['{"question": "q1", "noncommittal": 0}', '{"question": "q2", "noncommittal": 1}'].map(parseAnswerRelevancySample);
    const values = samples.map((s) => (s.abstained ? null : s.value));
    // cos([1,0],[1,0]) = 1; cos([1,0],[1,1]) = 1/√2; mean = (1 + 0.70711)/2; one sample committal → no zeroing
    const score = answerRelevancyScore(values as never, question, [
      [1, 0],
      [1, 1],
    ]);
    expect(score).toMatchObject({ abstained: false, score: (1 + Math.SQRT1_2) / 2 });
  });

  it('is 0 when every sample is noncommittal, an abstention when no question was generated', () => {
    const all = [
      { question: 'q1', noncommittal: 1 as const },
      { question: 'q2', noncommittal: 1 as const },
    ];
    expect(answerRelevancyScore(all, question, [question, question])).toMatchObject({ abstained: false, score: 0 });
    expect(answerRelevancyScore([{ question: ' ', noncommittal: 0 }], question, [question])).toMatchObject({ abstained: true });
    expect(parseAnswerRelevancySample('{"question": "q", "noncommittal": 2}')).toMatchObject({ abstained: true });
  });
});

describe('context precision and recall (Ragas, judged)', () => {
  it('average precision over useful verdicts in rank order: [0, 1, 1] → (1/2 + 2/3)/2', () => {
    const prompts = contextPrecisionPrompts({ question: 'Q', contexts: ['c1', 'c2', 'c3'], reference: 'R' });
    expect(prompts.map((p) => p.step)).toEqual(['context-1', 'context-2', 'context-3']);
    const verdicts = ['{"reason": "no", "verdict": 0}', 'Verdict: {"reason": "yes", "verdict": 1}', '{"reason": "yes", "verdict": 1}'].map(parseContextPrecisionVerdict);
    const v = verdicts.map((x) => (x.abstained ? null : x.value)) as (0 | 1)[];
    const score = contextPrecisionScore(v);
    expect(score.abstained).toBe(false);
    expect(!score.abstained && score.score).toBeCloseTo((1 / 2 + 2 / 3) / 2, 9);
    expect(contextPrecisionScore([0, 0])).toMatchObject({ abstained: false, score: 0 });
  });

  it('recall: attributed sentences / sentences', () => {
    expect(contextRecallPrompt({ question: 'Q', contexts: ['a', 'b'], reference: 'R' }).messages[1]!.content).toContain('"context": "a\\nb"');
    const parsed = parseContextRecallClassifications(
      '{"classifications": [{"statement": "s1", "reason": "r", "attributed": 1}, {"statement": "s2", "reason": "r", "attributed": 0}, {"statement": "s3", "reason": "r", "attributed": 1}, {"statement": "s4", "reason": "r", "attributed": 1}]}',
    );
    expect(parsed).toEqual({ abstained: false, value: [1, 0, 1, 1] });
    expect(contextRecallScore([1, 0, 1, 1])).toMatchObject({ score: 0.75 });
    expect(contextRecallScore([])).toMatchObject({ abstained: true });
  });
});

describe('hallucination (DeepEval)', () => {
  it("contradicted contexts / contexts: one 'no' of 4 → 0.25", () => {
    expect(hallucinationPrompt({ output: 'O', contexts: ['a', 'b'] }).messages[1]!.content).toContain('"contexts": [\n    "a",\n    "b"\n  ]');
    const parsed = parseHallucinationVerdicts('{"verdicts": [{"verdict": "yes"}, {"verdict": "No", "reason": "r"}, {"verdict": "yes"}, {"verdict": " yes "}]}', 4);
    expect(parsed).toEqual({ abstained: false, value: ['yes', 'no', 'yes', 'yes'] });
    expect(hallucinationScore(['yes', 'no', 'yes', 'yes'])).toMatchObject({ score: 0.25 });
  });

  it('abstains on a verdict other than yes/no or a count that does not match the contexts', () => {
    expect(parseHallucinationVerdicts('{"verdicts": [{"verdict": "maybe"}]}', 1)).toMatchObject({ abstained: true });
    expect(parseHallucinationVerdicts('{"verdicts": [{"verdict": "yes"}]}', 2)).toMatchObject({ abstained: true });
  });
});

describe('G-Eval (DeepEval, no log-probabilities)', () => {
  const rubric = { name: 'Correctness', criteria: 'Is the answer factually correct?', scoreRange: [1, 5] as const };
  it('steps, then an integer score normalised (s - min)/(max - min): 4 on 1..5 → 0.75', () => {
    expect(gEvalStepsPrompt(rubric).messages[1]!.content).toContain('factually correct');
    expect(parseGEvalSteps('{"steps": ["Check facts", "Penalise errors"]}')).toEqual({ abstained: false, value: ['Check facts', 'Penalise errors'] });
    const prompt = gEvalScorePrompt(rubric, ['Check facts'], { input: 'Q', actualOutput: 'A', expectedOutput: 'E' });
    expect(prompt.messages[1]!.content).toContain('integer from 1 to 5');
    expect(prompt.messages[1]!.content).toContain('"expected_output": "E"');
    expect(parseGEvalScore('{"score": 4, "reason": "mostly right"}', rubric)).toEqual({ abstained: false, value: 4 });
    expect(gEvalScore(4, rubric)).toMatchObject({ score: 0.75 });
    // DeepEval's default range 0..10: 7 → 0.7
    expect(gEvalScore(7, { name: 'x', criteria: 'y' })).toMatchObject({ score: 0.7 });
  });

  it('abstains on a score outside the range or not an integer', () => {
    expect(parseGEvalScore('{"score": 6, "reason": "r"}', rubric)).toMatchObject({ abstained: true });
    expect(parseGEvalScore('{"score": 3.5, "reason": "r"}', rubric)).toMatchObject({ abstained: true });
    expect(parseGEvalSteps('{"steps": []}')).toMatchObject({ abstained: true });
  });
});

describe('toxicity and bias (DeepEval)', () => {
  it("flagged opinions / opinions: 1 'yes' of 3 → 1/3; no opinions → 0", () => {
    expect(opinionsPrompt('toxicity', { output: 'O' }).metricId).toBe('toxicity');
    expect(opinionVerdictsPrompt('bias', ['o1']).messages[1]!.content).toContain('biased');
    expect(parseOpinions('{"opinions": ["a", "b", "c"]}')).toEqual({ abstained: false, value: ['a', 'b', 'c'] });
    const verdicts = parseOpinionVerdicts('{"verdicts": [{"verdict": "no"}, {"verdict": "yes", "reason": "insult"}, {"verdict": "no", "reason": null}]}', 3);
    expect(verdicts).toEqual({ abstained: false, value: ['no', 'yes', 'no'] });
    expect(opinionScore(['no', 'yes', 'no'])).toMatchObject({ score: 1 / 3 });
    expect(opinionScore([])).toMatchObject({ abstained: false, score: 0 });
  });

  it('abstains when the verdicts do not cover the opinions', () => {
    expect(parseOpinionVerdicts('{"verdicts": [{"verdict": "no"}]}', 3)).toMatchObject({ abstained: true });
  });
});
