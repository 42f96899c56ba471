import {
  abstain,
  answerRelevancyPrompts,
  answerRelevancyScore,
  contextPrecisionPrompts,
  contextPrecisionScore,
  contextRecallPrompt,
  contextRecallScore,
  faithfulnessScore,
  faithfulnessStatementsPrompt,
  faithfulnessVerdictsPrompt,
  gEvalScore,
  gEvalScorePrompt,
  gEvalStepsPrompt,
  hallucinationPrompt,
  hallucinationScore,
  opinionScore,
  opinionsPrompt,
  opinionVerdictsPrompt,
  parseAnswerRelevancySample,
  parseContextPrecisionVerdict,
  parseContextRecallClassifications,
  parseFaithfulnessStatements,
  parseFaithfulnessVerdicts,
  parseGEvalScore,
  parseGEvalSteps,
  parseHallucinationVerdicts,
  parseOpinions,
  parseOpinionVerdicts,
  type GEvalRubric,
  type JudgePrompt,
  type JudgeScore,
} from '../../analytics/evaluation/index.js';

/**
 * How each judge metric talks to its judge: the prompts of src/analytics/evaluation, asked in the
 * order the metric's definition (Ragas, DeepEval) asks them, each reply read by the metric's strict
 * parser; the first abstention ends the metric with its reason. `ask` is the cached judge,
 * `embed` the process's embedder (answer relevancy's cosine step).
 */
export type JudgeInput = { question: string; answer: string; contexts: readonly string[]; reference: string | null; rubric: string | null };
export type Ask = (prompt: JudgePrompt) => Promise<string>;
export type Embed = (texts: string[]) => Promise<ArrayLike<number>[]>;

type Program = {
  /** The most judge calls it makes for this input (a dry run's count). */
  calls(input: JudgeInput): number;
  /** Its first prompt for this input (a dry run's size). */
  first(input: JudgeInput): JudgePrompt;
  run(input: JudgeInput, ask: Ask, embed: Embed): Promise<JudgeScore>;
};

const rubricOf = (input: JudgeInput): GEvalRubric => ({ name: 'rubric', criteria: input.rubric ?? '' });

const faithfulness: Program = {
  calls: () => 2,
  first: (input) => faithfulnessStatementsPrompt(input),
  async run(input, ask) {
    const statements = parseFaithfulnessStatements(await ask(faithfulnessStatementsPrompt(input)));
    if (statements.abstained) return statements;
    if (statements.value.length === 0) return faithfulnessScore([]);
    const verdicts = parseFaithfulnessVerdicts(await ask(faithfulnessVerdictsPrompt({ contexts: input.contexts, statements: statements.value })), statements.value);
    return verdicts.abstained ? verdicts : faithfulnessScore(verdicts.value);
  },
};

const answerRelevancy: Program = {
  calls: () => answerRelevancyPrompts({ answer: '' }).length,
  first: (input) => answerRelevancyPrompts(input)[0]!,
  async run(input, ask, embed) {
    const samples = [];
    for (const prompt of answerRelevancyPrompts(input)) {
      const sample = parseAnswerRelevancySample(await ask(prompt));
      if (sample.abstained) return sample;
      samples.push(sample.value);
    }
    const [question, ...generated] = await embed([input.question, ...samples.map((s) => s.question)]);
    return answerRelevancyScore(samples, question!, generated);
  },
};

const contextPrecision: Program = {
  calls: (input) => input.contexts.length,
  first: (input) => contextPrecisionPrompts({ ...input, reference: input.reference ?? '' })[0] ?? contextPrecisionPrompts({ ...input, contexts: [''], reference: input.reference ?? '' })[0]!,
  async run(input, ask) {
    if (input.reference === null) return abstain('context precision needs a reference answer');
    if (input.contexts.length === 0) return abstain('no contexts to judge');
    const verdicts: (0 | 1)[] = [];
    for (const prompt of contextPrecisionPrompts({ ...input, reference: input.reference })) {
      const verdict = parseContextPrecisionVerdict(await ask(prompt));
      if (verdict.abstained) return verdict;
      verdicts.push(verdict.value);
    }
    return contextPrecisionScore(verdicts);
  },
};

const contextRecall: Program = {
  calls: () => 1,
  first: (input) => contextRecallPrompt({ ...input, reference: input.reference ?? '' }),
  async run(input, ask) {
    if (input.reference === null) return abstain('context recall needs a reference answer');
    const attributions = parseContextRecallClassifications(await ask(contextRecallPrompt({ ...input, reference: input.reference })));
    return attributions.abstained ? attributions : contextRecallScore(attributions.value);
  },
};

const hallucination: Program = {
  calls: () => 1,
  first: (input) => hallucinationPrompt({ output: input.answer, contexts: input.contexts }),
  async run(input, ask) {
    if (input.contexts.length === 0) return abstain('no contexts to check the answer against');
    const verdicts = parseHallucinationVerdicts(await ask(hallucinationPrompt({ output: input.answer, contexts: input.contexts })), input.contexts.length);
    return verdicts.abstained ? verdicts : hallucinationScore(verdicts.value);
  },
};

const gEval: Program = {
  calls: () => 2,
  first: (input) => gEvalStepsPrompt(rubricOf(input)),
  async run(input, ask) {
    if (!input.rubric) return abstain('G-Eval needs a rubric');
    const rubric = rubricOf(input);
    // The steps depend on the rubric alone: asked once, then answered from the cache for every item.
    const steps = parseGEvalSteps(await ask(gEvalStepsPrompt(rubric)));
    if (steps.abstained) return steps;
    const item = { input: input.question, actualOutput: input.answer, ...(input.reference !== null ? { expectedOutput: input.reference } : {}), ...(input.contexts.length > 0 ? { context: input.contexts } : {}) };
    const raw = parseGEvalScore(await ask(gEvalScorePrompt(rubric, steps.value, item)), rubric);
    return raw.abstained ? raw : gEvalScore(raw.value, rubric);
  },
};

const opinions = (metric: 'toxicity' | 'bias'): Program => ({
  calls: () => 2,
  first: (input) => opinionsPrompt(metric, { output: input.answer }),
  async run(input, ask) {
    const found = parseOpinions(await ask(opinionsPrompt(metric, { output: input.answer })));
    if (found.abstained) return found;
    if (found.value.length === 0) return opinionScore([]);
    const verdicts = parseOpinionVerdicts(await ask(opinionVerdictsPrompt(metric, found.value)), found.value.length);
    return verdicts.abstained ? verdicts : opinionScore(verdicts.value);
  },
});

export const JUDGE_PROGRAMS: Readonly<Record<string, Program>> = {
  faithfulness,
  answer_relevancy: answerRelevancy,
  context_precision: contextPrecision,
  context_recall: contextRecall,
  hallucination,
  g_eval: gEval,
  toxicity: opinions('toxicity'),
  bias: opinions('bias'),
};
