import { percentileInterval, type ConfidenceInterval } from './bootstrap-intervals.js';
import type { BootstrapOptions, DisparityReport, MetricEstimate } from './fairness-assessment.js';
import { FairnessInputError, validateRegressionInput, type RegressionInput } from './fairness-input.js';
import { buildGroupings, compactCombine, type IntersectionSpec } from './intersection-groups.js';
import { createRandom } from './seeded-random.js';

/**
 * Group metrics for regression (fairlearn's MetricFrame with mean_prediction, mean error,
 * mean_absolute_error and root mean squared error; error = prediction − truth, so a positive mean
 * error is over-prediction), and their ranges across groups ("bounded group loss" reporting,
 * Agarwal, Dudík & Wu 2019).
 */
export const REGRESSION_METRICS = ['meanPrediction', 'meanError', 'meanAbsoluteError', 'rootMeanSquaredError'] as const;
export type RegressionMetricName = (typeof REGRESSION_METRICS)[number];

export type RegressionOptions = {
  minGroupSize?: number;
  includeSmallGroups?: boolean;
  intersections?: IntersectionSpec;
  /** Row resampling (cost: rows × resamples random draws); `false` skips it. */
  bootstrap?: BootstrapOptions | false;
};

export type RegressionGroupReport = {
  group: string;
  levels: Record<string, string>;
  rows: number;
  weight: number;
  smallGroup: boolean;
  includedInComparisons: boolean;
  metrics: Record<RegressionMetricName, MetricEstimate>;
};

export type RegressionGroupingReport = {
  name: string;
  attributes: string[];
  includesSmallGroups: boolean;
  smallGroups: string[];
  groups: RegressionGroupReport[];
  /** Largest minus smallest group value, per metric. */
  differences: Record<RegressionMetricName, DisparityReport>;
};

export type RegressionFairnessReport = {
  rows: number;
  groupings: RegressionGroupingReport[];
  bootstrap: { method: 'percentile'; resampling: 'rows'; resamples: number; level: number } | null;
};

const STATS = 5; // weight, Σw·ŷ, Σw·e, Σw·|e|, Σw·e²
const METRICS = REGRESSION_METRICS.length;

function metricsFromStats(stats: Float64Array, G: number, out: Float64Array): void {
  for (let g = 0; g < G; g++) {
    const w = stats[g * STATS]!;
    out[0 * G + g] = stats[g * STATS + 1]! / w;
    out[1 * G + g] = stats[g * STATS + 2]! / w;
    out[2 * G + g] = stats[g * STATS + 3]! / w;
    out[3 * G + g] = Math.sqrt(stats[g * STATS + 4]! / w);
  }
}

