import { describe, expect, it } from 'vitest';
import { nonLlmContextPrecision, nonLlmContextRecall, ragasAveragePrecision } from '../../../src/analytics/evaluation/non-llm-context-metrics.js';
import { hitAtK, ndcgAtK, precisionAtK, recallAtK, reciprocalRank } from '../../../src/analytics/evaluation/retrieval-metrics.js';

const ranked = ['d1', 'd2', 'd3', 'd4', 'd5'];
const relevant = new Set(['d2', 'd4', 'd9']);

describe('ranking metrics', () => {
  it('hit@k, precision@k, recall@k and MRR on a hand-worked ranking', () => {
    expect(hitAtK(ranked, relevant, 1)).toBe(0);
    expect(hitAtK(ranked, relevant, 2)).toBe(1);
    // top 5 holds d2 and d4: P@5 = 2/5, R@5 = 2/3 (d9 never retrieved)
    expect(precisionAtK(ranked, relevant, 5)).toBe(0.4);
    expect(recallAtK(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    // P@10 divides by k even though only 5 were retrieved (trec_eval P_10)
    expect(precisionAtK(ranked, relevant, 10)).toBe(0.2);
    // first relevant at rank 2
    expect(reciprocalRank(ranked, relevant)).toBe(0.5);
    expect(reciprocalRank(['x'], relevant)).toBe(0);
    expect(recallAtK(ranked, new Set(), 5)).toBeNull();
  });

  it('a duplicated id counts once, at its first rank', () => {
    // [d2, d2, d4]: distinct top-2 is [d2, d4] → 2 relevant of k = 2
    expect(precisionAtK(['d2', 'd2', 'd4'], relevant, 2)).toBe(1);
  });

  it('binary nDCG@5: DCG = 1/log2(3) + 1/log2(5), ideal = 1 + 1/log2(3) + 1/log2(4)', () => {
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5); // 0.63093 + 0.43068 = 1.06161
    const ideal = 1 + 1 / Math.log2(3) + 1 / 2; // 2.13093
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(dcg / ideal, 12); // 0.49819
    expect(ndcgAtK(ranked, relevant, 5)).toBeCloseTo(0.49819, 5);
  });

  it('graded nDCG uses the grade as gain and sorts grades for the ideal', () => {
    const grades = { d2: 3, d4: 1, d9: 2 };
    const dcg = 3 / Math.log2(3) + 1 / Math.log2(5);
    const ideal = 3 / 1 + 2 / Math.log2(3) + 1 / 2;
    expect(ndcgAtK(ranked, relevant, 5, grades)).toBeCloseTo(dcg / ideal, 12);
    // ideal cut at k: with k = 1 only the best grade counts; d1 has gain 0
    expect(ndcgAtK(ranked, relevant, 1, grades)).toBe(0);
    expect(ndcgAtK(ranked, new Set(), 5)).toBeNull();
  });

  it('rejects a k that is not a positive integer', () => {
    expect(() => precisionAtK(ranked, relevant, 0)).toThrow(RangeError);
    expect(() => ndcgAtK(ranked, relevant, 2.5)).toThrow(RangeError);
  });
});

describe("Ragas' non-LLM context precision and recall", () => {
  it('average precision as Ragas writes it: Σ precision@i · v_i / (Σ v_i + 1e-10)', () => {
    // verdicts [1, 0, 1]: (1/1 + 2/3) / 2 = 5/6
    expect(ragasAveragePrecision([1, 0, 1])).toBeCloseTo(5 / 6, 9);
    // [0, 1]: (1/2) / 1
    expect(ragasAveragePrecision([0, 1])).toBeCloseTo(0.5, 9);
    expect(ragasAveragePrecision([0, 0])).toBe(0);
  });

  it('marks retrieved contexts relevant by Levenshtein similarity to the best reference context', () => {
    // similarities to "abcd": "abcd" 1, "wxyz" 0, "abce" 1 - 1/4 = 0.75 → verdicts [1, 0, 1] → 5/6
    expect(nonLlmContextPrecision(['abcd', 'wxyz', 'abce'], ['abcd'])).toBeCloseTo(5 / 6, 9);
    expect(nonLlmContextRecall(['abcd', 'wxyz', 'abce'], ['abcd', 'qqqq'])).toBe(0.5);
  });

  it('precision counts a similarity of exactly 0.5 (>=), recall does not (>), as in Ragas', () => {
    // "ab" vs "abcd": 2 deletions of 4 → similarity 0.5
    expect(nonLlmContextPrecision(['ab'], ['abcd'])).toBeCloseTo(1, 9);
    expect(nonLlmContextRecall(['ab'], ['abcd'])).toBe(0);
  });

  it('is undefined without contexts on either side', () => {
    expect(nonLlmContextPrecision([], ['a'])).toBeNull();
    expect(nonLlmContextRecall(['a'], [])).toBeNull();
  });
});
