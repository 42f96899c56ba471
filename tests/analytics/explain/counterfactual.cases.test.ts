import { describe, expect, it } from 'vitest';
import { findCounterfactual } from '../../../src/analytics/explain/counterfactual.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import type { BatchPredict } from '../../../src/analytics/explain/model-contract.js';

/**
 * A model that records every batch it is given (copies), checks the batch really holds nRows rows
 * of m features (the BatchPredict contract), and scores each row with `score`. The recorded batches
 * let the tests check the search's intermediate candidates against the documented algorithm.
 */
function recordingModel(m: number, score: (x: Float64Array) => number) {
  const batches: Float64Array[] = [];
  const predict: BatchPredict = (X, n) => {
    if (X.length !== n * m) throw new Error(`a batch of ${X.length} values for ${n} rows of ${m} features`);
    if (batches.length >= 500) throw new Error('more than 500 model calls');
    batches.push(Float64Array.from(X));
    return Float64Array.from({ length: n }, (_, i) => score(X.subarray(i * m, (i + 1) * m)));
  };
  return { predict, batches };
}

const rowsOf = (batch: Float64Array, m: number): Float64Array[] => Array.from({ length: batch.length / m }, (_, i) => batch.subarray(i * m, (i + 1) * m));
const l1 = (a: ArrayLike<number>, b: ArrayLike<number>, width: ArrayLike<number>): number => {
  let d = 0;
  for (let j = 0; j < a.length; j++) if (width[j]! > 0) d += Math.abs(a[j]! - b[j]!) / width[j]!;
  return d;
};
const withValue = (x: Float64Array, j: number, v: number): Float64Array => {
  const y = Float64Array.from(x);
  y[j] = v;
  return y;
};
/** Pull-back resolution: a 64-point grid on [0, 1] refined twice, so 64^-3 = 2^-18 of the segment. */
const PULL_BACK_GRID = 2 ** 18;

