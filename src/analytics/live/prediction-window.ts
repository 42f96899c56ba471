import { psiFromProportions } from '../drift/population-stability-index.js';
import { LATENCY_BUCKETS, logBucketOf, logBucketQuantile } from './log-bucket-histogram.js';

/**
 * Sliding-window statistics of one model's predictions, kept incrementally: time is cut into
 * slots of `slotMs`; the window is the last `slots` slots (the current one included) and the
 * previous window the `slots` before it. Each slot holds counts, a latency histogram and a score
 * histogram; running totals of both windows are updated when a value arrives and when a slot
 * moves from the current window to the previous one or out, so reading the statistics costs
 * O(histogram bins), never a rescan of the predictions.
 *
 * Scores are expected in [0, 1] (positive-class probabilities); others are counted apart.
 */
export type PredictionWindowOptions = { slotMs: number; slots: number; scoreBins?: number };

export type PredictionWindowStats = {
  windowMs: number;
  predictions: number;
  /** Predictions per second over the window. */
  ratePerSecond: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; mean: number | null };
  /** Outcomes recorded in the window whose prediction differed from the actual value, over the outcomes recorded. */
  errorRate: number | null;
  outcomes: number;
  scores: { bins: { lower: number; upper: number; count: number }[]; outOfRange: number; missing: number };
  /** PSI of the window's score distribution against the previous window's (Siddiqi's bands). */
  drift: { status: 'insufficient-data' | 'stable' | 'moderate' | 'significant'; psi: number | null; previousPredictions: number };
};

export const DEFAULT_SCORE_BINS = 10;
/** Score classes (`scoreClassOf`): a bin 0 … bins − 1 of [0, 1], or one of these. */
export const MISSING_SCORE_CLASS = -1;
export const OUT_OF_RANGE_CLASS = -2;

/**
 * The class a score counts in: missing (null or NaN), out of [0, 1], or its bin of `bins` equal
 * bins (1 in the last). model-live-metrics.ts computes the same in SQL (float8 is IEEE double there too).
 */
export function scoreClassOf(score: number | null, bins: number): number {
  if (score === null || Number.isNaN(score)) return MISSING_SCORE_CLASS;
  if (score < 0 || score > 1) return OUT_OF_RANGE_CLASS;
  return Math.min(bins - 1, Math.floor(score * bins));
}

/** Fewer scores than this in either window and PSI is not reported (its bins would be noise). */
export const MIN_SCORES_FOR_DRIFT = 30;

type Totals = { count: Float64Array; latency: Float64Array; score: Float64Array };

// Per-slot scalar columns.
const COUNT = 0;
const LATENCY_SUM = 1;
const OUTCOMES = 2;
const WRONG = 3;
const OUT_OF_RANGE = 4;
const MISSING_SCORE = 5;
const SCALARS = 6;

export class PredictionWindow {
  readonly slotMs: number;
  readonly slots: number;
  readonly scoreBins: number;
  /** Ring of 2·slots slots; `epochOf[i]` is the slot number (time / slotMs) slot i holds, -1 when empty. */
  private readonly epochOf: Float64Array;
  private readonly scalars: Float64Array;
  private readonly latency: Float64Array;
  private readonly score: Float64Array;
  private readonly current: Totals;
  private readonly previous: Totals;
  /** Newest slot number seen; slots advance only forwards. */
  private headEpoch = -1;

  constructor(options: PredictionWindowOptions) {
    if (!(options.slotMs > 0) || !Number.isInteger(options.slots) || options.slots < 1) throw new RangeError('slotMs must be positive and slots a positive integer');
    this.slotMs = options.slotMs;
    this.slots = options.slots;
    this.scoreBins = options.scoreBins ?? DEFAULT_SCORE_BINS;
    const ring = 2 * this.slots;
    this.epochOf = new Float64Array(ring).fill(-1);
    this.scalars = new Float64Array(ring * SCALARS);
    this.latency = new Float64Array(ring * LATENCY_BUCKETS.count);
    this.score = new Float64Array(ring * this.scoreBins);
    const totals = (): Totals => ({ count: new Float64Array(SCALARS), latency: new Float64Array(LATENCY_BUCKETS.count), score: new Float64Array(this.scoreBins) });
    this.current = totals();
    this.previous = totals();
  }

  /** Moves the window's end to `nowMs`: slots leaving the current window join the previous one, older slots drop out. */
  advance(nowMs: number): void {
    const epoch = Math.floor(nowMs / this.slotMs);
    if (epoch <= this.headEpoch) return;
    const from = this.headEpoch;
    this.headEpoch = epoch;
    if (from < 0) return;
    const ring = 2 * this.slots;
    // The held slots are the 2·slots numbers up to the old head: each stays, moves to the previous window or drops out.
    for (let e = from - 2 * this.slots + 1; e <= from; e++) {
      const i = ((e % ring) + ring) % ring;
      if (this.epochOf[i] !== e) continue;
      const wasCurrent = e > from - this.slots;
      const isCurrent = e > epoch - this.slots;
      const isPrevious = !isCurrent && e > epoch - 2 * this.slots;
      if (wasCurrent && !isCurrent) {
        this.moveSlot(i, this.current, -1);
        if (isPrevious) this.moveSlot(i, this.previous, 1);
      } else if (!wasCurrent && !isPrevious && !isCurrent) {
        this.moveSlot(i, this.previous, -1);
      }
      if (!isCurrent && !isPrevious) this.clearSlot(i);
    }
  }

