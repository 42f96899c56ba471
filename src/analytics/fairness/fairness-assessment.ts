import { forEachCellResample, percentileInterval, type ConfidenceInterval } from './bootstrap-intervals.js';
import { tallyConfusionCells, type ConfusionCells } from './confusion-cells.js';
import { computeDisparities, DISPARITY_METRIC_COUNT, DISPARITY_METRICS, DISPARITY_SOURCE, type DisparityMetricName } from './disparity-metrics.js';
import { FairnessInputError, validateClassificationInput, type ClassificationInput } from './fairness-input.js';
import {
  createGroupTallies,
  GROUP_METRIC_COUNT,
  GROUP_METRICS,
  groupRates,
  M_SELECTION,
  tallyGroups,
  undefinedRateReason,
  type GroupMetricName,
  type GroupTallies,
} from './group-metrics.js';
import { buildGroupings, compactCombine, type Grouping, type IntersectionSpec } from './intersection-groups.js';
import { createRandom, type Random } from './seeded-random.js';
import { metricFrame, type MetricFrame } from './metric-frame.js';

export type BootstrapOptions = {
  /** Default 1000. */
  resamples?: number;
  /** Default 0.95. */
  level?: number;
  /** The generator to draw from; otherwise one seeded with `seed` (default 20240601). */
  random?: Random;
  seed?: number;
};

export type FairnessOptions = {
  /** Groups with fewer rows are flagged `smallGroup` (default 30). */
  minGroupSize?: number;
  /** Include small groups in across-group comparisons (default false: listed, not compared). */
  includeSmallGroups?: boolean;
  /** Intersections reported besides each attribute alone (default 'pairwise-and-all'). */
  intersections?: IntersectionSpec;
  /** Reference group per grouping name (`sex`, `sex × race`) for disparate impact; default the highest selection rate. */
  referenceGroups?: Readonly<Record<string, string>>;
  /** Equal-width calibration bins (default 10). */
  calibrationBins?: number;
  /** AIF360's privileged group per grouping name; default the group with the highest selection rate. */
  privilegedGroups?: Readonly<Record<string, string>>;
  /** Bootstrap percentile intervals; `false` skips them. */
  bootstrap?: BootstrapOptions | false;
};

export type MetricEstimate = { value: number | null; reason?: string; ci?: ConfidenceInterval };

export type GroupReport = {
  group: string;
  levels: Record<string, string>;
  rows: number;
  weight: number;
  smallGroup: boolean;
  includedInComparisons: boolean;
  isReference: boolean;
  metrics: Record<GroupMetricName, MetricEstimate>;
};

export type DisparityReport = MetricEstimate & { groupsCompared: string[] };

export type GroupingReport = {
  name: string;
  attributes: string[];
  referenceGroup: string | null;
  referenceRule: 'highest-selection-rate' | 'given';
  includesSmallGroups: boolean;
  smallGroups: string[];
  groups: GroupReport[];
  disparities: Record<DisparityMetricName, DisparityReport>;
  /** EEOC Uniform Guidelines, 29 CFR 1607.4(D): every compared group's selection rate ≥ 4/5 of the reference's. */
  fourFifthsRule: { threshold: 0.8; ratio: number | null; passed: boolean | null };
  /** The same rows as fairlearn's MetricFrame and AIF360's ClassificationMetric report them (every group, and overall). */
  libraryMetrics?: MetricFrame;
};

export type FairnessReport = {
  rows: number;
  totalWeight: number;
  weighted: boolean;
  hasScores: boolean;
  calibrationBins: number;
  minGroupSize: number;
  groupings: GroupingReport[];
  bootstrap: { method: 'percentile'; resampling: 'multinomial-over-cells'; resamples: number; level: number; effectiveRows: number } | null;
};

type GroupingState = {
  grouping: Grouping;
  tallies: GroupTallies;
  rows: Float64Array;
  small: Uint8Array;
  included: Uint8Array;
  reference: number;
  referenceRule: 'highest-selection-rate' | 'given';
  rates: Float64Array;
  disparities: Float64Array;
};

const DEFAULT_SEED = 20240601;

/**
 * Group rates and across-group disparities for every protected attribute and the requested
 * intersections, with bootstrap percentile intervals. Pure: the same input and seed give the
 * same report.
 */
