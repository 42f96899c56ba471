/**
 * Ragas' context metrics without a language model (ragas/metrics/_context_precision.py
 * NonLLMContextPrecisionWithReference and _context_recall.py NonLLMContextRecall), with their
 * default distance: NonLLMStringSimilarity = 1 - rapidfuzz Levenshtein.normalized_distance, i.e.
 * 1 - distance / max(length).
 * - precision: a retrieved context is relevant when its best similarity to a reference context is
 *   >= threshold (0.5); then Ragas' average precision
 *   Σ_i (relevant among the first i / i) · v_i / (Σ v_i + 1e-10);
 * - recall: a reference context is recalled when its best similarity to a retrieved context is
 *   > threshold (strictly, as Ragas writes it); score = recalled / reference contexts.
 * Both need at least one context on each side (Ragas asserts); otherwise null.
 */
import { codePoints } from './code-points.js';
import { levenshteinSimilarity } from './levenshtein.js';

export const DEFAULT_CONTEXT_SIMILARITY_THRESHOLD = 0.5;

/** similarity[i · R + j] between retrieved context i and reference context j, computed once for both metrics. */
export function contextSimilarities(retrieved: readonly Int32Array[], references: readonly Int32Array[]): Float64Array {
  const R = references.length;
  const out = new Float64Array(retrieved.length * R);
  for (let i = 0; i < retrieved.length; i++) for (let j = 0; j < R; j++) out[i * R + j] = levenshteinSimilarity(retrieved[i]!, references[j]!);
  return out;
}

/** Ragas _calculate_average_precision over 0/1 verdicts in rank order (shared with the judge-based context precision). */
export function ragasAveragePrecision(verdicts: ArrayLike<number>): number {
  let relevantSoFar = 0;
  let numerator = 0;
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i]!;
    relevantSoFar += v;
    numerator += (relevantSoFar / (i + 1)) * v;
  }
  return numerator / (relevantSoFar + 1e-10);
}

export function nonLlmContextPrecisionFromSimilarities(similarity: Float64Array, retrievedCount: number, referenceCount: number, threshold = DEFAULT_CONTEXT_SIMILARITY_THRESHOLD): number | null {
  if (retrievedCount === 0 || referenceCount === 0) return null;
  const verdicts = new Float64Array(retrievedCount);
  for (let i = 0; i < retrievedCount; i++) {
    let best = -Infinity;
    for (let j = 0; j < referenceCount; j++) best = Math.max(best, similarity[i * referenceCount + j]!);
    verdicts[i] = best >= threshold ? 1 : 0;
  }
  return ragasAveragePrecision(verdicts);
}

export function nonLlmContextRecallFromSimilarities(similarity: Float64Array, retrievedCount: number, referenceCount: number, threshold = DEFAULT_CONTEXT_SIMILARITY_THRESHOLD): number | null {
  if (retrievedCount === 0 || referenceCount === 0) return null;
  let recalled = 0;
  for (let j = 0; j < referenceCount; j++) {
    let best = -Infinity;
    for (let i = 0; i < retrievedCount; i++) best = Math.max(best, similarity[i * referenceCount + j]!);
    if (best > threshold) recalled++;
  }
  return recalled / referenceCount;
}

export function nonLlmContextPrecision(retrieved: readonly string[], references: readonly string[], threshold = DEFAULT_CONTEXT_SIMILARITY_THRESHOLD): number | null {
  const similarity = contextSimilarities(retrieved.map(codePoints), references.map(codePoints));
  return nonLlmContextPrecisionFromSimilarities(similarity, retrieved.length, references.length, threshold);
}

export function nonLlmContextRecall(retrieved: readonly string[], references: readonly string[], threshold = DEFAULT_CONTEXT_SIMILARITY_THRESHOLD): number | null {
  const similarity = contextSimilarities(retrieved.map(codePoints), references.map(codePoints));
  return nonLlmContextRecallFromSimilarities(similarity, retrieved.length, references.length, threshold);
}
