import { detectBias } from '../src/analytics/fairness/bias-detection.js';
import { assessFairness } from '../src/analytics/fairness/fairness-assessment.js';
import { reweigh } from '../src/analytics/fairness/reweighing.js';
import { createRandom } from '../src/analytics/fairness/seeded-random.js';
import { optimizeThresholds } from '../src/analytics/fairness/threshold-optimizer.js';

/**
 * The fairness engine on a synthetic 1,000,000-row prediction log: three protected attributes
 * (sex 2, race 5, age band 4), every pairwise intersection and the full one, scores, and 1,000
 * bootstrap resamples for every group rate and every across-group metric.
 */
const ROWS = 1_000_000;
const RESAMPLES = 1000;
const TARGETS = { fairnessMs: 5000 };

function syntheticLog(rows: number, seed: number) {
  const random = createRandom(seed);
  const sex = new Int32Array(rows);
  const race = new Int32Array(rows);
  const age = new Int32Array(rows);
  const yTrue = new Uint8Array(rows);
  const yPred = new Uint8Array(rows);
  const yScore = new Float64Array(rows);
  const raceShare = [0.6, 0.15, 0.12, 0.08, 0.05];
  for (let i = 0; i < rows; i++) {
    sex[i] = random() < 0.5 ? 0 : 1;
    let u = random();
    let r = 0;
    while (r < 4 && u >= raceShare[r]!) u -= raceShare[r++]!;
    race[i] = r;
    age[i] = Math.floor(random() * 4);
    // Base rate and score shift differ by group, so the disparities are not all zero.
    const base = 0.3 + 0.05 * sex[i]! - 0.03 * r + 0.02 * age[i]!;
    yTrue[i] = random() < base ? 1 : 0;
    const noise = (random() + random() + random() - 1.5) * 0.35;
    const score = Math.min(1, Math.max(0, base + (yTrue[i]! ? 0.25 : -0.1) + noise - 0.02 * r));
    yScore[i] = score;
    yPred[i] = score >= 0.5 ? 1 : 0;
  }
  return {
    yTrue,
    yPred,
    yScore,
    attributes: [
      { name: 'sex', codes: sex, labels: ['female', 'male'] },
      { name: 'race', codes: race, labels: ['A', 'B', 'C', 'D', 'E'] },
      { name: 'age', codes: age, labels: ['18-29', '30-44', '45-59', '60+'] },
    ],
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const input = syntheticLog(ROWS, 7);
  // Warm-up on a small slice so the JIT has compiled the hot loops before timing.
  assessFairness(syntheticLog(20_000, 8), { bootstrap: { resamples: 50, seed: 1 } });
  const started = performance.now();
  const report = assessFairness(input, { bootstrap: { resamples: RESAMPLES, seed: 42 } });
  const fairnessMs = Math.round(performance.now() - started);
  const groupsReported = report.groupings.reduce((sum, g) => sum + g.groups.length, 0);
  const full = report.groupings.find((g) => g.attributes.length === 3)!;

  let t = performance.now();
  const detection = detectBias(report);
  const detectionMs = Math.round(performance.now() - t);
  t = performance.now();
  reweigh(input.yTrue, input.attributes);
  const reweighingMs = Math.round(performance.now() - t);
  t = performance.now();
  const race = input.attributes[1]!;
  const parity = optimizeThresholds({ yTrue: input.yTrue, yScore: input.yScore, yPred: input.yPred, attribute: race }, { constraint: 'demographic_parity' });
  const parityMs = Math.round(performance.now() - t);
  t = performance.now();
  const odds = optimizeThresholds({ yTrue: input.yTrue, yScore: input.yScore, yPred: input.yPred, attribute: race }, { constraint: 'equalized_odds' });
  const oddsMs = Math.round(performance.now() - t);
  return {
    fairnessMs,
    rows: ROWS,
    resamples: RESAMPLES,
    groupsReported,
    groupings: report.groupings.length,
    demographicParityRatioAll: full.disparities.demographicParityRatio.value,
    biasChecks: detection.checks.length,
    biasChecksFailed: detection.failed,
    detectionMs,
    reweighingMs,
    thresholdParityMs: parityMs,
    thresholdParityAccuracyCost: parity.accuracyCost,
    thresholdOddsMs: oddsMs,
    thresholdOddsAccuracyCost: odds.accuracyCost,
    targets: TARGETS,
  };
}
