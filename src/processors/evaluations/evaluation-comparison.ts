import type { ItemScored } from '../../commands/evaluation/evaluation.decider.js';
import { InvalidLlmInput } from '../llm/llm-errors.js';
import type { EvaluationDependencies } from './evaluations.js';
import { EvaluationStream } from './evaluation-stream.js';
import { comparePaired, holmAdjusted, metricDefinitionOf, type PairedComparison } from './metric-suite.js';

/** One arm of a comparison: a configuration's answers within an evaluation. */
export type Arm = { evaluationId: string; configurationId: string };

export type MetricComparison = PairedComparison & { metric: string; pValueHolm: number | null };
export type ArmComparison = { baseline: Arm; candidate: Arm; metrics: MetricComparison[] };

export type ComparisonInput = { evaluationIds: string[]; metrics?: string[]; test?: 'wilcoxon' | 'permutation'; seed?: number; bootstrapSamples?: number };

/**
 * Two or more arms on the same items (same items hash): every arm against the first, per metric
 * the paired difference (candidate minus baseline) over the items both scored, its bootstrap
 * interval, McNemar's test for pass/fail metrics and Wilcoxon signed-rank (or the paired
 * permutation test) for continuous ones, p-values Holm-adjusted over the metrics of the pair, and
 * a verdict that calls one arm better only when the interval excludes zero.
 */
export async function compareEvaluations(deps: Pick<EvaluationDependencies, 'store' | 'catalogue'>, input: ComparisonInput): Promise<{ itemsSha256: string; seed: number; comparisons: ArmComparison[] }> {
  const streams = await Promise.all(input.evaluationIds.map((id) => new EvaluationStream(deps, id).load()));
  const problems: { field: string; message: string }[] = [];
  streams.forEach((s, i) => {
    if (s.state.status === 'none') problems.push({ field: `body.evaluationIds.${i}`, message: `evaluation ${s.evaluationId} does not exist` });
  });
  if (problems.length > 0) throw new InvalidLlmInput(problems);
  const states = streams.map((s) => s.state as Exclude<typeof s.state, { status: 'none' }>);
  const hashes = new Set(states.map((s) => s.definition.itemsSha256));
  if (hashes.size > 1) throw new InvalidLlmInput([{ field: 'body.evaluationIds', message: 'the evaluations are not on the same items (their itemsSha256 differ)' }]);
  const arms: { arm: Arm; results: Map<number, ItemScored> }[] = streams.flatMap((s, i) =>
    states[i]!.definition.configurations.map((c) => ({
      arm: { evaluationId: s.evaluationId, configurationId: c.configurationId },
      results: new Map([...s.results.values()].filter((r) => r.configurationId === c.configurationId && r.variant === null).map((r) => [r.itemIndex, r])),
    })),
  );
  if (arms.length < 2) throw new InvalidLlmInput([{ field: 'body.evaluationIds', message: 'a comparison needs two arms: two evaluations, or one comparison evaluation of several configurations' }]);
  const shared = states[0]!.definition.metrics.map((m) => m.id).filter((id) => states.every((s) => s.definition.metrics.some((m) => m.id === id)));
  const metrics = input.metrics ?? shared;
  const unknown = metrics.filter((m) => !shared.includes(m));
  if (unknown.length > 0) throw new InvalidLlmInput([{ field: 'body.metrics', message: `not measured by every evaluation: ${unknown.join(', ')}` }]);
  const seed = input.seed ?? states[0]!.definition.seed;
  const [baseline, ...candidates] = arms;
  const comparisons = candidates.map((candidate) => {
    const perMetric = metrics.map((metric) => {
      const a: number[] = [];
      const b: number[] = [];
      for (const [itemIndex, base] of baseline!.results) {
        const x = base.scores[metric];
        const y = candidate.results.get(itemIndex)?.scores[metric];
        if (typeof x === 'number' && typeof y === 'number') {
          a.push(x);
          b.push(y);
        }
      }
      return { metric, ...comparePaired(metricDefinitionOf(metric), a, b, { seed, test: input.test ?? 'wilcoxon', bootstrapSamples: input.bootstrapSamples ?? 2000 }) };
    });
    const adjusted = holmAdjusted(perMetric.map((m) => m.pValue));
    return { baseline: baseline!.arm, candidate: candidate.arm, metrics: perMetric.map((m, i) => ({ ...m, pValueHolm: adjusted[i]! })) };
  });
  return { itemsSha256: [...hashes][0]!, seed, comparisons };
}