export function assessFairness(input: ClassificationInput, options: FairnessOptions = {}): FairnessReport {
  validateClassificationInput(input);
  const minGroupSize = options.minGroupSize ?? 30;
  const includeSmallGroups = options.includeSmallGroups ?? false;
  const calibrationBins = options.calibrationBins ?? 10;
  if (!(Number.isInteger(calibrationBins) && calibrationBins >= 1)) throw new FairnessInputError(['calibrationBins must be a positive integer']);
  const rows = input.yTrue.length;
  const attributes = input.attributes;
  const finest = compactCombine(
    attributes.map((a) => a.codes),
    attributes.map((a) => a.labels.length),
    rows,
  );
  const cells = tallyConfusionCells(input, finest, calibrationBins);
  const hasScores = cells.scoreMass !== null;
  const groupings = buildGroupings(attributes, finest, options.intersections ?? 'pairwise-and-all');
  const states = groupings.map((grouping) => pointEstimates(grouping, cells, minGroupSize, includeSmallGroups, options.referenceGroups?.[grouping.name]));

  const bootstrap = options.bootstrap === false ? null : options.bootstrap ?? {};
  const resamples = bootstrap ? bootstrap.resamples ?? 1000 : 0;
  const level = bootstrap ? bootstrap.level ?? 0.95 : 0.95;
  if (bootstrap && !(Number.isInteger(resamples) && resamples >= 1)) throw new FairnessInputError(['bootstrap resamples must be a positive integer']);
  if (!(level > 0 && level < 1)) throw new FairnessInputError(['bootstrap level must lie strictly between 0 and 1']);
  const samples = states.map((s) => ({
    groups: new Float64Array(GROUP_METRIC_COUNT * s.grouping.groupCount * resamples),
    disparities: new Float64Array(DISPARITY_METRIC_COUNT * resamples),
  }));
  if (bootstrap) {
    const random = bootstrap.random ?? createRandom(bootstrap.seed ?? DEFAULT_SEED);
    const scratch = states.map((s) => ({
      tallies: createGroupTallies(s.grouping.groupCount, cells.bins, hasScores),
      rates: new Float64Array(GROUP_METRIC_COUNT * s.grouping.groupCount),
      disparities: new Float64Array(DISPARITY_METRIC_COUNT),
    }));
    forEachCellResample(cells, resamples, random, (mass, scoreMass, r) => {
      for (let i = 0; i < states.length; i++) {
        const state = states[i]!;
        const work = scratch[i]!;
        const store = samples[i]!;
        tallyGroups(mass, scoreMass, cells.intersections, cells.bins, state.grouping.groupOfCell, work.tallies);
        groupRates(work.tallies, state.reference, work.rates);
        computeDisparities(work.rates, state.grouping.groupCount, state.included, state.reference, work.disparities);
        const cols = work.rates.length;
        for (let j = 0; j < cols; j++) store.groups[j * resamples + r] = work.rates[j]!;
        for (let d = 0; d < DISPARITY_METRIC_COUNT; d++) store.disparities[d * resamples + r] = work.disparities[d]!;
      }
    });
  }

  return {
    rows,
    totalWeight: cells.totalMass,
    weighted: input.sampleWeight !== undefined,
    hasScores,
    calibrationBins,
    minGroupSize,
    groupings: states.map((state, i) => ({
      ...groupingReport(state, bootstrap ? samples[i]! : null, resamples, level, hasScores, includeSmallGroups),
      libraryMetrics: libraryMetrics(input, finest.index, state.grouping, options.privilegedGroups?.[state.grouping.name]),
    })),
    bootstrap: bootstrap ? { method: 'percentile', resampling: 'multinomial-over-cells', resamples, level, effectiveRows: Math.round(cells.effectiveRows) } : null,
  };
}

function libraryMetrics(input: ClassificationInput, finestOfRow: Int32Array, grouping: Grouping, privileged: string | undefined): MetricFrame {
  if (privileged !== undefined && !grouping.groupLabels.includes(privileged)) throw new FairnessInputError([`privileged group ${privileged} not found in ${grouping.name}`]);
  const groupOfRow = Int32Array.from(finestOfRow, (c) => grouping.groupOfCell[c]!);
  return metricFrame(input, groupOfRow, grouping.groupLabels, privileged ?? null);
}