describe('counterfactual search: the growing L1 spheres', () => {
  // Feature 0 mutable on [1, 3] (width 2), feature 1 immutable, feature 2 mutable on [-0.25, 0.25]
  // (width 0.5), feature 3 has an empty range (min = max) and so cannot move either.
  const min = Float64Array.from([1, 0, -0.25, 5]);
  const max = Float64Array.from([3, 1, 0.25, 5]);
  const width = Float64Array.from([2, 0, 0.5, 0]);
  const x = Float64Array.from([2, 0.3, 0, 5]);
  const perLayer = 500;
  const layers = 8;
  // Two mutable features: the box has L1 diameter 2 in range units, so layer L is the shell
  // [L * 0.25, (L + 1) * 0.25]. x sits in the middle of both ranges, half a range from each bound,
  // so candidates of layers 0 and 1 (radius <= 0.5) can never reach a bound.
  const step = 2 / layers;

  let runOnce: ReturnType<typeof search> | undefined;
  const run = () => (runOnce ??= search());
  async function search() {
    let draws = 0;
    const seeded = mulberry32(11);
    const random = () => {
      draws++;
      return seeded();
    };
    const model = recordingModel(4, () => 0.2); // never reaches the threshold: every layer is searched
    const result = await findCounterfactual(model.predict, x, { min, max, immutable: [1], random, candidatesPerLayer: perLayer, maxLayers: layers });
    return { result, batches: model.batches, draws };
  }

  it('reports not found, with no changed features, when no layer flips the class', async () => {
    const { result, draws } = await run();
    expect(result).toEqual({ found: false, changedFeatures: [], distance: Infinity, originalPrediction: 0.2 });
    expect(result.counterfactual).toBeUndefined();
    expect(draws).toBeGreaterThan(0); // the caller's generator drives the search
  });

  it('evaluates x once, then maxLayers layers of candidatesPerLayer rows, one call each', async () => {
    const { batches } = await run();
    expect(batches.map((b) => b.length / 4)).toEqual([1, ...Array<number>(layers).fill(perLayer)]);
    expect(Array.from(batches[0]!)).toEqual(Array.from(x));
  });

  it('draws layer L candidates in the L1 shell [L step, (L+1) step] around x, inside the ranges, immutable and empty-range features fixed', async () => {
    const { batches } = await run();
    const problems: string[] = []; // collected, so that 4000 candidates cost one assertion
    for (let layer = 0; layer < layers; layer++) {
      rowsOf(batches[1 + layer]!, 4).forEach((z, c) => {
        const at = `layer ${layer} candidate ${c}`;
        if (z[1] !== 0.3 || z[3] !== 5) problems.push(`${at} moved a fixed feature`);
        if ([0, 2].some((j) => !(z[j]! >= min[j]! && z[j]! <= max[j]!))) problems.push(`${at} left the ranges`);
        const d = l1(z, x, width);
        // Clipping to the ranges can only shorten a move, so every candidate is within the outer radius...
        if (!(d <= (layer + 1) * step + 1e-12)) problems.push(`${at} beyond the outer radius: ${d}`);
        const interior = [0, 2].every((j) => z[j]! > min[j]! && z[j]! < max[j]!);
        // ...and an unclipped one lies in the shell.
        if (interior && !(d >= layer * step - 1e-12)) problems.push(`${at} inside the inner radius: ${d}`);
        if (layer <= 1 && !interior) problems.push(`${at} reached a bound`);
        // Radius >= 1.75 exceeds the largest unclipped move (0.5 + 0.5): every candidate is clipped.
        if (layer === layers - 1 && interior) problems.push(`${at} not clipped`);
      });
    }
    expect(problems).toEqual([]);
  });

  it('moves each feature down or up with equal probability', async () => {
    const { batches } = await run();
    const inner = [...rowsOf(batches[1]!, 4), ...rowsOf(batches[2]!, 4)]; // 1000 unclipped candidates
    for (const j of [0, 2]) {
      const below = inner.filter((z) => z[j]! < x[j]!).length / inner.length;
      // Binomial(1000, 1/2): standard deviation 0.016, so +-0.05 is beyond 3 standard deviations.
      expect(below).toBeGreaterThan(0.45);
      expect(below).toBeLessThan(0.55);
    }
  });

  it('spreads unclipped candidates uniformly over the L1 sphere: the share of the first feature is Uniform(0, 1)', async () => {
    // Uniform on the L1 sphere of two coordinates = Dirichlet(1, 1) shares, i.e. share_0 ~ U(0, 1)
    // (normalised i.i.d. exponentials, Devroye 1986, ch. V). Kolmogorov-Smirnov against U(0, 1).
    const { batches } = await run();
    const shares = [...rowsOf(batches[1]!, 4), ...rowsOf(batches[2]!, 4)]
      .map((z) => Math.abs(z[0]! - x[0]!) / width[0]! / l1(z, x, width))
      .sort((a, b) => a - b);
    const n = shares.length;
    let ks = 0;
    shares.forEach((s, i) => {
      ks = Math.max(ks, (i + 1) / n - s, s - i / n);
    });
    // 1.95 / sqrt(n) is the 0.1 % critical value of the KS statistic.
    expect(ks).toBeLessThan(1.95 / Math.sqrt(n));
  });
});

