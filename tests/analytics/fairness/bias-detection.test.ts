import { describe, expect, it } from 'vitest';
import { detectBias, severityOf } from '../../../src/analytics/fairness/bias-detection.js';
import { assessFairness } from '../../../src/analytics/fairness/fairness-assessment.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

/** Group x selected at rate ≈ sx, group y at ≈ sy; labels independent of predictions within groups. */
function log(rows: number, sx: number, sy: number, seed: number) {
  const random = createRandom(seed);
  const codes = Int32Array.from({ length: rows }, (_, i) => i % 2);
  const yTrue = Uint8Array.from(codes, () => (random() < 0.5 ? 1 : 0));
  const yPred = Uint8Array.from(codes, (c) => (random() < (c === 0 ? sx : sy) ? 1 : 0));
  return { yTrue, yPred, attributes: [{ name: 'sex', codes, labels: ['x', 'y'] }] };
}

describe('severityOf', () => {
  it('grades upper-bounded metrics by multiples of the threshold (1.5×, 2×)', () => {
    expect(severityOf(0.1, 0.1, 'upper')).toBe('none');
    expect(severityOf(0.15, 0.1, 'upper')).toBe('low');
    expect(severityOf(0.2, 0.1, 'upper')).toBe('medium');
    expect(severityOf(0.21, 0.1, 'upper')).toBe('high');
  });
  it('grades lower-bounded metrics by fractions of the threshold (0.875×, 0.75×)', () => {
    expect(severityOf(0.8, 0.8, 'lower')).toBe('none');
    expect(severityOf(0.7, 0.8, 'lower')).toBe('low');
    expect(severityOf(0.6, 0.8, 'lower')).toBe('medium');
    expect(severityOf(0.59, 0.8, 'lower')).toBe('high');
  });
});

describe('detectBias', () => {
  it('passes a model with equal selection and error rates', () => {
    const report = assessFairness(log(20_000, 0.4, 0.4, 1), { bootstrap: { resamples: 200, seed: 1 } });
    const result = detectBias(report);
    expect(result.passed).toBe(true);
    expect(result.checks.map((c) => c.metric)).toEqual(['demographicParityRatio', 'equalizedOddsDifference']);
    expect(result.checks.every((c) => c.passed === true && c.severity === 'none')).toBe(true);
  });

  it('fails the four-fifths rule with a severity, an interval and recommendations', () => {
    // Selection .5 vs .2: ratio ≈ .4, below .75 × .8 = .6 → high.
    const report = assessFairness(log(20_000, 0.5, 0.2, 2), { bootstrap: { resamples: 200, seed: 2 } });
    const result = detectBias(report);
    const dp = result.checks.find((c) => c.metric === 'demographicParityRatio')!;
    expect(dp.passed).toBe(false);
    expect(dp.severity).toBe('high');
    expect(dp.value!).toBeCloseTo(0.4, 1);
    expect(dp.ci!.upper!).toBeLessThan(0.8);
    expect(dp.conclusive).toBe(true);
    expect(dp.recommendations[0]).toMatch(/four-fifths/);
    // Equal error rates? No: TPR = selection rate here (labels independent of decisions), so it fails too.
    const eo = result.checks.find((c) => c.metric === 'equalizedOddsDifference')!;
    expect(eo.passed).toBe(false);
    expect(result.passed).toBe(false);
    expect(result.failed).toBe(2);
    expect(result.highestSeverity).toBe('high');
  });

  it('applies configurable thresholds and bounds, and notes inconclusive intervals', () => {
    // Selection .42 vs .40 on 400 rows: the difference .02 is near the threshold .03 with a wide interval.
    const report = assessFairness(log(400, 0.42, 0.4, 3), { bootstrap: { resamples: 300, seed: 3 } });
    const result = detectBias(report, { rules: [{ metric: 'demographicParityDifference', threshold: 0.03 }] });
    const check = result.checks[0]!;
    expect(check.bound).toBe('upper');
    expect(check.conclusive).toBe(false);
    expect(check.recommendations.some((r) => r.includes('not conclusive'))).toBe(true);
  });

  it('reports an undefined metric as undetermined, and lists excluded small groups', () => {
    const base = log(200, 0.5, 0.5, 4);
    const tiny = { ...base, attributes: [...base.attributes, { name: 'site', codes: Int32Array.from(base.yTrue, (_, i) => (i < 10 ? 1 : 0)), labels: ['main', 'pilot'] }] };
    const report = assessFairness(tiny, { bootstrap: false, intersections: 'none' });
    const site = detectBias(report, { rules: [{ metric: 'demographicParityRatio', threshold: 0.8 }], groupings: ['site'] });
    expect(site.checks).toHaveLength(1);
    expect(site.checks[0]!.passed).toBeNull();
    expect(site.undetermined).toBe(1);
    expect(site.checks[0]!.smallGroupsExcluded).toEqual(['pilot']);
    expect(site.checks[0]!.recommendations.some((r) => r.includes('pilot'))).toBe(true);
  });
});
