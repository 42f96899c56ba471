import {
  comparisonVerdict,
  counterfactualDisparity,
  counterfactualVariants,
  holmAdjust,
  isJudgeMetricId,
  isOfflineMetricId,
  mcnemarTest,
  metricDefinition,
  pairedBootstrapMeanDifference,
  signFlipPermutationTest,
  scoreOfflineItem,
  selectMetrics,
  wilcoxonSignedRank,
  type JudgePrompt,
  type JudgeScore,
  type MetricDefinition,
  type MetricScore,
  type OfflineItem,
  type OfflineOptions,
} from '../../analytics/evaluation/index.js';
import type { EvaluationItem } from './evaluation-items.js';
import { JUDGE_PROGRAMS, type JudgeInput } from './judge-programs.js';

/**
 * The evaluation runner's one door into src/analytics/evaluation: metric selection, offline
 * scores, judge metrics driven call by call (so each call goes through the cache), and the
 * statistics of aggregates and comparisons.
 */

export type JudgePromptMessages = Pick<JudgePrompt, 'messages' | 'promptVersion'>;
export type { JudgeInput };

export const isJudgeMetric = (id: string) => isJudgeMetricId(id);

export function selectMetricDefinitions(ids: readonly string[]): { ok: true; metrics: MetricDefinition[] } | { ok: false; problems: string[] } {
  const selected = selectMetrics(ids);
  if (selected.ok) return selected;
  return { ok: false, problems: [...selected.unknown.map((id) => `unknown metric ${id}`), ...selected.duplicated.map((id) => `metric ${id} is named twice`)] };
}

export const metricDefinitionOf = (id: string): MetricDefinition => metricDefinition(id)!;

/** What the items lack for the metrics asked (a reference answer for exact match, relevant ids for hit@k, retrieval for context metrics). */
export function metricRequirements(ids: readonly string[], items: readonly EvaluationItem[], options: { retrieval: boolean }): string[] {
  const problems: string[] = [];
  for (const id of ids) {
    const needs = metricDefinition(id)?.needs ?? [];
    const offlineLike = !isJudgeMetricId(id);
    if (offlineLike && needs.includes('references') && items.some((i) => i.referenceAnswer === null)) problems.push(`${id} needs a reference answer for every item`);
    if (needs.includes('relevantIds') && items.some((i) => i.relevantDocumentIds.length === 0)) problems.push(`${id} needs relevant document ids for every item`);
    if (needs.includes('retrievedIds') && !options.retrieval) problems.push(`${id} needs retrieval (a rag evaluation, or retrieval: { k })`);
    if (offlineLike && needs.includes('referenceContexts') && items.some((i) => i.referenceContexts.length === 0)) problems.push(`${id} needs reference contexts for every item`);
    if (offlineLike && needs.includes('retrievedContexts') && !options.retrieval) problems.push(`${id} needs retrieval (a rag evaluation, or retrieval: { k })`);
    if (needs.includes('jsonSchema')) problems.push(`${id} needs a JSON schema per item, which evaluations do not take yet`);
  }
  return problems;
}

export function offlineScores(item: OfflineItem, ids: readonly string[], options: OfflineOptions): Record<string, MetricScore> {
  const offline = ids.filter(isOfflineMetricId);
  return offline.length === 0 ? {} : (scoreOfflineItem(item, offline, options) as Record<string, MetricScore>);
}

/** Runs a judge metric: each prompt through `ask` (the cached judge), each embedding request through `embed`. */
export function judgeScore(id: string, input: JudgeInput, ask: (prompt: JudgePromptMessages) => Promise<string>, embed: (texts: string[]) => Promise<ArrayLike<number>[]>): Promise<JudgeScore> {
  return JUDGE_PROGRAMS[id]!.run(input, ask, embed);
}

/** The first prompt a judge metric sends for `input`, and the most calls it makes: what a dry run counts. */
export function judgeCallPlan(id: string, input: JudgeInput): { firstPrompt: JudgePrompt['messages']; calls: number } {
  const program = JUDGE_PROGRAMS[id]!;
  return { firstPrompt: program.first(input).messages, calls: program.calls(input) };
}

/** The text with every group's i-th term swapped for `group`'s i-th term (whole words, case kept). */
export function counterfactualQuestion(text: string, groups: Record<string, readonly string[]>, group: string): string {
  const names = Object.keys(groups).sort();
  const rows = groups[names[0]!]!.map((_, i) => names.map((name) => groups[name]![i]!));
  return counterfactualVariants(text, { groups: names, rows }).find((v) => v.group === group)!.text;
}

/** The mean of one sample and its 95% percentile bootstrap interval: the paired bootstrap of the values against zero. */
export function meanInterval(values: readonly number[], options: { seed: number; samples: number }): { mean: number | null; low: number | null; high: number | null } {
  const { meanDifference, interval } = pairedBootstrapMeanDifference(values, { seed: options.seed, resamples: options.samples, level: 0.95 });
  return { mean: meanDifference, low: interval.lower, high: interval.upper };
}

/** Per group the mean over items, the largest difference and smallest ratio between groups, the mean per-item gap. */
export const groupDisparity = (groups: readonly string[], scores: readonly (readonly (number | null)[])[], metric: string) => counterfactualDisparity(groups, scores, metricDefinitionOf(metric).direction);

export type PairedComparison = { n: number; meanDifference: number | null; ciLow: number | null; ciHigh: number | null; test: string; pValue: number | null; verdict: 'candidate-better' | 'baseline-better' | 'no-detectable-difference' };

/** Candidate (b) against baseline (a) on paired scores: the bootstrap interval of the mean difference and the metric's paired test. */
export function comparePaired(definition: MetricDefinition, a: readonly number[], b: readonly number[], options: { seed: number; test: 'wilcoxon' | 'permutation'; bootstrapSamples: number }): PairedComparison {
  const differences = b.map((y, i) => y - a[i]!);
  const { meanDifference, interval } = pairedBootstrapMeanDifference(differences, { seed: options.seed, resamples: options.bootstrapSamples, level: 0.95 });
  const tested: { test: string; mode: string; pValue: number } | null =
    a.length === 0 ? null : definition.scale === 'pass-fail' ? mcnemarTest(a, b) : options.test === 'permutation' ? signFlipPermutationTest(differences, { seed: options.seed }) : wilcoxonSignedRank(differences);
  const verdict = comparisonVerdict(interval, definition.direction);
  return {
    n: a.length,
    meanDifference,
    ciLow: interval.lower,
    ciHigh: interval.upper,
    test: tested ? `${tested.test} (${tested.mode})` : 'none (no paired scores)',
    pValue: tested && Number.isFinite(tested.pValue) ? tested.pValue : null,
    verdict: verdict === 'b-better' ? 'candidate-better' : verdict === 'a-better' ? 'baseline-better' : 'no-detectable-difference',
  };
}

/** Holm's step-down adjustment over the p-values there are (a metric without one keeps null). */
export function holmAdjusted(pValues: readonly (number | null)[]): (number | null)[] {
  const present = pValues.flatMap((p, i) => (p === null ? [] : [{ p, i }]));
  const adjusted = holmAdjust(present.map((x) => x.p));
  const out: (number | null)[] = pValues.map(() => null);
  present.forEach((x, k) => (out[x.i] = adjusted[k]!));
  return out;
}
