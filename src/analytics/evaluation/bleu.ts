/**
 * BLEU as sacrebleu 2.x computes it (Post 2018), up to 4-grams:
 * - tokenizer '13a' (mteval-v13a.pl, sacrebleu's default), no lowercasing;
 * - clipped n-gram matches against the maximum count of each n-gram over the references;
 * - reference length: the closest reference length to the hypothesis length, shorter on ties;
 * - brevity penalty exp(1 - r/c) when c < r (0 when c = 0);
 * - smoothing 'exp' (sacrebleu's default; Chen & Cherry 2014 method 3, "NIST geometric
 *   sequence"): the k-th order with no match gets precision 1 / (2^k · total);
 * - sentence BLEU uses the effective order (orders past the hypothesis length are left out),
 *   sacrebleu's sentence_bleu default; corpus BLEU sums statistics over sentences and does not.
 * Scores are on sacrebleu's 0..100 scale.
 */

import { countingScratch, withNgramDictionary } from './ngram-ids.js';

const MAX_ORDER = 4;

/** sacrebleu Tokenizer13a + TokenizerRegexp. */
export function tokenize13a(line: string): string[] {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  text = ` ${text} `
    // language-dependent part: punctuation and symbols {-~, [-`, space-&, (-+, :-@, /. sacrebleu's
    // class starts at the space; padding a space with spaces cannot change a token, so it starts at
    // '!' here (most of the pass's cost was rewriting every space).
    .replace(/([{-~[-`!-&(-+:-@/])/g, ' $1 ')
    // period and comma unless preceded by a digit
    .replace(/([^0-9])([.,])/g, '$1 $2 ')
    // period and comma unless followed by a digit
    .replace(/([.,])([^0-9])/g, ' $1 $2')
    // dash when preceded by a digit
    .replace(/([0-9])(-)/g, '$1 $2 ');
  return text.split(/\s+/u).filter((t) => t.length > 0);
}

export type BleuStatistics = {
  /** Clipped matches per order 1..4. */
  correct: number[];
  /** Hypothesis n-grams per order 1..4. */
  total: number[];
  hypothesisLength: number;
  referenceLength: number;
};

/** sacrebleu _get_closest_ref_len. */
function closestReferenceLength(hypothesisLength: number, referenceLengths: readonly number[]): number {
  let closestDiff = -1;
  let closestLength = -1;
  for (const length of referenceLengths) {
    const diff = Math.abs(hypothesisLength - length);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLength = length;
    } else if (diff === closestDiff) closestLength = Math.min(closestLength, length);
  }
  return closestLength;
}

/** Statistics of one hypothesis against its references, both already tokenised. */
export function bleuStatistics(hypothesis: readonly string[], references: readonly (readonly string[])[]): BleuStatistics {
  const { h, rs, size } = withNgramDictionary((dictionary) => {
    const toIds = (tokens: readonly string[]): Int32Array[] => dictionary.ngramIds(tokens.map((t) => dictionary.token(t)), MAX_ORDER);
    return { h: toIds(hypothesis), rs: references.map(toIds), size: dictionary.size };
  });
  // maxReference[id]: the largest count of the n-gram in any one reference (sacrebleu's clipping counts).
  const maxReference = new Int32Array(size);
  const counts = countingScratch(size);
  for (const r of rs) {
    for (const ids of r) for (let i = 0; i < ids.length; i++) counts[ids[i]!]!++;
    for (const ids of r) {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (counts[id]! > maxReference[id]!) maxReference[id] = counts[id]!;
      }
    }
    for (const ids of r) for (let i = 0; i < ids.length; i++) counts[ids[i]!] = 0;
  }
  const correct = new Array<number>(MAX_ORDER).fill(0);
  const total = new Array<number>(MAX_ORDER).fill(0);
  for (let n = 0; n < MAX_ORDER; n++) {
    const ids = h[n]!;
    total[n] = ids.length;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (maxReference[id]! > 0) {
        correct[n]!++;
        maxReference[id]!--;
      }
    }
  }
  return { correct, total, hypothesisLength: hypothesis.length, referenceLength: closestReferenceLength(hypothesis.length, references.map((r) => r.length)) };
}

export type BleuScore = { score: number; precisions: number[]; brevityPenalty: number; hypothesisLength: number; referenceLength: number };

/** sacrebleu BLEU.compute_bleu with smooth_method 'exp'. */
export function bleuFromStatistics(stats: BleuStatistics, effectiveOrder: boolean): BleuScore {
  const { hypothesisLength: c, referenceLength: r } = stats;
  const brevityPenalty = c < r ? (c > 0 ? Math.exp(1 - r / c) : 0) : 1;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  const base = { precisions, brevityPenalty, hypothesisLength: c, referenceLength: r };
  if (!stats.correct.some((x) => x > 0)) return { score: 0, ...base };
  let smooth = 1;
  let order = MAX_ORDER;
  for (let n = 1; n <= MAX_ORDER; n++) {
    const total = stats.total[n - 1]!;
    if (total === 0) break;
    if (effectiveOrder) order = n;
    const correct = stats.correct[n - 1]!;
    if (correct === 0) {
      smooth *= 2;
      precisions[n - 1] = 100 / (smooth * total);
    } else precisions[n - 1] = (100 * correct) / total;
  }
  // sacrebleu's my_log: log(0) is taken as -9999999999, so a zero precision gives a zero score.
  let logSum = 0;
  for (let n = 0; n < order; n++) logSum += precisions[n]! > 0 ? Math.log(precisions[n]!) : -9999999999;
  return { score: brevityPenalty * Math.exp(logSum / order), ...base };
}

/** sacrebleu sentence_bleu(hypothesis, references) with its defaults (13a, exp smoothing, effective order). */
export function sentenceBleu(hypothesis: string, references: readonly string[]): BleuScore {
  return bleuFromStatistics(bleuStatistics(tokenize13a(hypothesis), references.map(tokenize13a)), true);
}

/** sacrebleu corpus_bleu(hypotheses, [referenceStream...]) with its defaults: statistics summed over sentences. */
export function corpusBleu(hypotheses: readonly string[], referenceStreams: readonly (readonly string[])[]): BleuScore {
  const sum: BleuStatistics = { correct: [0, 0, 0, 0], total: [0, 0, 0, 0], hypothesisLength: 0, referenceLength: 0 };
  hypotheses.forEach((hypothesis, i) => {
    const stats = bleuStatistics(
      tokenize13a(hypothesis),
      referenceStreams.map((stream) => tokenize13a(stream[i] ?? '')),
    );
    for (let n = 0; n < MAX_ORDER; n++) {
      sum.correct[n]! += stats.correct[n]!;
      sum.total[n]! += stats.total[n]!;
    }
    sum.hypothesisLength += stats.hypothesisLength;
    sum.referenceLength += stats.referenceLength;
  });
  return bleuFromStatistics(sum, false);
}
