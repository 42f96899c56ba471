import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessFairness, type GroupingReport } from '../../../src/analytics/fairness/fairness-assessment.js';
import { FairnessInputError, type ClassificationInput } from '../../../src/analytics/fairness/fairness-input.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

type Row = [sex: 'A' | 'B', region: 'north' | 'south', yTrue: 0 | 1, yPred: 0 | 1, score: number];

/**
 * Hand-computed dataset. Group A: TP×3, FN, FP | FP, TN×4 ; group B: TP, FN×3, FP | TN×5
 * (the first five rows of each group are `north`, the rest `south`).
 */
const ROWS: Row[] = [
  ['A', 'north', 1, 1, 0.95],
  ['A', 'north', 1, 1, 0.95],
  ['A', 'north', 1, 1, 0.95],
  ['A', 'north', 1, 0, 0.15],
  ['A', 'north', 0, 1, 0.85],
  ['A', 'south', 0, 1, 0.85],
  ['A', 'south', 0, 0, 0.05],
  ['A', 'south', 0, 0, 0.05],
  ['A', 'south', 0, 0, 0.05],
  ['A', 'south', 0, 0, 0.05],
  ['B', 'north', 1, 1, 0.5],
  ['B', 'north', 1, 0, 0.5],
  ['B', 'north', 1, 0, 0.5],
  ['B', 'north', 1, 0, 0.5],
  ['B', 'north', 0, 1, 0.5],
  ['B', 'south', 0, 0, 0.5],
  ['B', 'south', 0, 0, 0.5],
  ['B', 'south', 0, 0, 0.5],
  ['B', 'south', 0, 0, 0.5],
  ['B', 'south', 0, 0, 0.5],
];

function handInput(withScores = true): ClassificationInput {
  return {
    yTrue: Uint8Array.from(ROWS, (r) => r[2]),
    yPred: Uint8Array.from(ROWS, (r) => r[3]),
    ...(withScores ? { yScore: Float64Array.from(ROWS, (r) => r[4]) } : {}),
    attributes: [
      { name: 'sex', codes: Int32Array.from(ROWS, (r) => (r[0] === 'A' ? 0 : 1)), labels: ['A', 'B'] },
      { name: 'region', codes: Int32Array.from(ROWS, (r) => (r[1] === 'north' ? 0 : 1)), labels: ['north', 'south'] },
    ],
  };
}

const byName = (groupings: GroupingReport[], name: string) => groupings.find((g) => g.name === name)!;
const metricsOf = (grouping: GroupingReport, group: string) => grouping.groups.find((g) => g.group === group)!.metrics;