describe('counterfactual search: stopping, sparsifying and pulling back', () => {
  // Four features on [0, 1], x in the middle. The class flips only when x1 and x2 both rise by 0.1
  // AND x0 or x3 moves by at least 0.01: no one- or two-feature move flips it.
  const m = 4;
  const x = Float64Array.from([0.5, 0.5, 0.5, 0.5]);
  const unit = Float64Array.from([1, 1, 1, 1]);
  const flips = (z: ArrayLike<number>) => z[1]! >= 0.6 && z[2]! >= 0.6 && Math.max(Math.abs(z[0]! - 0.5), Math.abs(z[3]! - 0.5)) >= 0.01;

  /** One search, checked step by step against the recorded batches; returns which feature sparsifying reverted and whether x0 and x3 both could have been. */
  async function searchAndCheck(seed: number): Promise<{ reverted: number; bothRevertible: boolean }> {
    const model = recordingModel(m, (z) => (flips(z) ? 0.9 : 0.1));
    const result = await findCounterfactual(model.predict, x, { min: new Float64Array(m), max: unit, random: mulberry32(seed) });
    const b = model.batches;
    const at = `seed ${seed}`;
    let nSphere = 0;
    while (b[1 + nSphere]!.length === 1000 * m) nSphere++;
    // Call pattern: x; the layers up to the first with a flip; two sparsify rounds (4 then 3 trials:
    // the flip needs x1, x2 and one of x0/x3, so exactly one feature can go); the one-feature grid;
    // three pull-back rounds of 65 points; the final row.
    expect(b.map((batch) => batch.length / m), at).toEqual([1, ...Array<number>(nSphere).fill(1000), 4, 3, 4 * 65, 65, 65, 65, 1]);

    // Growing spheres stop at the first layer holding a flip and keep its nearest flip.
    for (let layer = 0; layer < nSphere - 1; layer++) expect(rowsOf(b[1 + layer]!, m).some(flips), at).toBe(false);
    const last = rowsOf(b[nSphere]!, m).filter(flips);
    expect(last.length, at).toBeGreaterThan(0);
    const best = last.reduce((p, q) => (l1(q, x, unit) < l1(p, x, unit) ? q : p));
    expect(best.every((v) => v !== 0.5), at).toBe(true);

    // Sparsify round 1 tries reverting each feature of the best candidate.
    const round1 = rowsOf(b[nSphere + 1]!, m);
    for (let j = 0; j < m; j++) expect(Array.from(round1[j]!), at).toEqual(Array.from(withValue(best, j, 0.5)));
    // Reverting x0 keeps the flip iff |x3 - 0.5| >= 0.01, and reverting x3 iff |x0 - 0.5| >= 0.01.
    // When both keep it, the greedy step reverts the larger move, which leaves the closer row.
    const d0 = Math.abs(best[0]! - 0.5);
    const d3 = Math.abs(best[3]! - 0.5);
    const bothRevertible = d0 >= 0.01 && d3 >= 0.01;
    const reverted = bothRevertible ? (d0 > d3 ? 0 : 3) : d3 >= 0.01 ? 0 : 3;
    const sparse = withValue(best, reverted, 0.5);
    // Round 2 tries reverting each remaining change; none keeps the flip, so sparsifying stops.
    const remaining = [0, 1, 2, 3].filter((j) => j !== reverted);
    const round2 = rowsOf(b[nSphere + 2]!, m);
    remaining.forEach((j, k) => expect(Array.from(round2[k]!), at).toEqual(Array.from(withValue(sparse, j, 0.5))));

    // The one-feature grid moves one feature at a time and reaches both ends of every range.
    const singles = rowsOf(b[nSphere + 3]!, m);
    expect(singles.filter((z) => [0, 1, 2, 3].filter((j) => z[j] !== 0.5).length > 1), at).toEqual([]);
    for (let j = 0; j < m; j++) {
      for (const end of [0, 1]) expect(singles.some((z) => Array.from(z).every((v, i) => v === (i === j ? end : 0.5))), `${at}, x${j} = ${end}`).toBe(true);
    }

    // Every pull-back point lies on the segment from x to the sparsified candidate.
    const offSegment: number[][] = [];
    for (const round of [4, 5, 6]) {
      for (const z of rowsOf(b[nSphere + round]!, m)) {
        const t = (z[1]! - 0.5) / (sparse[1]! - 0.5);
        const onSegment = t >= -1e-12 && t <= 1 + 1e-12 && Array.from(z).every((v, j) => Math.abs(v - (0.5 + t * (sparse[j]! - 0.5))) < 1e-12);
        if (!onSegment) offSegment.push(Array.from(z));
      }
    }
    expect(offSegment, at).toEqual([]);

    // Flipping is monotone along that segment, so the refinement ends at the first multiple of 2^-18
    // that flips (found here by brute force).
    const point = new Float64Array(m);
    const on = (t: number) => {
      for (let j = 0; j < m; j++) point[j] = x[j]! + t * (sparse[j]! - x[j]!);
      return point;
    };
    let n = 0;
    while (!flips(on(n / PULL_BACK_GRID))) n++;
    const expected = Float64Array.from(on(n / PULL_BACK_GRID));
    expect(n, at).toBeLessThan(PULL_BACK_GRID); // really pulled back, not the candidate itself
    expect(result.found, at).toBe(true);
    for (let j = 0; j < m; j++) expect(result.counterfactual![j], at).toBeCloseTo(expected[j]!, 14);
    expect(Array.from(b[b.length - 1]!), at).toEqual(Array.from(result.counterfactual!));
    expect(result.changedFeatures, at).toEqual(remaining);
    expect(result.distance, at).toBeCloseTo(l1(expected, x, unit), 12);
    expect(result.originalPrediction, at).toBe(0.1);
    expect(result.counterfactualPrediction, at).toBe(0.9);
    return { reverted, bothRevertible };
  }

  it('keeps the nearest flip of the first flipping layer, reverts the change whose removal leaves the closest flip, and pulls back to the boundary', async () => {
    const cases = [];
    for (const seed of [18, 5, 1]) cases.push(await searchAndCheck(seed));
    // The seeds cover the greedy choice: x0 and x3 both revertible with x0 (the first feature) the
    // larger move, both revertible with x3 larger, and only one revertible.
    expect(cases).toContainEqual({ reverted: 0, bothRevertible: true });
    expect(cases).toContainEqual({ reverted: 3, bothRevertible: true });
    expect(cases.some((c) => !c.bothRevertible)).toBe(true);
  });
});