  /** A prediction made at `atMs`; older than the previous window, it is ignored. */
  addPrediction(atMs: number, latencyMs: number, score: number | null): void {
    this.addPredictions(atMs, latencyMs, scoreClassOf(score, this.scoreBins), 1);
  }

  /**
   * `count` predictions made at `atMs` with the same latency and score class (`scoreClassOf`):
   * what `count` calls of `addPrediction` would do, for a reader that groups them first.
   */
  addPredictions(atMs: number, latencyMs: number, scoreClass: number, count: number): void {
    const i = this.slotFor(atMs);
    if (i < 0) return;
    const totals = this.totalsOf(atMs);
    this.bump(i, totals, COUNT, count);
    this.bump(i, totals, LATENCY_SUM, latencyMs * count);
    const l = logBucketOf(LATENCY_BUCKETS, latencyMs);
    this.latency[i * LATENCY_BUCKETS.count + l]! += count;
    totals.latency[l]! += count;
    if (scoreClass === MISSING_SCORE_CLASS) this.bump(i, totals, MISSING_SCORE, count);
    else if (scoreClass === OUT_OF_RANGE_CLASS) this.bump(i, totals, OUT_OF_RANGE, count);
    else {
      this.score[i * this.scoreBins + scoreClass]! += count;
      totals.score[scoreClass]! += count;
    }
  }

  /** An outcome recorded at `atMs` for a prediction, right or wrong. */
  addOutcome(atMs: number, wrong: boolean): void {
    const i = this.slotFor(atMs);
    if (i < 0) return;
    const totals = this.totalsOf(atMs);
    this.bump(i, totals, OUTCOMES, 1);
    if (wrong) this.bump(i, totals, WRONG, 1);
  }

  stats(): PredictionWindowStats {
    const c = this.current;
    const n = c.count[COUNT]!;
    const windowMs = this.slots * this.slotMs;
    const scoredNow = sum(c.score);
    const scoredBefore = sum(this.previous.score);
    let drift: PredictionWindowStats['drift'] = { status: 'insufficient-data', psi: null, previousPredictions: this.previous.count[COUNT]! };
    if (scoredNow >= MIN_SCORES_FOR_DRIFT && scoredBefore >= MIN_SCORES_FOR_DRIFT) {
      const { psi } = psiFromProportions(
        this.previous.score.map((x) => x / scoredBefore),
        c.score.map((x) => x / scoredNow),
      );
      drift = { status: psi < 0.1 ? 'stable' : psi < 0.25 ? 'moderate' : 'significant', psi, previousPredictions: this.previous.count[COUNT]! };
    }
    const quantile = (q: number) => (n === 0 ? null : logBucketQuantile(LATENCY_BUCKETS, c.latency, q));
    return {
      windowMs,
      predictions: n,
      ratePerSecond: n / (windowMs / 1000),
      latencyMs: { p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99), mean: n === 0 ? null : c.count[LATENCY_SUM]! / n },
      errorRate: c.count[OUTCOMES]! === 0 ? null : c.count[WRONG]! / c.count[OUTCOMES]!,
      outcomes: c.count[OUTCOMES]!,
      scores: {
        bins: [...c.score].map((count, b) => ({ lower: b / this.scoreBins, upper: (b + 1) / this.scoreBins, count })),
        outOfRange: c.count[OUT_OF_RANGE]!,
        missing: c.count[MISSING_SCORE]!,
      },
      drift,
    };
  }

  /** The ring slot for a time, claiming it for that time's slot number; -1 when too old or beyond the head. */
  private slotFor(atMs: number): number {
    const epoch = Math.floor(atMs / this.slotMs);
    if (epoch > this.headEpoch) this.advance(atMs);
    if (epoch <= this.headEpoch - 2 * this.slots) return -1;
    const ring = 2 * this.slots;
    const i = ((epoch % ring) + ring) % ring;
    if (this.epochOf[i] !== epoch) {
      // A slot still holding an older number was already taken out of the totals by `advance`.
      this.clearSlot(i);
      this.epochOf[i] = epoch;
    }
    return i;
  }

  private totalsOf(atMs: number): Totals {
    return Math.floor(atMs / this.slotMs) > this.headEpoch - this.slots ? this.current : this.previous;
  }

  private bump(i: number, totals: Totals, column: number, by: number): void {
    this.scalars[i * SCALARS + column]! += by;
    totals.count[column]! += by;
  }

  private moveSlot(i: number, totals: Totals, sign: 1 | -1): void {
    for (let k = 0; k < SCALARS; k++) totals.count[k]! += sign * this.scalars[i * SCALARS + k]!;
    for (let k = 0; k < LATENCY_BUCKETS.count; k++) totals.latency[k]! += sign * this.latency[i * LATENCY_BUCKETS.count + k]!;
    for (let k = 0; k < this.scoreBins; k++) totals.score[k]! += sign * this.score[i * this.scoreBins + k]!;
  }

  private clearSlot(i: number): void {
    this.epochOf[i] = -1;
    this.scalars.fill(0, i * SCALARS, (i + 1) * SCALARS);
    this.latency.fill(0, i * LATENCY_BUCKETS.count, (i + 1) * LATENCY_BUCKETS.count);
    this.score.fill(0, i * this.scoreBins, (i + 1) * this.scoreBins);
  }
}

function sum(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s;
}
