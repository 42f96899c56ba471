/**
 * ROUGE-N and ROUGE-L as Google's rouge-score package (rouge_scorer.py) computes them with its
 * default tokenizer and no stemming: lowercase, every run of characters outside [a-z0-9] becomes a
 * space, tokens are the non-empty pieces. ROUGE-N counts clipped n-gram overlap; ROUGE-L uses the
 * longest common subsequence. With several references, score_multi keeps the reference with the
 * highest F1.
 */
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

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** rouge-score _score_ngrams: overlap / max(count, 1) for precision (prediction) and recall (target). */
export function rougeNFromTokens(prediction: readonly string[], target: readonly string[], n: number): RougeScore {
  const p = ngramCounts(prediction, n);
  const t = ngramCounts(target, n);
  let overlap = 0;
  for (const [gram, count] of t) overlap += Math.min(count, p.get(gram) ?? 0);
  const predictionCount = Math.max(prediction.length - n + 1, 0);
  const targetCount = Math.max(target.length - n + 1, 0);
  return fmeasure(overlap / Math.max(predictionCount, 1), overlap / Math.max(targetCount, 1));
}

/** Length of the longest common subsequence, one row of the DP table at a time. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
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
export function rougeLFromTokens(prediction: readonly string[], target: readonly string[]): RougeScore {
  if (prediction.length === 0 || target.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const lcs = lcsLength(target, prediction);
  return fmeasure(lcs / prediction.length, lcs / target.length);
}

export type RougeVariant = 'rouge1' | 'rouge2' | 'rougeL';

function scoreTokens(variant: RougeVariant, prediction: readonly string[], target: readonly string[]): RougeScore {
  if (variant === 'rougeL') return rougeLFromTokens(prediction, target);
  return rougeNFromTokens(prediction, target, variant === 'rouge1' ? 1 : 2);
}

/** score_multi: the reference giving the highest F1 (first one on ties). No references: zeros. */
export function rougeMultiFromTokens(variant: RougeVariant, prediction: readonly string[], targets: readonly (readonly string[])[]): RougeScore {
  let best: RougeScore = { precision: 0, recall: 0, f1: 0 };
  let first = true;
  for (const target of targets) {
    const score = scoreTokens(variant, prediction, target);
    if (first || score.f1 > best.f1) best = score;
    first = false;
  }
  return best;
}

export function rouge(variant: RougeVariant, prediction: string, references: readonly string[]): RougeScore {
  return rougeMultiFromTokens(variant, rougeTokens(prediction), references.map(rougeTokens));
}
