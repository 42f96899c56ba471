/**
 * Exact match and token F1 as the official SQuAD v2.0 evaluation script (evaluate-v2.0.py)
 * defines them: normalize_answer lowercases, removes every character of Python's
 * string.punctuation, removes the articles a/an/the as whole words, and collapses whitespace;
 * F1 is over the bag of normalised tokens. Both take the maximum over the references.
 */

// Python's string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Python 3's \b is Unicode-aware (\w = letters, digits, underscore in any script); JS \b is ASCII only.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

export function normalizeAnswer(text: string): string {
  return text.toLowerCase().replace(PUNCTUATION, '').replace(ARTICLES, ' ').split(/\s+/u).filter((t) => t.length > 0).join(' ');
}

/** SQuAD get_tokens of a text already normalised. */
export function tokensOfNormalized(normalized: string): string[] {
  return normalized.length === 0 ? [] : normalized.split(' ');
}

export function answerTokens(text: string): string[] {
  return tokensOfNormalized(normalizeAnswer(text));
}

/** 1 when the normalised prediction equals some normalised reference, else 0. No references: 0. */
export function exactMatch(prediction: string, references: readonly string[]): number {
  const p = normalizeAnswer(prediction);
  for (const reference of references) if (normalizeAnswer(reference) === p) return 1;
  return 0;
}

/** SQuAD compute_f1 on token arrays: an empty side scores 1 only when both are empty. */
export function tokenF1FromTokens(prediction: readonly string[], reference: readonly string[]): number {
  if (prediction.length === 0 || reference.length === 0) return prediction.length === reference.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of reference) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of prediction) {
    const left = counts.get(token);
    if (left !== undefined && left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / prediction.length;
  const recall = common / reference.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Max over references of SQuAD token F1. No references: 0. */
export function tokenF1(prediction: string, references: readonly string[]): number {
  const p = answerTokens(prediction);
  let best = 0;
  for (const reference of references) best = Math.max(best, tokenF1FromTokens(p, answerTokens(reference)));
  return best;
}