describe('counterfactual search: classes, thresholds and ranges', () => {
  it('flips class 1 to class 0 when f(x) equals the threshold (f >= threshold is class 1), with distances in range units', async () => {
    // x0 on [1, 3] (width 2): f = 0.5 (class 1) for x0 >= 1.6, else 0.2. x = (2, 0.5), x1 irrelevant.
    // The nearest class-0 row moves x0 just below 1.6: distance (2 - 1.6) / 2 = 0.2.
    const model = recordingModel(2, (z) => (z[0]! >= 1.6 ? 0.5 : 0.2));
    const x = Float64Array.from([2, 0.5]);
    const result = await findCounterfactual(model.predict, x, { min: Float64Array.from([1, 0]), max: Float64Array.from([3, 1]) });
    expect(result.found).toBe(true);
    expect(result.originalPrediction).toBe(0.5);
    expect(result.counterfactualPrediction).toBe(0.2);
    const cf = result.counterfactual!;
    expect(cf[1]).toBe(0.5);
    expect(result.changedFeatures).toEqual([0]);
    // Pulled back to within 2^-18 of a segment no longer than the x0 range's lower half (1).
    expect(cf[0]).toBeLessThan(1.6);
    expect(cf[0]).toBeGreaterThan(1.6 - 1 / PULL_BACK_GRID);
    expect(result.distance).toBeCloseTo((2 - cf[0]!) / 2, 14);
    expect(result.distance).toBeGreaterThan(0.2);
    expect(result.distance).toBeLessThan(0.2 + 1 / PULL_BACK_GRID);
  });

  it('uses the given threshold', async () => {
    // With threshold 0.7, f = 0.75 (x0 >= 0.3) is class 1 and f = 0.65 is class 0; at the default
    // 0.5 both would be class 1 and nothing could flip.
    const model = recordingModel(2, (z) => (z[0]! >= 0.3 ? 0.75 : 0.65));
    const x = Float64Array.from([0.5, 0.5]);
    const result = await findCounterfactual(model.predict, x, { min: new Float64Array(2), max: Float64Array.from([1, 1]), threshold: 0.7, random: mulberry32(5) });
    expect(result.found).toBe(true);
    expect(result.counterfactualPrediction).toBe(0.65);
    expect(result.changedFeatures).toEqual([0]);
    expect(result.counterfactual![0]).toBeLessThan(0.3);
    expect(result.counterfactual![0]).toBeGreaterThan(0.3 - 0.5 / PULL_BACK_GRID);
  });

  it('treats a feature whose range is empty (min = max) as fixed', async () => {
    // x1 cannot move; the flip x0 >= 0.6 is 0.1 away.
    const model = recordingModel(3, (z) => (z[0]! >= 0.6 ? 0.9 : 0.1));
    const x = Float64Array.from([0.5, 0.5, 0.5]);
    const result = await findCounterfactual(model.predict, x, { min: Float64Array.from([0, 0.5, 0]), max: Float64Array.from([1, 0.5, 1]), random: mulberry32(6) });
    expect(result.found).toBe(true);
    const cf = result.counterfactual!;
    expect(cf[1]).toBe(0.5);
    expect(cf[2]).toBe(0.5);
    expect(result.changedFeatures).toEqual([0]);
    expect(cf[0]).toBeGreaterThanOrEqual(0.6);
    expect(cf[0]).toBeLessThan(0.6 + 0.5 / PULL_BACK_GRID);
    expect(result.distance).toBeCloseTo(cf[0]! - 0.5, 14);
  });

  it('does not search at all when no feature can move (immutable or empty range)', async () => {
    const model = recordingModel(2, (z) => (z[0]! > 0.7 ? 0.9 : 0.1));
    const result = await findCounterfactual(model.predict, Float64Array.from([0.5, 0.5]), {
      min: Float64Array.from([0, 0.5]),
      max: Float64Array.from([1, 0.5]),
      immutable: [0],
      random: mulberry32(7),
    });
    expect(result).toEqual({ found: false, changedFeatures: [], distance: Infinity, originalPrediction: 0.1 });
    expect(model.batches).toHaveLength(1); // only f(x)
  });
});

