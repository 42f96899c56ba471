import { counterfactualGroups, type EvaluationCompletion, type EvaluationDefinition, type ItemScored } from '../../commands/evaluation/evaluation.decider.js';
import { groupDisparity, meanInterval } from './metric-suite.js';

/** The code that computed a completion's numbers: bumped when aggregation could give other numbers for the same results. */
export const EVALUATION_CODE_VERSION = 'raia-evaluations/1';

/** Resamples of the percentile bootstrap of each mean (seeded by the evaluation's seed). */
export const AGGREGATE_BOOTSTRAP_SAMPLES = 2000;

const values = (results: readonly ItemScored[], metric: string) => results.map((r) => r.scores[metric]).filter((v): v is number => typeof v === 'number');

/**
 * Per configuration and metric over the items as given (not their counterfactual variants): the
 * number of scores, their mean and a 95% percentile bootstrap interval, and the abstentions
 * (never counted as zeros). Per configuration and metric over the counterfactual variants: the
 * mean per group and the disparity between groups. And the receipt that pins all of it.
 */
export function evaluationAggregates(definition: EvaluationDefinition, results: readonly ItemScored[]): Omit<EvaluationCompletion, 'itemsScored' | 'itemsFailed' | 'spentUsd' | 'evaluationId' | 'modelId' | 'modelVersion'> {
  const metrics = definition.metrics.map((m) => m.id);
  const aggregates = definition.configurations.map(({ configurationId }) => {
    const base = results.filter((r) => r.configurationId === configurationId && r.variant === null).sort((a, b) => a.itemIndex - b.itemIndex);
    return {
      configurationId,
      metrics: metrics.map((metric) => {
        const xs = values(base, metric);
        const interval = meanInterval(xs, { seed: definition.seed, samples: AGGREGATE_BOOTSTRAP_SAMPLES });
        return { metric, n: xs.length, mean: interval.mean, ciLow: interval.low, ciHigh: interval.high, abstentions: base.filter((r) => metric in r.abstentions).length };
      }),
    };
  });
  const groups = counterfactualGroups(definition);
  const fairness =
    groups.length === 0
      ? []
      : definition.configurations.flatMap(({ configurationId }) => {
          const variant = new Map(results.filter((r) => r.configurationId === configurationId && r.variant !== null).map((r) => [`${r.itemIndex}:${r.variant}`, r]));
          return metrics.map((metric) => {
            const scores = definition.items.map((_, i) => groups.map((g) => variant.get(`${i}:${g}`)?.scores[metric] ?? null));
            const d = groupDisparity(groups, scores, metric);
            return {
              configurationId,
              metric,
              referenceGroup: d.referenceGroup,
              groups: d.groups.map((g) => ({ group: g.group, n: g.items, mean: g.mean, differenceToReference: g.differenceToReference, ratioToReference: g.ratioToReference })),
              difference: d.difference,
              ratio: d.ratio,
              counterfactualGap: d.counterfactualGap,
            };
          });
        });
  const promptVersions: Record<string, string> = {};
  for (const r of results) for (const call of r.judgeCalls) promptVersions[`${call.metric}`] ??= call.promptVersion;
  return {
    aggregates,
    fairness,
    receipt: {
      configurations: definition.configurations.map((c) => ({ configurationId: c.configurationId, version: c.version })),
      source: definition.source,
      itemsSha256: definition.itemsSha256,
      metrics: definition.metrics,
      judge: definition.judge ? { provider: definition.judge.provider, model: definition.judge.model, parameters: definition.judge.parameters, promptVersions } : null,
      seed: definition.seed,
      codeVersion: EVALUATION_CODE_VERSION,
    },
  };
}