function pointEstimates(
  grouping: Grouping,
  cells: ConfusionCells,
  minGroupSize: number,
  includeSmallGroups: boolean,
  referenceLabel: string | undefined,
): GroupingState {
  const G = grouping.groupCount;
  const tallies = createGroupTallies(G, cells.bins, cells.scoreMass !== null);
  tallyGroups(cells.mass, cells.scoreMass, cells.intersections, cells.bins, grouping.groupOfCell, tallies);
  const rows = new Float64Array(G);
  for (let c = 0; c < cells.intersections; c++) rows[grouping.groupOfCell[c]!]! += cells.rowsPerIntersection[c]!;
  const small = new Uint8Array(G);
  const included = new Uint8Array(G);
  for (let g = 0; g < G; g++) {
    small[g] = rows[g]! < minGroupSize ? 1 : 0;
    included[g] = includeSmallGroups || small[g] === 0 ? 1 : 0;
  }
  const rates = new Float64Array(GROUP_METRIC_COUNT * G);
  groupRates(tallies, -1, rates);
  let reference = -1;
  if (referenceLabel !== undefined) {
    reference = grouping.groupLabels.indexOf(referenceLabel);
    if (reference < 0) throw new FairnessInputError([`reference group ${referenceLabel} not found in ${grouping.name}`]);
  } else {
    // Default reference: the compared group with the highest selection rate (first on ties).
    let best = -Infinity;
    for (let g = 0; g < G; g++) {
      const s = rates[M_SELECTION * G + g]!;
      if (included[g] === 1 && s > best) {
        best = s;
        reference = g;
      }
    }
  }
  groupRates(tallies, reference, rates);
  const disparities = new Float64Array(DISPARITY_METRIC_COUNT);
  computeDisparities(rates, G, included, reference, disparities);
  return { grouping, tallies, rows, small, included, reference, referenceRule: referenceLabel === undefined ? 'highest-selection-rate' : 'given', rates, disparities };
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

function groupingReport(
  state: GroupingState,
  samples: { groups: Float64Array; disparities: Float64Array } | null,
  resamples: number,
  level: number,
  hasScores: boolean,
  includeSmallGroups: boolean,
): Omit<GroupingReport, 'libraryMetrics'> {
  const { grouping, tallies, rows, small, included, reference, rates, disparities } = state;
  const G = grouping.groupCount;
  const referenceLabel = reference >= 0 ? grouping.groupLabels[reference]! : null;
  const referenceRate = reference >= 0 ? rates[M_SELECTION * G + reference]! : NaN;
  const interval = (column: number, source: Float64Array): ConfidenceInterval | undefined =>
    samples ? percentileInterval(source.subarray(column * resamples, (column + 1) * resamples), level) : undefined;

  const groups: GroupReport[] = [];
  for (let g = 0; g < G; g++) {
    const metrics = {} as Record<GroupMetricName, MetricEstimate>;
    GROUP_METRICS.forEach((metric, m) => {
      const value = finiteOrNull(rates[m * G + g]!);
      const estimate: MetricEstimate = { value };
      if (value === null) estimate.reason = undefinedRateReason(metric, tallies, g, hasScores, referenceLabel, referenceRate);
      const ci = samples ? interval(m * G + g, samples.groups) : undefined;
      if (ci) estimate.ci = ci;
      metrics[metric] = estimate;
    });
    const levels: Record<string, string> = {};
    grouping.attributes.forEach((name, a) => (levels[name] = grouping.groupLevels[g]![a]!));
    groups.push({
      group: grouping.groupLabels[g]!,
      levels,
      rows: rows[g]!,
      weight: tallies.tp[g]! + tallies.fp[g]! + tallies.fn[g]! + tallies.tn[g]!,
      smallGroup: small[g] === 1,
      includedInComparisons: included[g] === 1,
      isReference: g === reference,
      metrics,
    });
  }
  const smallGroups = groups.filter((report) => report.smallGroup).map((report) => report.group);

  const result = {} as Record<DisparityMetricName, DisparityReport>;
  DISPARITY_METRICS.forEach((metric, d) => {
    const sources = DISPARITY_SOURCE[metric];
    const compared: string[] = [];
    for (let g = 0; g < G; g++) {
      if (included[g] === 0) continue;
      if (metric === 'disparateImpactRatio' && g === reference) continue;
      if (sources.every((m) => !Number.isNaN(rates[m * G + g]!))) compared.push(grouping.groupLabels[g]!);
    }
    const value = finiteOrNull(disparities[d]!);
    const estimate: DisparityReport = { value, groupsCompared: compared };
    if (value === null) estimate.reason = disparityReason(metric, compared.length, referenceLabel, referenceRate, hasScores);
    const ci = samples ? interval(d, samples.disparities) : undefined;
    if (ci) estimate.ci = ci;
    result[metric] = estimate;
  });
  const ratio = result.disparateImpactRatio.value;
  return {
    name: grouping.name,
    attributes: grouping.attributes,
    referenceGroup: referenceLabel,
    referenceRule: state.referenceRule,
    includesSmallGroups: includeSmallGroups,
    smallGroups,
    groups,
    disparities: result,
    fourFifthsRule: { threshold: 0.8, ratio, passed: ratio === null ? null : ratio >= 0.8 },
  };
}

function disparityReason(metric: DisparityMetricName, compared: number, referenceLabel: string | null, referenceRate: number, hasScores: boolean): string {
  if (metric === 'calibrationDifference' && !hasScores) return 'no scores were supplied';
  if (metric === 'disparateImpactRatio') {
    if (referenceLabel === null) return 'no reference group';
    // A reference selecting nobody leaves every ratio undefined, so no group counts as compared:
    // its rate, not the count of compared groups, says why.
    if (referenceRate === 0) return `the reference group ${referenceLabel} has selection rate 0`;
    if (Number.isNaN(referenceRate)) return `the reference group ${referenceLabel} has no rows (or zero total weight)`;
    return 'no other compared group has a defined selection rate';
  }
  if (metric === 'demographicParityRatio' && compared >= 2) return 'no compared group has a positive selection rate';
  return `fewer than two compared groups have a defined value (${compared})`;
}