describe('assessFairness on a hand-computed dataset', () => {
  // Computed inside each test (not once here) so that mutation testing sees which tests run the code.
  const report = () => assessFairness(handInput(), { minGroupSize: 1, bootstrap: false });
  const sex = () => byName(report().groupings, 'sex');

  it('reports per-group rates equal to the hand-computed confusion matrices', () => {
    // A: TP=3 FN=1 FP=2 TN=4 → selection 5/10, accuracy 7/10, TPR 3/4, FPR 2/6, FNR 1/4, precision 3/5.
    const a = metricsOf(sex(), 'A');
    expect(a.selectionRate.value).toBeCloseTo(0.5, 12);
    expect(a.accuracy.value).toBeCloseTo(0.7, 12);
    expect(a.truePositiveRate.value).toBeCloseTo(0.75, 12);
    expect(a.falsePositiveRate.value).toBeCloseTo(1 / 3, 12);
    expect(a.falseNegativeRate.value).toBeCloseTo(0.25, 12);
    expect(a.precision.value).toBeCloseTo(0.6, 12);
    // ECE_A: bins 9 (3 rows, y=1, s=.95), 1 (1 row, y=1, s=.15), 8 (2 rows, y=0, s=.85), 0 (4 rows, y=0, s=.05):
    // .3·.05 + .1·.85 + .2·.85 + .4·.05 = .015 + .085 + .17 + .02 = .29.
    expect(a.expectedCalibrationError.value).toBeCloseTo(0.29, 12);
    // B: TP=1 FN=3 FP=1 TN=5 → selection 2/10, accuracy 6/10, TPR 1/4, FPR 1/6, FNR 3/4, precision 1/2.
    const b = metricsOf(sex(), 'B');
    expect(b.selectionRate.value).toBeCloseTo(0.2, 12);
    expect(b.accuracy.value).toBeCloseTo(0.6, 12);
    expect(b.truePositiveRate.value).toBeCloseTo(0.25, 12);
    expect(b.falsePositiveRate.value).toBeCloseTo(1 / 6, 12);
    expect(b.falseNegativeRate.value).toBeCloseTo(0.75, 12);
    expect(b.precision.value).toBeCloseTo(0.5, 12);
    // ECE_B: one bin (5), 10 rows, 4 positives, mean score .5: |.4 − .5| = .1.
    expect(b.expectedCalibrationError.value).toBeCloseTo(0.1, 12);
  });

  it('reports across-group metrics from those rates', () => {
    const d = sex().disparities;
    expect(d.demographicParityDifference.value).toBeCloseTo(0.3, 12); // .5 − .2
    expect(d.demographicParityRatio.value).toBeCloseTo(0.4, 12); // .2 / .5
    expect(sex().referenceGroup).toBe('A'); // highest selection rate
    expect(d.disparateImpactRatio.value).toBeCloseTo(0.4, 12);
    expect(metricsOf(sex(), 'B').disparateImpact.value).toBeCloseTo(0.4, 12);
    expect(metricsOf(sex(), 'A').disparateImpact.value).toBeCloseTo(1, 12);
    expect(sex().fourFifthsRule).toEqual({ threshold: 0.8, ratio: expect.closeTo(0.4, 12), passed: false });
    expect(d.equalOpportunityDifference.value).toBeCloseTo(0.5, 12); // .75 − .25
    expect(d.equalizedOddsDifference.value).toBeCloseTo(0.5, 12); // max(.5, 1/3 − 1/6)
    expect(d.falsePositiveRateDifference.value).toBeCloseTo(1 / 6, 12);
    expect(d.predictiveParityDifference.value).toBeCloseTo(0.1, 12); // .6 − .5
    expect(d.accuracyDifference.value).toBeCloseTo(0.1, 12); // .7 − .6
    expect(d.calibrationDifference.value).toBeCloseTo(0.19, 12); // .29 − .1
  });

  it('uses a given reference group for disparate impact', () => {
    const withReference = assessFairness(handInput(), { minGroupSize: 1, bootstrap: false, referenceGroups: { sex: 'B' } });
    const s = byName(withReference.groupings, 'sex');
    expect(s.referenceGroup).toBe('B');
    expect(metricsOf(s, 'A').disparateImpact.value).toBeCloseTo(2.5, 12); // .5 / .2
    expect(s.disparities.disparateImpactRatio.value).toBeCloseTo(2.5, 12);
    expect(s.fourFifthsRule.passed).toBe(true);
  });

  it('reports intersections, with undefined rates as null and a reason', () => {
    const both = byName(report().groupings, 'sex × region');
    expect(both.groups.map((g) => g.group)).toEqual(['sex=A, region=north', 'sex=A, region=south', 'sex=B, region=north', 'sex=B, region=south']);
    // A-north: TP3 FN1 FP1 → selection 4/5, TPR 3/4, FPR 1/1, precision 3/4, accuracy 3/5.
    const an = metricsOf(both, 'sex=A, region=north');
    expect([an.selectionRate.value, an.truePositiveRate.value, an.falsePositiveRate.value, an.precision.value, an.accuracy.value]).toEqual([
      0.8, 0.75, 1, 0.75, 0.6,
    ]);
    // A-south: FP1 TN4 → no actual positives: TPR and FNR undefined.
    const as = metricsOf(both, 'sex=A, region=south');
    expect(as.truePositiveRate).toEqual({ value: null, reason: 'no actual positives in the group (TP + FN = 0)' });
    expect(as.falseNegativeRate.value).toBeNull();
    expect(as.falsePositiveRate.value).toBeCloseTo(0.2, 12);
    // B-south: TN5 → no predicted positives: precision undefined; selection 0.
    const bs = metricsOf(both, 'sex=B, region=south');
    expect(bs.precision).toEqual({ value: null, reason: 'no predicted positives in the group (TP + FP = 0)' });
    expect(bs.selectionRate.value).toBe(0);
    // TPR range over the two defined groups (A-north .75, B-north .25).
    expect(both.disparities.equalOpportunityDifference.value).toBeCloseTo(0.5, 12);
    expect(both.disparities.equalOpportunityDifference.groupsCompared).toEqual(['sex=A, region=north', 'sex=B, region=north']);
    // FPR: A-north 1, A-south 1/5, B-north 1, B-south 0 → range 1; equalized odds = max(.5, 1) = 1.
    expect(both.disparities.equalizedOddsDifference.value).toBeCloseTo(1, 12);
  });

  it('reports null ECE with a reason when no scores are given', () => {
    const noScores = assessFairness(handInput(false), { minGroupSize: 1, bootstrap: false });
    const s = byName(noScores.groupings, 'sex');
    expect(metricsOf(s, 'A').expectedCalibrationError).toEqual({ value: null, reason: 'no scores were supplied' });
    expect(s.disparities.calibrationDifference.value).toBeNull();
    expect(s.disparities.calibrationDifference.reason).toBe('no scores were supplied');
  });

  it('flags small groups, lists them and leaves them out of comparisons by default', () => {
    const small = assessFairness(handInput(), { bootstrap: false }); // default minimum 30 rows
    const s = byName(small.groupings, 'sex');
    expect(s.groups.every((g) => g.smallGroup && !g.includedInComparisons)).toBe(true);
    expect(s.smallGroups).toEqual(['A', 'B']);
    expect(s.disparities.demographicParityDifference.value).toBeNull();
    expect(s.disparities.demographicParityDifference.reason).toMatch(/fewer than two compared groups/);
    expect(metricsOf(s, 'A').selectionRate.value).toBeCloseTo(0.5, 12);
    const included = assessFairness(handInput(), { bootstrap: false, includeSmallGroups: true });
    const t = byName(included.groupings, 'sex');
    expect(t.includesSmallGroups).toBe(true);
    expect(t.groups.every((g) => g.smallGroup && g.includedInComparisons)).toBe(true);
    expect(t.disparities.demographicParityDifference.value).toBeCloseTo(0.3, 12);
  });

  it('weights rows by sample weight', () => {
    // Doubling the weight of B's single TP: B has TP 2, FN 3, FP 1, TN 5 (weighted) → TPR 2/5, selection 3/11.
    const input = handInput();
    const weights = new Float64Array(ROWS.length).fill(1);
    weights[10] = 2;
    const weighted = assessFairness({ ...input, sampleWeight: weights }, { minGroupSize: 1, bootstrap: false });
    const b = metricsOf(byName(weighted.groupings, 'sex'), 'B');
    expect(b.truePositiveRate.value).toBeCloseTo(0.4, 12);
    expect(b.selectionRate.value).toBeCloseTo(3 / 11, 12);
  });

  it('refuses invalid input with every reason', () => {
    const input = handInput();
    const bad = { ...input, yPred: new Uint8Array(3), attributes: [{ ...input.attributes[0]!, codes: Int32Array.from(ROWS, () => 7) }] };
    expect(() => assessFairness(bad)).toThrow(FairnessInputError);
    try {
      assessFairness(bad);
    } catch (error) {
      expect((error as FairnessInputError).reasons).toHaveLength(2);
    }
  });

  it('reports pairwise and full intersections for three attributes', () => {
    const base = handInput();
    const third = { name: 'age', codes: Int32Array.from(ROWS, (_, i) => i % 3), labels: ['young', 'middle', 'old'] };
    const r = assessFairness({ ...base, attributes: [...base.attributes, third] }, { bootstrap: false });
    expect(r.groupings.map((g) => g.name)).toEqual(['sex', 'region', 'age', 'sex × region', 'sex × age', 'region × age', 'sex × region × age']);
  });
});

