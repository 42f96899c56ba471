/**
 * The per-metric report of `compare`: for each metric, the items both runs scored (paired by
 * position; a null on either side drops the pair), the mean of each, the bootstrap interval of
 * mean(B - A), a paired test (McNemar for pass/fail metrics, Wilcoxon signed-rank or the sign-flip
 * permutation test for continuous ones), the p-values Holm-adjusted across the metrics compared,
 * and the verdict read from the interval. Each metric's resampling gets its own seed derived from
 * the comparison seed and the metric's position, so adding a metric does not change the others'.
 */
import type { ConfidenceInterval } from '../../fairness/bootstrap-intervals.js';
import type { MetricDefinition } from '../metric-registry.js';
import { comparisonVerdict, verdictStatement, type ComparisonVerdict } from './comparison-verdict.js';
import { holmAdjust } from './holm-adjustment.js';
import { mcnemarTest, type McNemarResult } from './mcnemar-test.js';
import { pairedBootstrapMeanDifference } from './paired-bootstrap.js';
import { signFlipPermutationTest, type PermutationResult } from './sign-flip-permutation-test.js';
import { wilcoxonSignedRank, type WilcoxonResult } from './wilcoxon-signed-rank.js';

export type ContinuousTest = 'wilcoxon' | 'permutation';

export type PairedComparisonOptions = {
  seed: number;
  level?: number;
  bootstrapResamples?: number;
  continuousTest?: ContinuousTest;
  permutationResamples?: number;
  nameA?: string;
  nameB?: string;
};

export type MetricPairs = { definition: MetricDefinition; a: readonly (number | null)[]; b: readonly (number | null)[] };

export type PairedMetricComparison = {
  metricId: string;
  metricVersion: string;
  direction: MetricDefinition['direction'];
  pairs: number;
  droppedPairs: number;
  meanA: number | null;
  meanB: number | null;
  meanDifference: number | null;
  interval: ConfidenceInterval;
  test: McNemarResult | WilcoxonResult | PermutationResult | null;
  adjustedPValue: number | null;
  verdict: ComparisonVerdict;
  statement: string;
};

/** A 32-bit seed per metric position: the golden-ratio increment keeps them distinct (splitmix style). */
function metricSeed(seed: number, index: number): number {
  return (seed + Math.imul(index + 1, 0x9e3779b9)) >>> 0;
}

export function comparePairedMetrics(metrics: readonly MetricPairs[], options: PairedComparisonOptions): PairedMetricComparison[] {
  const nameA = options.nameA ?? 'A';
  const nameB = options.nameB ?? 'B';
  const partial = metrics.map(({ definition, a, b }, index) => {
    if (a.length !== b.length) throw new RangeError(`metric ${definition.id}: the two runs hold ${a.length} and ${b.length} items`);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x === null || x === undefined || y === null || y === undefined || Number.isNaN(x) || Number.isNaN(y)) continue;
      xs.push(x);
      ys.push(y);
    }
    const n = xs.length;
    const differences = new Float64Array(n);
    for (let i = 0; i < n; i++) differences[i] = ys[i]! - xs[i]!;
    const seed = metricSeed(options.seed, index);
    const { meanDifference, interval } = pairedBootstrapMeanDifference(differences, { seed, level: options.level, resamples: options.bootstrapResamples });
    let test: PairedMetricComparison['test'] = null;
    if (n > 0) {
      if (definition.scale === 'pass-fail') test = mcnemarTest(xs, ys);
      else if ((options.continuousTest ?? 'wilcoxon') === 'wilcoxon') test = wilcoxonSignedRank(differences);
      else test = signFlipPermutationTest(differences, { seed, resamples: options.permutationResamples });
    }
    const mean = (v: number[]): number | null => (v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length);
    const verdict = comparisonVerdict(interval, definition.direction);
    return {
      metricId: definition.id,
      metricVersion: definition.version,
      direction: definition.direction,
      pairs: n,
      droppedPairs: a.length - n,
      meanA: mean(xs),
      meanB: mean(ys),
      meanDifference,
      interval,
      test,
      adjustedPValue: null as number | null,
      verdict,
      statement: verdictStatement(verdict, nameA, nameB),
    };
  });
  const adjusted = holmAdjust(partial.map((p) => p.test?.pValue ?? Number.NaN));
  return partial.map((p, i) => ({ ...p, adjustedPValue: Number.isNaN(adjusted[i]!) ? null : adjusted[i]! }));
}
