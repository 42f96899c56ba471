import { coalitionValues } from './coalition-values.js';
import { solveLinearSystem } from './linear-solve.js';
import { assertSameWidth, evaluate, normalisedWeights, type Background, type BatchPredict, type FeatureMatrix } from './model-contract.js';
import { mulberry32, randomInt, type Random } from '../seeded-random.js';
import { additivityGap, type ShapleyExplanation } from './shapley-explanation.js';

export type KernelShapOptions = {
  /** Coalitions evaluated per row; default 2M + 2048 (shap's default), capped at 2^M - 2. */
  nSamples?: number;
  random?: Random;
  maxBatchRows?: number;
};

/**
 * KernelSHAP (Lundberg & Lee 2017, Theorem 2): Shapley values as the weighted least-squares fit
 * of v(S) ~ phi_0 + sum_{j in S} phi_j with the Shapley kernel
 * pi(S) = (M - 1) / (C(M, |S|) |S| (M - |S|)), following shap's KernelExplainer:
 * - features equal to x in every background row cannot change v and get 0 (shap's "varying" test);
 * - coalition sizes are taken in pairs (s, M - s) from the outside in; while the budget covers a
 *   whole size stratum (and its complement), it is enumerated with its exact kernel mass;
 * - the rest of the budget samples sizes in proportion to the remaining kernel mass, each sampled
 *   coalition paired with its complement (antithetic sampling); repeated draws add weight;
 * - efficiency (sum phi = f(x) - E f) is imposed exactly by eliminating the last feature.
 * v(S) is the interventional value function over the (optionally weighted) background; all
 * coalitions x background rows of a row go to the model in as few calls as maxBatchRows allows.
 */
export async function kernelShap(predict: BatchPredict, rows: FeatureMatrix, background: Background, options: KernelShapOptions = {}): Promise<ShapleyExplanation> {
  assertSameWidth(rows, background);
  const nFeatures = rows.nFeatures;
  const random = options.random ?? mulberry32(0);
  const outputs = await evaluate(predict, rows.data.subarray(0, rows.nRows * nFeatures), rows.nRows);
  const bgOut = await evaluate(predict, background.data.subarray(0, background.nRows * nFeatures), background.nRows);
  const weights = normalisedWeights(background);
  let baseValue = 0;
  for (let b = 0; b < background.nRows; b++) baseValue += weights[b]! * bgOut[b]!;

  const values = new Float64Array(rows.nRows * nFeatures);
  for (let r = 0; r < rows.nRows; r++) {
    const x = rows.data.subarray(r * nFeatures, (r + 1) * nFeatures);
    const phi = values.subarray(r * nFeatures, (r + 1) * nFeatures);
    const varying = varyingFeatures(x, background);
    const m = varying.length;
    const total = outputs[r]! - baseValue;
    if (m === 0) continue;
    if (m === 1) {
      phi[varying[0]!] = total;
      continue;
    }
    const plan = coalitionPlan(m, options.nSamples ?? 2 * m + 2048, random);
    // Full-width masks: features that do not vary are taken from x (identical to the background anyway).
    const masks = new Uint8Array(plan.count * nFeatures).fill(1);
    for (let c = 0; c < plan.count; c++) for (let k = 0; k < m; k++) masks[c * nFeatures + varying[k]!] = plan.masks[c * m + k]!;
    const v = await coalitionValues(predict, x, masks, plan.count, background, { maxBatchRows: options.maxBatchRows });
    const solved = solveConstrained(plan.masks, plan.weights, plan.count, m, v, baseValue, total);
    for (let k = 0; k < m; k++) phi[varying[k]!] = solved[k]!;
  }
  return { baseValue, values, outputs, nRows: rows.nRows, nFeatures, additivityGap: additivityGap(values, baseValue, outputs, rows.nRows, nFeatures) };
}

function varyingFeatures(x: Float64Array, background: Background): number[] {
  const out: number[] = [];
  const m = background.nFeatures;
  for (let j = 0; j < m; j++) {
    const xj = x[j]!;
    for (let b = 0; b < background.nRows; b++) {
      const z = background.data[b * m + j]!;
      if (z !== xj && !(z !== z && xj !== xj)) {
        out.push(j);
        break;
      }
    }
  }
  return out;
}

type CoalitionPlan = { masks: Uint8Array; weights: Float64Array; count: number };

