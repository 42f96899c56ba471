/**
 * ROUGE-N and ROUGE-L as Google's rouge-score package (rouge_scorer.py) computes them with its
 * default tokenizer and no stemming: lowercase, every run of characters outside [a-z0-9] becomes a
 * space, tokens are the non-empty pieces. ROUGE-N counts clipped n-gram overlap; ROUGE-L uses the
 * longest common subsequence. With several references, score_multi keeps the reference with the
 * highest F1.
 */
import { clippedMatches, NgramDictionary } from './ngram-ids.js';

export type RougeScore = { precision: number; recall: number; f1: number };

export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
}

/** rouge-score's scoring.fmeasure. */
function fmeasure(precision: number, recall: number): RougeScore {
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** A tokenised text as interned token units plus its bigram ids, in a dictionary shared with the texts it is compared with. */
export type RougeText = { units: Int32Array; ngrams: Int32Array[] };

export function rougeText(tokens: readonly string[], dictionary: NgramDictionary): RougeText {
  const units = Int32Array.from(tokens, (t) => dictionary.token(t));
  return { units, ngrams: dictionary.ngramIds(units, 2) };
}

/** rouge-score _score_ngrams: overlap / max(count, 1) for precision (prediction) and recall (target). */
function rougeN(prediction: RougeText, target: RougeText, n: 1 | 2, dictionarySize: number): RougeScore {
  const p = prediction.ngrams[n - 1]!;
  const t = target.ngrams[n - 1]!;
  const overlap = clippedMatches(p, t, dictionarySize);
  return fmeasure(overlap / Math.max(p.length, 1), overlap / Math.max(t.length, 1));
}

/** Length of the longest common subsequence, one row of the DP table at a time. */
export function lcsLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return 0;
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      current[j] = ai === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/** rouge-score _score_lcs: zeros when either side is empty. */
function rougeL(prediction: RougeText, target: RougeText): RougeScore {
  const p = prediction.units;
  const t = target.units;
  if (p.length === 0 || t.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const lcs = lcsLength(t, p);
  return fmeasure(lcs / p.length, lcs / t.length);
}

export type RougeVariant = 'rouge1' | 'rouge2' | 'rougeL';

/** score_multi: the reference giving the highest F1 (first one on ties). No references: zeros. */
export function rougeMulti(variant: RougeVariant, prediction: RougeText, targets: readonly RougeText[], dictionarySize: number): RougeScore {
  let best: RougeScore = { precision: 0, recall: 0, f1: 0 };
  let first = true;
  for (const target of targets) {
    const score = variant === 'rougeL' ? rougeL(prediction, target) : rougeN(prediction, target, variant === 'rouge1' ? 1 : 2, dictionarySize);
    if (first || score.f1 > best.f1) best = score;
    first = false;
  }
  return best;
}

export function rouge(variant: RougeVariant, prediction: string, references: readonly string[]): RougeScore {
  const dictionary = new NgramDictionary();
  const p = rougeText(rougeTokens(prediction), dictionary);
  const ts = references.map((r) => rougeText(rougeTokens(r), dictionary));
  return rougeMulti(variant, p, ts, dictionary.size);
}