function ranges(values: Float64Array, G: number, included: Uint8Array, out: Float64Array): void {
  for (let m = 0; m < METRICS; m++) {
    let min = Infinity;
    let max = -Infinity;
    let defined = 0;
    for (let g = 0; g < G; g++) {
      const v = values[m * G + g]!;
      if (included[g] === 0 || Number.isNaN(v)) continue;
      defined++;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    out[m] = defined < 2 ? NaN : max - min;
  }
}

export function assessRegressionFairness(input: RegressionInput, options: RegressionOptions = {}): RegressionFairnessReport {
  validateRegressionInput(input);
  const { yTrue, yPred, sampleWeight, attributes } = input;
  const rows = yTrue.length;
  const minGroupSize = options.minGroupSize ?? 30;
  const includeSmall = options.includeSmallGroups ?? false;
  const finest = compactCombine(
    attributes.map((a) => a.codes),
    attributes.map((a) => a.labels.length),
    rows,
  );
  const groupings = buildGroupings(attributes, finest, options.intersections ?? 'pairwise-and-all');
  const C = finest.count;
  const cellStats = new Float64Array(C * STATS);
  const cellRows = new Float64Array(C);
  const accumulate = (target: Float64Array, i: number) => {
    const c = finest.index[i]!;
    const w = sampleWeight ? sampleWeight[i]! : 1;
    const e = yPred[i]! - yTrue[i]!;
    target[c * STATS]! += w;
    target[c * STATS + 1]! += w * yPred[i]!;
    target[c * STATS + 2]! += w * e;
    target[c * STATS + 3]! += w * Math.abs(e);
    target[c * STATS + 4]! += w * e * e;
  };
  for (let i = 0; i < rows; i++) {
    accumulate(cellStats, i);
    cellRows[finest.index[i]!]! += 1;
  }
  const groupStats = (cells: Float64Array, groupOfCell: Int32Array, G: number, out: Float64Array) => {
    out.fill(0);
    for (let c = 0; c < C; c++) for (let s = 0; s < STATS; s++) out[groupOfCell[c]! * STATS + s]! += cells[c * STATS + s]!;
    return out;
  };
  const point = groupings.map((grouping) => {
    const G = grouping.groupCount;
    const stats = groupStats(cellStats, grouping.groupOfCell, G, new Float64Array(G * STATS));
    const groupRows = new Float64Array(G);
    for (let c = 0; c < C; c++) groupRows[grouping.groupOfCell[c]!]! += cellRows[c]!;
    const included = Uint8Array.from(groupRows, (r) => (includeSmall || r >= minGroupSize ? 1 : 0));
    const values = new Float64Array(METRICS * G);
    metricsFromStats(stats, G, values);
    const differences = new Float64Array(METRICS);
    ranges(values, G, included, differences);
    return { grouping, stats, groupRows, included, values, differences };
  });

  const bootstrap = options.bootstrap === false ? null : options.bootstrap ?? {};
  const resamples = bootstrap ? bootstrap.resamples ?? 1000 : 0;
  const level = bootstrap ? bootstrap.level ?? 0.95 : 0.95;
  if (bootstrap && !(Number.isInteger(resamples) && resamples >= 1)) throw new FairnessInputError(['bootstrap resamples must be a positive integer']);
  const samples = point.map((p) => ({
    values: new Float64Array(METRICS * p.grouping.groupCount * resamples),
    differences: new Float64Array(METRICS * resamples),
  }));
  if (bootstrap) {
    const random = bootstrap.random ?? createRandom(bootstrap.seed ?? 20240601);
    const resampled = new Float64Array(C * STATS);
    for (let r = 0; r < resamples; r++) {
      resampled.fill(0);
      // Efron's bootstrap: n rows drawn uniformly with replacement (weights travel with their rows).
      for (let j = 0; j < rows; j++) accumulate(resampled, Math.min(rows - 1, Math.floor(random() * rows)));
      point.forEach((p, i) => {
        const G = p.grouping.groupCount;
        const stats = groupStats(resampled, p.grouping.groupOfCell, G, new Float64Array(G * STATS));
        const values = new Float64Array(METRICS * G);
        metricsFromStats(stats, G, values);
        const differences = new Float64Array(METRICS);
        ranges(values, G, p.included, differences);
        for (let k = 0; k < values.length; k++) samples[i]!.values[k * resamples + r] = values[k]!;
        for (let m = 0; m < METRICS; m++) samples[i]!.differences[m * resamples + r] = differences[m]!;
      });
    }
  }

  const interval = (source: Float64Array, column: number): ConfidenceInterval => percentileInterval(source.subarray(column * resamples, (column + 1) * resamples), level);
  return {
    rows,
    groupings: point.map((p, i) => {
      const G = p.grouping.groupCount;
      const groups: RegressionGroupReport[] = [];
      for (let g = 0; g < G; g++) {
        const metrics = {} as Record<RegressionMetricName, MetricEstimate>;
        REGRESSION_METRICS.forEach((name, m) => {
          const v = p.values[m * G + g]!;
          const estimate: MetricEstimate = Number.isFinite(v) ? { value: v } : { value: null, reason: 'the group has zero total weight' };
          if (bootstrap) estimate.ci = interval(samples[i]!.values, m * G + g);
          metrics[name] = estimate;
        });
        const levels: Record<string, string> = {};
        p.grouping.attributes.forEach((name, a) => (levels[name] = p.grouping.groupLevels[g]![a]!));
        groups.push({
          group: p.grouping.groupLabels[g]!,
          levels,
          rows: p.groupRows[g]!,
          weight: p.stats[g * STATS]!,
          smallGroup: p.groupRows[g]! < minGroupSize,
          includedInComparisons: p.included[g] === 1,
          metrics,
        });
      }
      const differences = {} as Record<RegressionMetricName, DisparityReport>;
      REGRESSION_METRICS.forEach((name, m) => {
        const compared = groups.filter((gr, g) => p.included[g] === 1 && Number.isFinite(p.values[m * G + g]!)).map((gr) => gr.group);
        const v = p.differences[m]!;
        const estimate: DisparityReport = Number.isFinite(v)
          ? { value: v, groupsCompared: compared }
          : { value: null, reason: `fewer than two compared groups have a defined value (${compared.length})`, groupsCompared: compared };
        if (bootstrap) estimate.ci = interval(samples[i]!.differences, m);
        differences[name] = estimate;
      });
      return {
        name: p.grouping.name,
        attributes: p.grouping.attributes,
        includesSmallGroups: includeSmall,
        smallGroups: groups.filter((g) => g.smallGroup).map((g) => g.group),
        groups,
        differences,
      };
    }),
    bootstrap: bootstrap ? { method: 'percentile', resampling: 'rows', resamples, level } : null,
  };
}
