/**
 * chrF as sacrebleu 2.x's CHRF computes it with its defaults (Popović 2015): character n-grams of
 * orders 1..6 (code points), whitespace removed, no word n-grams, beta = 2, no eps smoothing.
 * Per order: hypothesis n-grams (0 when the reference has none of that order), reference n-grams,
 * clipped matches. Precision and recall are averaged over the orders where both sides have
 * n-grams, then F_beta = (1+β²)·P·R / (β²·P + R). With several references, the statistics of the
 * reference with the best F are kept. Scores are on sacrebleu's 0..100 scale.
 */
const CHAR_ORDER = 6;
const BETA = 2;

export type ChrfStatistics = Float64Array; // [hyp, ref, match] × order

/** Counts of character n-grams per order 1..6 of a segment, whitespace removed (Python str.split semantics). */
export function charNgrams(text: string): Map<string, number>[] {
  const chars = Array.from(text.split(/\s+/u).join(''));
  const orders: Map<string, number>[] = [];
  for (let n = 1; n <= CHAR_ORDER; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const key = n === 1 ? chars[i]! : chars.slice(i, i + n).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    orders.push(counts);
  }
  return orders;
}

/** sacrebleu CHRF._get_match_statistics for every order. */
export function chrfStatistics(hypothesis: readonly Map<string, number>[], reference: readonly Map<string, number>[]): ChrfStatistics {
  const stats = new Float64Array(3 * CHAR_ORDER);
  for (let n = 0; n < CHAR_ORDER; n++) {
    const h = hypothesis[n]!;
    const r = reference[n]!;
    let hypCount = 0;
    let matches = 0;
    for (const [gram, count] of h) {
      hypCount += count;
      const inRef = r.get(gram);
      if (inRef !== undefined) matches += Math.min(count, inRef);
    }
    let refCount = 0;
    for (const count of r.values()) refCount += count;
    stats[3 * n] = r.size > 0 ? hypCount : 0;
    stats[3 * n + 1] = refCount;
    stats[3 * n + 2] = matches;
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
export function bestChrfStatistics(hypothesis: readonly Map<string, number>[], references: readonly (readonly Map<string, number>[])[]): ChrfStatistics {
  let best: ChrfStatistics = new Float64Array(3 * CHAR_ORDER);
  let bestScore = -1;
  for (const reference of references) {
    const stats = chrfStatistics(hypothesis, reference);
    const score = chrfFromStatistics(stats);
    if (score > bestScore) {
      bestScore = score;
      best = stats;
    }
  }
  return best;
}

/** sacrebleu sentence_chrf(hypothesis, references) with its defaults. */
export function sentenceChrf(hypothesis: string, references: readonly string[]): number {
  return chrfFromStatistics(bestChrfStatistics(charNgrams(hypothesis), references.map(charNgrams)));
}

/** sacrebleu corpus_chrf(hypotheses, [referenceStream...]): each segment's best statistics, summed. */
export function corpusChrf(hypotheses: readonly string[], referenceStreams: readonly (readonly string[])[]): number {
  const sum = new Float64Array(3 * CHAR_ORDER);
  hypotheses.forEach((hypothesis, i) => {
    const stats = bestChrfStatistics(
      charNgrams(hypothesis),
      referenceStreams.map((stream) => charNgrams(stream[i] ?? '')),
    );
    for (let j = 0; j < sum.length; j++) sum[j]! += stats[j]!;
  });
  return chrfFromStatistics(sum);
}