/** Coalitions and kernel weights as shap's KernelExplainer.explain chooses them (see kernelShap). */
export function coalitionPlan(m: number, requested: number, random: Random): CoalitionPlan {
  const nSamples = m <= 30 ? Math.min(requested, 2 ** m - 2) : requested;
  const masks = new Uint8Array(nSamples * m);
  const weights = new Float64Array(nSamples);
  let count = 0;
  const add = (mask: Uint8Array, w: number) => {
    masks.set(mask, count * m);
    weights[count++] = w;
  };

  const numSubsetSizes = Math.ceil((m - 1) / 2);
  const numPairedSubsetSizes = Math.floor((m - 1) / 2);
  // Kernel mass of size s (and its complement M - s when paired): (M - 1) / (s (M - s)), normalised.
  const sizeWeight = new Float64Array(numSubsetSizes);
  for (let i = 1; i <= numSubsetSizes; i++) sizeWeight[i - 1] = ((m - 1) / (i * (m - i))) * (i <= numPairedSubsetSizes ? 2 : 1);
  const sum = sizeWeight.reduce((a, b) => a + b, 0);
  for (let i = 0; i < numSubsetSizes; i++) sizeWeight[i]! /= sum;

  let numFullSubsets = 0;
  let samplesLeft = nSamples;
  const remaining = Float64Array.from(sizeWeight);
  const mask = new Uint8Array(m);
  const indices = new Int32Array(m);
  for (let size = 1; size <= numSubsetSizes; size++) {
    const paired = size <= numPairedSubsetSizes;
    const nSubsets = binomial(m, size) * (paired ? 2 : 1);
    if ((samplesLeft * remaining[size - 1]!) / nSubsets < 1 - 1e-8) break;
    numFullSubsets++;
    samplesLeft -= nSubsets;
    if (remaining[size - 1]! < 1) {
      const scale = 1 - remaining[size - 1]!;
      for (let i = 0; i < numSubsetSizes; i++) remaining[i]! /= scale;
    }
    const w = sizeWeight[size - 1]! / binomial(m, size) / (paired ? 2 : 1);
    for (let i = 0; i < size; i++) indices[i] = i;
    for (;;) {
      mask.fill(0);
      for (let i = 0; i < size; i++) mask[indices[i]!] = 1;
      add(mask, w);
      if (paired) {
        for (let i = 0; i < m; i++) mask[i] = 1 - mask[i]!;
        add(mask, w);
      }
      if (!nextCombination(indices, size, m)) break;
    }
  }

  const fixed = count;
  if (fixed < nSamples) {
    let remainingMass = 0;
    for (let i = numFullSubsets; i < numSubsetSizes; i++) remainingMass += sizeWeight[i]!;
    const seen = new Map<string, number>();
    const perm = new Int32Array(m);
    // shap draws 4x the samples left in sizes and stops when they run out; so do we.
    let draws = 4 * samplesLeft;
    while (samplesLeft > 0 && draws-- > 0) {
      const size = numFullSubsets + 1 + drawSizeIndex(sizeWeight, numFullSubsets, remainingMass, random);
      for (let i = 0; i < m; i++) perm[i] = i;
      mask.fill(0);
      for (let i = 0; i < size; i++) {
        const j = i + randomInt(random, m - i);
        const t = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = t;
        mask[perm[i]!] = 1;
      }
      const key = String.fromCharCode(...mask);
      const at = seen.get(key);
      const isNew = at === undefined;
      if (isNew) {
        seen.set(key, count);
        samplesLeft--;
        add(mask, 1);
      } else weights[at]! += 1;
      if (samplesLeft > 0 && size <= numPairedSubsetSizes) {
        for (let i = 0; i < m; i++) mask[i] = 1 - mask[i]!;
        if (isNew) {
          samplesLeft--;
          add(mask, 1);
        } else weights[at + 1]! += 1;
      }
    }
    // The sampled coalitions share the kernel mass of the strata not enumerated.
    let sampledTotal = 0;
    for (let c = fixed; c < count; c++) sampledTotal += weights[c]!;
    for (let c = fixed; c < count; c++) weights[c] = (weights[c]! * remainingMass) / sampledTotal;
  }
  return { masks: masks.subarray(0, count * m), weights: weights.subarray(0, count), count };
}

function drawSizeIndex(sizeWeight: Float64Array, from: number, mass: number, random: Random): number {
  let u = random() * mass;
  for (let i = from; i < sizeWeight.length; i++) {
    u -= sizeWeight[i]!;
    if (u < 0) return i - from;
  }
  return sizeWeight.length - 1 - from;
}

function nextCombination(indices: Int32Array, k: number, n: number): boolean {
  let i = k - 1;
  while (i >= 0 && indices[i] === n - k + i) i--;
  if (i < 0) return false;
  indices[i]!++;
  for (let j = i + 1; j < k; j++) indices[j] = indices[j - 1]! + 1;
  return true;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - i + 1)) / i;
  return Math.round(r);
}

/**
 * Weighted least squares with sum(phi) = total imposed by substitution, as shap's
 * KernelExplainer.solve: phi_last = total - sum(others), so
 * y - z_last * total = sum_{k<last} phi_k (z_k - z_last).
 */
function solveConstrained(masks: Uint8Array, weights: Float64Array, count: number, m: number, v: Float64Array, baseValue: number, total: number): Float64Array {
  const p = m - 1;
  const A = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  const row = new Float64Array(p);
  for (let c = 0; c < count; c++) {
    const w = weights[c]!;
    const last = masks[c * m + p]!;
    const y = v[c]! - baseValue - last * total;
    for (let k = 0; k < p; k++) row[k] = masks[c * m + k]! - last;
    for (let i = 0; i < p; i++) {
      const wi = w * row[i]!;
      if (wi === 0) continue;
      rhs[i]! += wi * y;
      for (let k = i; k < p; k++) A[i * p + k]! += wi * row[k]!;
    }
  }
  for (let i = 0; i < p; i++) for (let k = 0; k < i; k++) A[i * p + k] = A[k * p + i]!;
  const solved = solveLinearSystem(A, rhs, p);
  const phi = new Float64Array(m);
  let s = 0;
  for (let k = 0; k < p; k++) {
    phi[k] = solved[k]!;
    s += solved[k]!;
  }
  phi[p] = total - s;
  return phi;
}