describe('counterfactual search: the one-feature grid', () => {
  // Three features on [0, 1], x in the middle. Two ways to flip: x2 >= 0.99 (one feature, distance
  // 0.49), or |x0 - 0.5| + |x1 - 0.5| >= 0.6 (two features, distance >= 0.6). The grid's only point
  // with x2 >= 0.99 is its upper end x2 = 1 (63/64 < 0.99), at distance 0.5.
  const m = 3;
  const x = Float64Array.from([0.5, 0.5, 0.5]);
  const flips = (z: ArrayLike<number>) => z[2]! >= 0.99 || Math.abs(z[0]! - 0.5) + Math.abs(z[1]! - 0.5) >= 0.6;

  it('finds the one-feature move to the top of the last feature’s range even when the spheres only flip through the farther region', async () => {
    let viaGridOnly = 0;
    for (const seed of [1, 2, 3, 4]) {
      const at = `seed ${seed}`;
      const model = recordingModel(m, (z) => (flips(z) ? 0.9 : 0.1));
      const result = await findCounterfactual(model.predict, x, { min: new Float64Array(m), max: Float64Array.from([1, 1, 1]), random: mulberry32(seed), candidatesPerLayer: 5 });
      // Did the spheres (batches of 5 rows after f(x)) ever flip through x2 >= 0.99?
      const sphereFlips = model.batches
        .slice(1)
        .filter((batch) => batch.length === 5 * m)
        .flatMap((batch) => rowsOf(batch, m))
        .filter(flips);
      expect(sphereFlips.length, at).toBeGreaterThan(0);
      if (sphereFlips.every((z) => z[2]! < 0.99)) viaGridOnly++;
      // From x + t ((0.5, 0.5, 1) - x) the class flips for t >= 0.98; the pull-back stops within 2^-18 of it.
      expect(result.found, at).toBe(true);
      expect(result.changedFeatures, at).toEqual([2]);
      const cf = result.counterfactual!;
      expect(cf[0], at).toBe(0.5);
      expect(cf[1], at).toBe(0.5);
      expect(cf[2], at).toBeGreaterThanOrEqual(0.99);
      expect(cf[2], at).toBeLessThan(0.99 + 0.5 / PULL_BACK_GRID);
      expect(result.distance, at).toBeCloseTo(cf[2]! - 0.5, 14);
    }
    // At least one seed reached the optimum through the grid alone (so the grid was really tested).
    expect(viaGridOnly).toBeGreaterThan(0);
  });
});

describe('counterfactual search: rounding at the boundary', () => {
  it('returns the sparsified candidate itself when x + 1 * (cf - x) rounds back across the boundary', async () => {
    // x0 on [0, 0.6]; only x0 = 0.6 (the top of its range) flips. In floating point
    // 0.059 + (0.6 - 0.059) < 0.6, so every point of the pull-back segment, its end included, misses
    // the class; the search must fall back to the candidate (0.6, x1), which does flip.
    const a = 0.059;
    expect(a + (0.6 - a)).toBeLessThan(0.6);
    const model = recordingModel(2, (z) => (z[0]! >= 0.6 ? 0.9 : 0.1));
    const x = Float64Array.from([a, 0.5]);
    const result = await findCounterfactual(model.predict, x, { min: Float64Array.from([0, 0]), max: Float64Array.from([0.6, 1]), random: mulberry32(8) });
    expect(result.found).toBe(true);
    expect(Array.from(result.counterfactual!)).toEqual([0.6, 0.5]);
    expect(result.changedFeatures).toEqual([0]);
    expect(result.distance).toBeCloseTo((0.6 - a) / 0.6, 14);
    expect(result.originalPrediction).toBe(0.1);
    expect(result.counterfactualPrediction).toBe(0.9);
  });
});