/** Random small datasets for property tests. */
const datasetArb = fc
  .record({ groups: fc.integer({ min: 2, max: 4 }), rows: fc.integer({ min: 40, max: 160 }), seed: fc.integer() })
  .map(({ groups, rows, seed }) => {
    const random = createRandom(seed);
    const codes = Int32Array.from({ length: rows }, () => Math.floor(random() * groups));
    const yTrue = Uint8Array.from({ length: rows }, () => (random() < 0.4 ? 1 : 0));
    const yScore = Float64Array.from(yTrue, (y) => Math.min(1, Math.max(0, 0.3 * y + random() * 0.7)));
    const yPred = Uint8Array.from(yScore, (s) => (s >= 0.5 ? 1 : 0));
    const labels = Array.from({ length: groups }, (_, g) => `g${g}`);
    return { groups, input: { yTrue, yPred, yScore, attributes: [{ name: 'grp', codes, labels }] } satisfies ClassificationInput };
  });

describe('assessFairness properties', () => {
  it('is invariant under renaming and renumbering group codes', () => {
    fc.assert(
      fc.property(datasetArb, fc.integer(), ({ groups, input }, permutationSeed) => {
        const random = createRandom(permutationSeed);
        const permutation = Array.from({ length: groups }, (_, g) => g);
        for (let i = groups - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
        }
        const attribute = input.attributes[0]!;
        const newLabels: string[] = new Array(groups);
        for (let g = 0; g < groups; g++) newLabels[permutation[g]!] = `renamed-${attribute.labels[g]}`;
        const renamed = { ...input, attributes: [{ name: 'grp', codes: attribute.codes.map((c) => permutation[c]!), labels: newLabels }] };
        const options = { minGroupSize: 10, bootstrap: false as const };
        const a = assessFairness(input, options).groupings[0]!;
        const b = assessFairness(renamed, options).groupings[0]!;
        for (const group of a.groups) {
          const other = b.groups.find((g) => g.group === `renamed-${group.group}`)!;
          for (const [metric, estimate] of Object.entries(group.metrics)) {
            if (metric === 'disparateImpact') continue; // the reference may differ on exact ties
            expect(other.metrics[metric as keyof typeof group.metrics].value).toBe(estimate.value);
          }
        }
        for (const [metric, estimate] of Object.entries(a.disparities)) {
          const value = b.disparities[metric as keyof typeof a.disparities].value;
          if (estimate.value === null) expect(value).toBeNull();
          else expect(value).toBeCloseTo(estimate.value, 12);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('gives zero differences and unit ratios when every group is an identical copy', () => {
    fc.assert(
      fc.property(datasetArb, fc.integer({ min: 2, max: 5 }), ({ input }, copies) => {
        const n = input.yTrue.length;
        const repeat = <T extends Uint8Array | Float64Array>(column: T, make: (len: number) => T): T => {
          const out = make(n * copies);
          for (let k = 0; k < copies; k++) out.set(column, k * n);
          return out;
        };
        const copied: ClassificationInput = {
          yTrue: repeat(input.yTrue, (l) => new Uint8Array(l)),
          yPred: repeat(input.yPred, (l) => new Uint8Array(l)),
          yScore: repeat(input.yScore!, (l) => new Float64Array(l)),
          attributes: [{ name: 'copy', codes: Int32Array.from({ length: n * copies }, (_, i) => Math.floor(i / n)), labels: Array.from({ length: copies }, (_, k) => `c${k}`) }],
        };
        const d = assessFairness(copied, { bootstrap: false }).groupings[0]!.disparities;
        for (const [metric, estimate] of Object.entries(d)) {
          if (estimate.value === null) continue; // e.g. no predicted positives at all
          expect(estimate.value, metric).toBeCloseTo(metric.endsWith('Ratio') ? 1 : 0, 12);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('bootstrap intervals', () => {
  function disparate(rows: number, seed: number): ClassificationInput {
    const random = createRandom(seed);
    const codes = Int32Array.from({ length: rows }, () => (random() < 0.5 ? 0 : 1));
    const yTrue = Uint8Array.from(codes, () => (random() < 0.4 ? 1 : 0));
    const yScore = Float64Array.from(codes, (c, i) => Math.min(1, Math.max(0, 0.25 + 0.3 * yTrue[i]! + 0.1 * c + (random() - 0.5) * 0.5)));
    const yPred = Uint8Array.from(yScore, (s) => (s >= 0.5 ? 1 : 0));
    return { yTrue, yPred, yScore, attributes: [{ name: 'g', codes, labels: ['x', 'y'] }] };
  }
  const width = (ci: { lower: number | null; upper: number | null } | undefined) => ci!.upper! - ci!.lower!;

  it('contain the point estimate and are reproducible from the seed', () => {
    const input = disparate(2000, 1);
    const a = assessFairness(input, { bootstrap: { resamples: 400, seed: 7 } }).groupings[0]!;
    const b = assessFairness(input, { bootstrap: { resamples: 400, seed: 7 } }).groupings[0]!;
    expect(b).toEqual(a);
    for (const group of a.groups) {
      for (const estimate of Object.values(group.metrics)) {
        if (estimate.value === null || estimate.ci?.lower === null) continue;
        expect(estimate.ci!.lower!).toBeLessThanOrEqual(estimate.value + 1e-12);
        expect(estimate.ci!.upper!).toBeGreaterThanOrEqual(estimate.value - 1e-12);
      }
    }
    for (const metric of ['demographicParityDifference', 'demographicParityRatio', 'equalOpportunityDifference', 'equalizedOddsDifference', 'accuracyDifference'] as const) {
      const d = a.disparities[metric];
      expect(d.ci!.lower!, metric).toBeLessThanOrEqual(d.value!);
      expect(d.ci!.upper!, metric).toBeGreaterThanOrEqual(d.value!);
      expect(d.ci!.resamples).toBe(400);
    }
  });

  it('shrink as the sample grows (about 1/√n)', () => {
    const small = assessFairness(disparate(1000, 2), { bootstrap: { resamples: 400, seed: 3 } }).groupings[0]!;
    const large = assessFairness(disparate(16000, 2), { bootstrap: { resamples: 400, seed: 3 } }).groupings[0]!;
    const ratio = width(large.disparities.demographicParityDifference.ci) / width(small.disparities.demographicParityDifference.ci);
    expect(ratio).toBeGreaterThan(0.15);
    expect(ratio).toBeLessThan(0.4); // 1/4 expected
    expect(width(large.groups[0]!.metrics.selectionRate.ci)).toBeLessThan(width(small.groups[0]!.metrics.selectionRate.ci) * 0.4);
  });

  it('match a brute-force row bootstrap of the same statistic', () => {
    const input = disparate(3000, 4);
    const resamples = 2000;
    const engine = assessFairness(input, { bootstrap: { resamples, seed: 11 } }).groupings[0]!.disparities.demographicParityDifference.ci!;
    // Brute force: draw 3000 row indices with replacement and recompute the statistic.
    const random = createRandom(12);
    const n = input.yTrue.length;
    const values: number[] = [];
    for (let r = 0; r < resamples; r++) {
      const selected = [0, 0];
      const total = [0, 0];
      for (let j = 0; j < n; j++) {
        const i = Math.floor(random() * n);
        const g = input.attributes[0]!.codes[i]!;
        total[g]! += 1;
        selected[g]! += input.yPred[i]!;
      }
      values.push(Math.abs(selected[0]! / total[0]! - selected[1]! / total[1]!));
    }
    values.sort((x, y) => x - y);
    const lower = values[Math.floor(0.025 * (resamples - 1))]!;
    const upper = values[Math.ceil(0.975 * (resamples - 1))]!;
    expect(Math.abs(engine.lower! - lower)).toBeLessThan(0.01);
    expect(Math.abs(engine.upper! - upper)).toBeLessThan(0.01);
  });
});
