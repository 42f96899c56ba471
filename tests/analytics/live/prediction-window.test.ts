import { describe, expect, it } from 'vitest';
import { PredictionWindow } from '../../../src/analytics/live/prediction-window.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

type Prediction = { at: number; latency: number; score: number | null };
type Outcome = { at: number; wrong: boolean };

/** Nearest-rank quantile of a sample, by sorting (the definition the histogram approximates). */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

/** PSI straight from its definition with Evidently's zero fill (1e-4 when no proportion is tinier). */
function psiByHand(reference: number[], current: number[]): number {
  const fill = (p: number[]) => {
    const minNonZero = Math.min(...p.filter((x) => x > 0));
    const f = minNonZero <= 1e-4 ? minNonZero / 1e6 : 1e-4;
    return p.map((x) => (x === 0 ? f : x));
  };
  const r = fill(reference);
  const c = fill(current);
  return r.reduce((s, ri, i) => s + (ri - c[i]!) * Math.log(ri / c[i]!), 0);
}

describe('prediction window (incremental) against a brute-force rescan', () => {
  it.each([1, 2, 3, 4, 5])('agrees on counts, rate, latency percentiles, error rate, score bins and PSI (seed %i)', (seed) => {
    const random = mulberry32(seed);
    const slotMs = 1000;
    const slots = 10;
    const window = new PredictionWindow({ slotMs, slots, scoreBins: 10 });
    const predictions: Prediction[] = [];
    const outcomes: Outcome[] = [];
    let now = 1_700_000_000_000;
    // Times move forwards with occasional pauses longer than both windows, and some late arrivals.
    for (let step = 0; step < 3000; step++) {
      now += random() < 0.005 ? 25_000 : Math.floor(random() * 40);
      const at = random() < 0.1 ? now - Math.floor(random() * 15_000) : now;
      if (random() < 0.8) {
        const r = random();
        const p: Prediction = { at, latency: Math.exp(random() * 8 - 2), score: r < 0.05 ? null : r < 0.08 ? 3.5 : Math.min(1, random() ** (now % 2 === 0 ? 1 : 2)) };
        predictions.push(p);
        window.addPrediction(p.at, p.latency, p.score);
      } else {
        const o = { at, wrong: random() < 0.3 };
        outcomes.push(o);
        window.addOutcome(o.at, o.wrong);
      }
      if (step % 97 !== 0) continue;
      window.advance(now);
      const head = Math.floor(now / slotMs);
      // An entry too old on arrival (before the previous window) could never be in either window again.
      const inCurrent = (t: number) => Math.floor(t / slotMs) > head - slots;
      const inPrevious = (t: number) => !inCurrent(t) && Math.floor(t / slotMs) > head - 2 * slots;
      const current = predictions.filter((p) => inCurrent(p.at) && p.at <= now);
      const previous = predictions.filter((p) => inPrevious(p.at));
      const stats = window.stats();
      expect(stats.predictions).toBe(current.length);
      expect(stats.ratePerSecond).toBeCloseTo(current.length / 10, 10);
      if (current.length > 0) {
        const latencies = current.map((p) => p.latency);
        for (const [q, got] of [[0.5, stats.latencyMs.p50], [0.95, stats.latencyMs.p95], [0.99, stats.latencyMs.p99]] as const) {
          const exact = exactQuantile(latencies, q);
          // The bucket's upper bound: at or above the exact value, by less than the 4 % growth.
          expect(got!).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
          expect(got!).toBeLessThanOrEqual(exact * 1.04 * (1 + 1e-12));
        }
        expect(stats.latencyMs.mean!).toBeCloseTo(latencies.reduce((a, b) => a + b, 0) / latencies.length, 8);
      }
      const currentOutcomes = outcomes.filter((o) => inCurrent(o.at));
      expect(stats.outcomes).toBe(currentOutcomes.length);
      expect(stats.errorRate).toBe(currentOutcomes.length === 0 ? null : currentOutcomes.filter((o) => o.wrong).length / currentOutcomes.length);
      const binsOf = (ps: Prediction[]) => {
        const bins = new Array<number>(10).fill(0);
        for (const p of ps) if (p.score !== null && p.score >= 0 && p.score <= 1) bins[Math.min(9, Math.floor(p.score * 10))]! += 1;
        return bins;
      };
      const now10 = binsOf(current);
      expect(stats.scores.bins.map((b) => b.count)).toEqual(now10);
      expect(stats.scores.missing).toBe(current.filter((p) => p.score === null).length);
      expect(stats.scores.outOfRange).toBe(current.filter((p) => p.score === 3.5).length);
      const before10 = binsOf(previous);
      const nNow = now10.reduce((a, b) => a + b, 0);
      const nBefore = before10.reduce((a, b) => a + b, 0);
      expect(stats.drift.previousPredictions).toBe(previous.length);
      if (nNow >= 30 && nBefore >= 30) {
        expect(stats.drift.psi!).toBeCloseTo(psiByHand(before10.map((x) => x / nBefore), now10.map((x) => x / nNow)), 9);
      } else {
        expect(stats.drift).toMatchObject({ status: 'insufficient-data', psi: null });
      }
    }
  });

  it('labels PSI by Siddiqi\'s bands: a shifted score distribution is significant drift', () => {
    const window = new PredictionWindow({ slotMs: 1000, slots: 5 });
    for (let i = 0; i < 100; i++) window.addPrediction(1000 + i * 10, 1, 0.05 + (i % 5) * 0.01); // bins 0
    window.advance(6000);
    for (let i = 0; i < 100; i++) window.addPrediction(6000 + i * 10, 1, 0.95);
    const stats = window.stats();
    // Every score moved from bin 0 to bin 9: PSI = 2·(1 - 1e-4)·ln(1/1e-4) by hand.
    expect(stats.drift.psi!).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1 / 1e-4), 9);
    expect(stats.drift.status).toBe('significant');
  });
});
