/**
 * ROUGE-N and ROUGE-L as Google's rouge-score package (rouge_scorer.py) computes them with its
 * default tokenizer and no stemming: lowercase, every run of characters outside [a-z0-9] becomes a
 * space, tokens are the non-empty pieces. ROUGE-N counts clipped n-gram overlap; ROUGE-L uses the
 * longest common subsequence. With several references, score_multi keeps the reference with the
 * highest F1.
 */
import { clippedMatches, withNgramDictionary, type NgramDictionary } from './ngram-ids.js';

export type RougeScore = { precision: number; recall: number; f1: number };

export function rougeTokens(text: string): string[] {
  // Replacing the runs outside [a-z0-9] by spaces and splitting leaves exactly the runs inside it.
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
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

let unitMasks = new Int32Array(1024);
let columns = new Int32Array(64);

/**
 * Length of the longest common subsequence of two sequences of small non-negative units (interned tokens),
 * bit-parallel (Allison & Dix 1986, in Hyyrö's 2004 form): V starts all ones over a's positions
 * and for each unit of b becomes (V + (V & M)) | (V & ~M), M the positions of that unit in a; the
 * LCS is the number of zero bits left. Blocks of 32 positions carry the addition between them:
 * ⌈|a|/32⌉·|b| word steps instead of the |a|·|b| table.
 */
export function lcsLength(a: Int32Array, b: Int32Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  const blocks = (a.length + 31) >>> 5;
  let alphabetSize = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! >= alphabetSize) alphabetSize = a[i]! + 1;
  if (unitMasks.length < alphabetSize * blocks) unitMasks = new Int32Array(Math.max(alphabetSize * blocks, unitMasks.length * 2));
  if (columns.length < blocks) columns = new Int32Array(blocks * 2);
  const masks = unitMasks;
  for (let i = 0; i < a.length; i++) masks[a[i]! * blocks + (i >>> 5)]! |= 1 << (i & 31);
  const v = columns;
  v.fill(-1, 0, blocks);
  // Bits past a's end stay ones in V (their mask bits are 0), so they never count as matches.
  for (let j = 0; j < b.length; j++) {
    const unit = b[j]!;
    if (unit >= alphabetSize) continue; // not in a: M = 0 leaves V unchanged
    const row = unit * blocks;
    let carry = 0;
    for (let k = 0; k < blocks; k++) {
      const vk = v[k]!;
      const m = masks[row + k]!;
      const u = vk & m;
      const sum = (vk >>> 0) + (u >>> 0) + carry;
      carry = sum > 0xffffffff ? 1 : 0;
      v[k] = (sum | 0) | (vk & ~m);
    }
  }
  let ones = 0;
  for (let k = 0; k < blocks; k++) {
    let x = v[k]!;
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    ones += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  for (let i = 0; i < a.length; i++) masks[a[i]! * blocks + (i >>> 5)] = 0;
  return blocks * 32 - ones;
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
  return withNgramDictionary((dictionary) => {
    const p = rougeText(rougeTokens(prediction), dictionary);
    const ts = references.map((r) => rougeText(rougeTokens(r), dictionary));
    return rougeMulti(variant, p, ts, dictionary.size);
  });
}
