/**
 * chrF as sacrebleu 2.x's CHRF computes it with its defaults (Popović 2015): character n-grams of
 * orders 1..6 (code points), whitespace removed, no word n-grams, beta = 2, no eps smoothing.
 * Per order: hypothesis n-grams (0 when the reference has none of that order), reference n-grams,
 * clipped matches. Precision and recall are averaged over the orders where both sides have
 * n-grams, then F_beta = (1+β²)·P·R / (β²·P + R). With several references, the statistics of the
 * reference with the best F are kept. Scores are on sacrebleu's 0..100 scale.
 */
import { codePoints } from './code-points.js';
import { clippedMatches, withNgramDictionary, type NgramDictionary } from './ngram-ids.js';

const CHAR_ORDER = 6;
const BETA = 2;

export type ChrfStatistics = Float64Array; // [hyp, ref, match] × order

/** Python's str.isspace characters, which str.split() drops: sacrebleu removes exactly these. */
function isPythonWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Code points of a segment with whitespace removed (compacted in place). */
function charUnits(text: string): Int32Array {
  const units = codePoints(text);
  let n = 0;
  for (let i = 0; i < units.length; i++) {
    const c = units[i]!;
    if (!isPythonWhitespace(c)) units[n++] = c;
  }
  return units.subarray(0, n);
}

/** Ids of the character n-grams of orders 1..6 of a segment, in a dictionary shared with the segments it is compared with. */
export function charNgrams(text: string, dictionary: NgramDictionary): Int32Array[] {
  return dictionary.ngramIds(charUnits(text), CHAR_ORDER);
}

/** sacrebleu CHRF._get_match_statistics for every order: hypothesis count (0 when the reference has no n-gram of that order), reference count, clipped matches. */
export function chrfStatistics(hypothesis: readonly Int32Array[], reference: readonly Int32Array[], dictionarySize: number): ChrfStatistics {
  const stats = new Float64Array(3 * CHAR_ORDER);
  for (let n = 0; n < CHAR_ORDER; n++) {
    const h = hypothesis[n]!;
    const r = reference[n]!;
    stats[3 * n] = r.length > 0 ? h.length : 0;
    stats[3 * n + 1] = r.length;
    stats[3 * n + 2] = clippedMatches(h, r, dictionarySize);
  }
  return stats;
}

/** sacrebleu CHRF._compute_f_score without eps smoothing, on the 0..100 scale. */
export function chrfFromStatistics(stats: ArrayLike<number>): number {
  const factor = BETA * BETA;
  let precisionSum = 0;
  let recallSum = 0;
  let effectiveOrder = 0;
  for (let n = 0; n < CHAR_ORDER; n++) {
    const hyp = stats[3 * n]!;
    const ref = stats[3 * n + 1]!;
    const match = stats[3 * n + 2]!;
    if (hyp > 0 && ref > 0) {
      precisionSum += match / hyp;
      recallSum += match / ref;
      effectiveOrder++;
    }
  }
  if (effectiveOrder === 0) return 0;
  const p = precisionSum / effectiveOrder;
  const r = recallSum / effectiveOrder;
  if (p + r === 0) return 0;
  return (100 * (1 + factor) * p * r) / (factor * p + r);
}

/** sacrebleu _compute_segment_statistics: the statistics of the reference with the best F (first on ties). */
export function bestChrfStatistics(hypothesis: readonly Int32Array[], references: readonly (readonly Int32Array[])[], dictionarySize: number): ChrfStatistics {
  let best: ChrfStatistics = new Float64Array(3 * CHAR_ORDER);
  let bestScore = -1;
  for (const reference of references) {
    const stats = chrfStatistics(hypothesis, reference, dictionarySize);
    const score = chrfFromStatistics(stats);
    if (score > bestScore) {
      bestScore = score;
      best = stats;
    }
  }
  return best;
}

/** The best-reference statistics of one segment. */
export function segmentChrfStatistics(hypothesis: string, references: readonly string[]): ChrfStatistics {
  return withNgramDictionary((dictionary) => {
    const h = charNgrams(hypothesis, dictionary);
    const rs = references.map((r) => charNgrams(r, dictionary));
    return bestChrfStatistics(h, rs, dictionary.size);
  });
}

/** sacrebleu sentence_chrf(hypothesis, references) with its defaults. */
export function sentenceChrf(hypothesis: string, references: readonly string[]): number {
  return chrfFromStatistics(segmentChrfStatistics(hypothesis, references));
}

/** sacrebleu corpus_chrf(hypotheses, [referenceStream...]): each segment's best statistics, summed. */
export function corpusChrf(hypotheses: readonly string[], referenceStreams: readonly (readonly string[])[]): number {
  const sum = new Float64Array(3 * CHAR_ORDER);
  hypotheses.forEach((hypothesis, i) => {
    const stats = segmentChrfStatistics(
      hypothesis,
      referenceStreams.map((stream) => stream[i] ?? ''),
    );
    for (let j = 0; j < sum.length; j++) sum[j]! += stats[j]!;
  });
  return chrfFromStatistics(sum);
}
